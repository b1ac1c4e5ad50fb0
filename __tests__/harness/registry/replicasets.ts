/** apps/v1 replicasets (pkg/registry/apps/replicaset): 1 replica by default, immutable selector. */
import { isRecord, type KObject } from '../types.js'
import { replicatedErrors } from './deployments.js'
import { defaultTemplate, setDefault, ZERO_TEMPLATE } from './podspec.js'
import { resource } from './strategy.js'
import { workloadTable } from './podspec.js'

export const replicasets = resource('apps', 'v1', 'replicasets', 'ReplicaSet', {
  shortNames: ['rs'],
  subresources: ['status', 'scale'],
  generation: true,
  statusSubresource: true,
  selectableFields: ['status.replicas'],
  // ReplicaSetStatus.replicas has no omitempty.
  zeroValue: { spec: { selector: null, template: ZERO_TEMPLATE }, status: { replicas: 0 } },
  defaults(obj: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : undefined
    if (!spec) return
    setDefault(spec, 'replicas', 1)
    defaultTemplate(spec, true)
  },
  validate(obj: KObject, old?: KObject) {
    return replicatedErrors(obj, old, 'ReplicaSet')
  },
  table: workloadTable(
    [
      { name: 'Desired', type: 'integer', description: 'Number of desired pods.' },
      { name: 'Current', type: 'integer', description: 'Number of actual replicas.' },
      { name: 'Ready', type: 'integer', description: 'Number of ready replicas.' }
    ],
    (spec, status) => [
      Number(spec.replicas ?? 0),
      Number(status.replicas ?? 0),
      Number(status.readyReplicas ?? 0)
    ]
  )
})
