/**
 * core/v1 pods (pkg/registry/core/pod): Pending on create, pod defaults and admission, spec
 * immutable but for images (and a few scheduling fields); /status keeps the owner references.
 */
import { admitPod } from '../admission.js'
import { deepEqual } from '../patch.js'
import { forbidden } from '../status.js'
import { isRecord, type KObject } from '../types.js'
import { defaultPodSpec, podSpecErrors } from './podspec.js'
import { resource } from './strategy.js'

/** What a pod update may change: images, activeDeadlineSeconds, tolerations, the binding. */
function mutableStripped(s: Record<string, unknown>): unknown {
  const c = structuredClone(s)
  for (const list of ['containers', 'initContainers']) {
    const cs = c[list]
    if (Array.isArray(cs)) for (const x of cs) if (isRecord(x)) delete x.image
  }
  delete c.activeDeadlineSeconds
  delete c.tolerations
  delete c.nodeName
  return c
}

export const pods = resource('', 'v1', 'pods', 'Pod', {
  shortNames: ['po'],
  subresources: ['status', 'log', 'proxy'],
  statusSubresource: true,
  statusKeeps: ['ownerReferences'],
  selectableFields: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName'
  ],
  prepareForCreate(obj: KObject) {
    obj.status = { phase: 'Pending', qosClass: 'BestEffort' }
  },
  defaults(obj: KObject) {
    if (isRecord(obj.spec)) defaultPodSpec(obj.spec, true)
  },
  admit: admitPod,
  returnsDeletedObject: true,
  deleteGracePeriod(pod: KObject, requested: number | undefined) {
    const spec = isRecord(pod.spec) ? pod.spec : {}
    const status = isRecord(pod.status) ? pod.status : {}
    // Unbound and finished pods go at once.
    if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') return 0
    if (requested !== undefined) return requested
    return typeof spec.terminationGracePeriodSeconds === 'number'
      ? spec.terminationGracePeriodSeconds
      : 30
  },
  validate(obj: KObject, old?: KObject) {
    const errs = podSpecErrors(obj.spec, 'spec')
    const spec = isRecord(obj.spec) ? obj.spec : {}
    const oldSpec = old && isRecord(old.spec) ? old.spec : undefined
    if (oldSpec && !deepEqual(mutableStripped(spec), mutableStripped(oldSpec))) {
      errs.push(
        forbidden(
          'spec',
          'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'
        )
      )
    }
    return errs
  }
})
