/** core/v1 configmaps: data and binaryData, nothing else to default. */
import { simpleTable } from '../table.js'
import { isRecord } from '../types.js'
import { resource } from './strategy.js'

export const configmaps = resource('', 'v1', 'configmaps', 'ConfigMap', {
  shortNames: ['cm'],
  table: simpleTable(
    { name: 'Data', type: 'integer', description: 'Data contains the configuration data.' },
    o =>
      (isRecord(o.data) ? Object.keys(o.data).length : 0) +
      (isRecord(o.binaryData) ? Object.keys(o.binaryData).length : 0)
  )
})
