/** core/v1 namespaces (pkg/registry/core/namespace): Active on create, `kubernetes` finalizer, name label. */
import { isRecord, type KObject } from '../types.js'
import { rec } from './podspec.js'
import { resource } from './strategy.js'
import { simpleTable } from '../table.js'

export const namespaces = resource('', 'v1', 'namespaces', 'Namespace', {
  zeroValue: { spec: {}, status: {} },
  namespaced: false,
  shortNames: ['ns'],
  subresources: ['status'],
  statusSubresource: true,
  selectableFields: ['status.phase'],
  markOnDelete(marked: KObject) {
    marked.status = { ...(isRecord(marked.status) ? marked.status : {}), phase: 'Terminating' }
  },
  finalized(obj: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : {}
    return !Array.isArray(spec.finalizers) || spec.finalizers.length === 0
  },
  prepareForCreate(obj: KObject) {
    obj.status = { phase: 'Active' }
    // The registry's, not a default: the finalizer may be removed over the namespace's life.
    const spec = rec(obj, 'spec')
    const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers : []
    if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes']
  },
  defaults(obj: KObject) {
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
