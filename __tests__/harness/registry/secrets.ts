/** core/v1 secrets: type Opaque by default, stringData folded into data. */
import { isRecord, type KObject } from '../types.js'
import { rec, setDefault } from './podspec.js'
import { resource } from './strategy.js'
import { AGE, NAME, age } from '../table.js'

export const secrets = resource('', 'v1', 'secrets', 'Secret', {
  selectableFields: ['type'],
  defaults(obj: KObject) {
    setDefault(obj, 'type', 'Opaque')
    if (isRecord(obj.stringData)) {
      const data = rec(obj, 'data')
      for (const [k, v] of Object.entries(obj.stringData))
        data[k] = Buffer.from(String(v)).toString('base64')
      delete obj.stringData
    }
  },
  table: {
    columns: [
      NAME,
      {
        name: 'Type',
        type: 'string',
        description: 'Used to facilitate programmatic handling of secret data.'
      },
      { name: 'Data', type: 'integer', description: 'Data contains the secret data.' },
      AGE
    ],
    cells: (o: KObject, now: number) => [
      o.metadata.name,
      o.type,
      isRecord(o.data) ? Object.keys(o.data).length : 0,
      age(o, now)
    ]
  }
})
