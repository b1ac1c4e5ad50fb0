/** apps/v1 replicasets (pkg/registry/apps/replicaset): 1 replica by default, immutable selector. */
import { isRecord, type KObject } from '../types.js'
import { replicatedErrors } from './deployments.js'
import { defaultTemplate, setDefault } from './podspec.js'
import { resource } from './strategy.js'

export const replicasets = resource('apps', 'v1', 'replicasets', 'ReplicaSet', {
  shortNames: ['rs'],
  subresources: ['status', 'scale'],
  generation: true,
  statusSubresource: true,
  selectableFields: ['status.replicas'],
  defaults(obj: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : undefined
    if (!spec) return
    setDefault(spec, 'replicas', 1)
    defaultTemplate(spec, true)
  },
  validate(obj: KObject, old?: KObject) {
    return replicatedErrors(obj, old, 'ReplicaSet')
  }
})
