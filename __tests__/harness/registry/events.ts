/** core/v1 events, selectable by their involved object, reason, source and type. */
import { isRecord, type KObject } from '../types.js'
import { resource } from './strategy.js'

export const events = resource('', 'v1', 'events', 'Event', {
  shortNames: ['ev'],
  model: 'CoreV1Event',
  selectableFields: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type'
  ],
  fieldValue(obj: KObject, field: string) {
    if (field !== 'source') return undefined
    const src = obj.source
    return isRecord(src) && typeof src.component === 'string' ? src.component : ''
  }
})
