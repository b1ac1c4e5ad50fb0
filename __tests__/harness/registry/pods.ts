/**
 * core/v1 pods (pkg/registry/core/pod): Pending on create, pod defaults and admission, spec
 * immutable but for images (and a few scheduling fields); /status keeps the owner references.
 */
import { admitPod } from '../admission.js'
import { deepEqual } from '../patch.js'
import { forbidden } from '../status.js'
import { isRecord, type KObject } from '../types.js'
import { defaultPodSpec, podSpecErrors, setDefault } from './podspec.js'
import { resource } from './strategy.js'
import { AGE, NAME, age, humanDuration } from '../table.js'

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
    if (!isRecord(obj.spec)) return
    defaultPodSpec(obj.spec, true)
    // SetDefaults_Pod: a Pod's own default, not its templates'.
    setDefault(obj.spec, 'enableServiceLinks', true)
  },
  admit: admitPod,
  returnsDeletedObject: true,
  zeroValue: { spec: { containers: null }, status: {} },
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
  },
  table: {
    columns: [
      NAME,
      {
        name: 'Ready',
        type: 'string',
        description: 'The aggregate readiness state of this pod for accepting traffic.'
      },
      {
        name: 'Status',
        type: 'string',
        description: 'The aggregate status of the containers in this pod.'
      },
      {
        name: 'Restarts',
        type: 'string',
        description:
          'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'
      },
      AGE,
      {
        name: 'IP',
        type: 'string',
        priority: 1,
        description:
          'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'
      },
      {
        name: 'Node',
        type: 'string',
        priority: 1,
        description: 'NodeName is a request to schedule this pod onto a specific node.'
      },
      {
        name: 'Nominated Node',
        type: 'string',
        priority: 1,
        description:
          'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.'
      },
      {
        name: 'Readiness Gates',
        type: 'string',
        priority: 1,
        description: 'If specified, all readiness gates will be evaluated for pod readiness.'
      }
    ],
    cells(o: KObject, now: number) {
      const spec = isRecord(o.spec) ? o.spec : {}
      const status = isRecord(o.status) ? o.status : {}
      const statuses = Array.isArray(status.containerStatuses)
        ? status.containerStatuses.filter(isRecord)
        : []
      const total = Array.isArray(spec.containers) ? spec.containers.length : 0
      let reason = String(status.reason ?? status.phase ?? '')
      let restarts = 0
      let lastRestart = 0
      let ready = 0
      for (const cs of statuses) {
        restarts += Number(cs.restartCount ?? 0)
        const last =
          isRecord(cs.lastState) && isRecord(cs.lastState.terminated)
            ? cs.lastState.terminated
            : undefined
        if (last?.finishedAt)
          lastRestart = Math.max(lastRestart, Date.parse(String(last.finishedAt)))
        const state = isRecord(cs.state) ? cs.state : {}
        if (isRecord(state.waiting) && state.waiting.reason) reason = String(state.waiting.reason)
        else if (isRecord(state.terminated)) {
          const t = state.terminated
          reason = t.reason
            ? String(t.reason)
            : t.signal
              ? `Signal:${String(t.signal)}`
              : `ExitCode:${String(t.exitCode)}`
        } else if (cs.ready === true && state.running) ready++
      }
      if (o.metadata.deletionTimestamp) reason = 'Terminating'
      const restartsCell =
        restarts > 0 && lastRestart > 0
          ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
          : String(restarts)
      return [
        o.metadata.name,
        `${ready}/${total}`,
        reason,
        restartsCell,
        age(o, now),
        status.podIP ?? '<none>',
        spec.nodeName ?? '<none>',
        status.nominatedNodeName ?? '<none>',
        '<none>'
      ]
    }
  }
})
