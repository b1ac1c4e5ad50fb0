/** core/v1 namespaces (pkg/registry/core/namespace): Active on create, `kubernetes` finalizer, name label. */
import { isRecord, type KObject } from '../types.js'
import { rec, setDefault } from './podspec.js'
import { resource } from './strategy.js'
import { simpleTable } from '../table.js'

export const namespaces = resource('', 'v1', 'namespaces', 'Namespace', {
  namespaced: false,
  shortNames: ['ns'],
  subresources: ['status'],
  statusSubresource: true,
  selectableFields: ['status.phase'],
  markOnDelete(marked: KObject) {
    marked.status = { ...(isRecord(marked.status) ? marked.status : {}), phase: 'Terminating' }
  },
  prepareForCreate(obj: KObject) {
    obj.status = { phase: 'Active' }
  },
  defaults(obj: KObject) {
    setDefault(rec(obj, 'spec'), 'finalizers', ['kubernetes'])
    obj.metadata.labels = {
      ...obj.metadata.labels,
      'kubernetes.io/metadata.name': obj.metadata.name ?? ''
    }
  },
  table: simpleTable(
    { name: 'Status', type: 'string', description: 'The status of the namespace' },
    o => (isRecord(o.status) ? o.status.phase : '')
  )
})
