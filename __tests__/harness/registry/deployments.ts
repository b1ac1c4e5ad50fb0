/**
 * apps/v1 deployments (pkg/registry/apps/deployment/strategy.go): defaults (1 replica,
 * RollingUpdate 25%/25%, history 10, deadline 600 s); the generation moves on spec and on
 * annotation changes (annotations are copied to the ReplicaSets); /status keeps spec and labels
 * but may write annotations (the controller's revision, recording 14); the selector is immutable.
 */
import { deepEqual } from '../patch.js'
import {
  goLabelSelector,
  invalidGoValue,
  invalidValue,
  required,
  type FieldError
} from '../status.js'
import { isRecord, type KObject } from '../types.js'
import { defaultTemplate, rec, setDefault, templateErrors, ZERO_TEMPLATE } from './podspec.js'
import { resource } from './strategy.js'
import { workloadTable } from './podspec.js'

/** Validation of the workload kinds with replicas and a selector (Deployment, ReplicaSet). */
export function replicatedErrors(
  obj: KObject,
  old: KObject | undefined,
  kind: string
): FieldError[] {
  const spec = isRecord(obj.spec) ? obj.spec : undefined
  if (!spec) return [required('spec.template')]
  // ValidateDeploymentSpec / ValidateReplicaSetSpec: replicas first, then selector and template.
  const errs: FieldError[] = []
  if (typeof spec.replicas === 'number' && spec.replicas < 0)
    errs.push(invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0'))
  errs.push(...templateErrors(spec, kind))
  const oldSpec = old && isRecord(old.spec) ? old.spec : undefined
  if (oldSpec && !deepEqual(spec.selector, oldSpec.selector))
    errs.push(invalidGoValue('spec.selector', goLabelSelector(spec.selector), 'field is immutable'))
  return errs
}

export const deployments = resource('apps', 'v1', 'deployments', 'Deployment', {
  zeroValue: { spec: { selector: null, template: ZERO_TEMPLATE, strategy: {} }, status: {} },
  shortNames: ['deploy'],
  subresources: ['status', 'scale'],
  generation: true,
  statusSubresource: true,
  statusKeeps: ['labels'],
  defaults(obj: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : undefined
    if (!spec) return
    setDefault(spec, 'replicas', 1)
    setDefault(spec, 'revisionHistoryLimit', 10)
    setDefault(spec, 'progressDeadlineSeconds', 600)
    const strategy = rec(spec, 'strategy')
    setDefault(strategy, 'type', 'RollingUpdate')
    if (strategy.type === 'RollingUpdate') {
      const ru = rec(strategy, 'rollingUpdate')
      setDefault(ru, 'maxSurge', '25%')
      setDefault(ru, 'maxUnavailable', '25%')
    }
    defaultTemplate(spec, true)
  },
  generationChanged(next: KObject, old: KObject) {
    return (
      !deepEqual(next.spec, old.spec) ||
      !deepEqual(next.metadata.annotations, old.metadata.annotations)
    )
  },
  validate(obj: KObject, old?: KObject) {
    return replicatedErrors(obj, old, 'Deployment')
  },
  table: workloadTable(
    [
      { name: 'Ready', type: 'string', description: 'Number of the pod with ready state' },
      {
        name: 'Up-to-date',
        type: 'integer',
        description:
          'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'
      },
      {
        name: 'Available',
        type: 'integer',
        description:
          'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'
      }
    ],
    (spec, status) => [
      `${Number(status.readyReplicas ?? 0)}/${Number(spec.replicas ?? 0)}`,
      Number(status.updatedReplicas ?? 0),
      Number(status.availableReplicas ?? 0)
    ]
  )
})
