/**
 * kube-controller-manager's namespace controller for a Terminating namespace
 * (pkg/controller/namespace/deletion/namespaced_resources_deleter.go): its pods are deleted first
 * (OrderedNamespaceDeletion, locked on since v1.34), then everything else; each pass writes the
 * deletion conditions as status_condition_utils.go does; once nothing is left the `kubernetes`
 * finalizer goes, and with the last finalizer the namespace (its storage's ShouldDeleteDuringUpdate).
 * https://github.com/kubernetes/enhancements/issues/5080
 */
import type { Api } from './api.js'
import type { ResourceType } from './resources.js'
import { StatusError } from './status.js'
import { isRecord, now, type KObject } from './types.js'

/** The controller's own finalizer in spec.finalizers. */
const FINALIZER = 'kubernetes'
/** How long the deleter allows a finalizer to finish (finalizerEstimateSeconds). */
const FINALIZER_ESTIMATE_SECONDS = 15
const MANAGER = 'kube-controller-manager'

interface NamespaceCondition {
  type: string
  status: string
  lastTransitionTime: string
  reason: string
  message: string
}

/** What one resource left behind (gvrDeletionMetadata), and the error it earned, if any. */
interface Leftover {
  estimate: number
  remaining: number
  finalizers: Map<string, number>
  error?: string
}

/** What a pass saw: the inputs of namespaceConditionUpdater. */
interface Pass {
  errors: string[]
  /** absent on the pods-first short cut, which reports no totals (kubernetes#138208) */
  totals?: { byResource: Map<string, number>; byFinalizer: Map<string, number> }
}

/** One pass of the deleter (Delete, then deleteAllContent); safe to run again at any time. */
export function syncTerminatingNamespace(api: Api, name: string): void {
  const nsType = api.kindOf('Namespace')
  const namespace = api.store.get(nsType, undefined, name)
  if (!namespace?.metadata.deletionTimestamp) return
  if (specFinalizers(namespace).length === 0) return
  const deletedAt = Date.parse(namespace.metadata.deletionTimestamp)
  const errors: string[] = []
  const podType = api.kindOf('Pod')
  const pods = deleteAll(api, podType, name, deletedAt)
  if (pods.error) errors.push(pods.error)
  if (pods.remaining > 0) {
    // Pods still there: nothing else is deleted yet, and the conditions are written without
    // the totals (deleteAllContent's early return skips ProcessContentTotals).
    writeConditions(api, name, { errors })
    return
  }
  const byResource = new Map<string, number>()
  const byFinalizer = new Map<string, number>()
  let estimate = 0
  for (const t of api.registry.all()) {
    if (!t.namespaced || t === podType) continue
    const left = deleteAll(api, t, name, deletedAt)
    if (left.error) errors.push(left.error)
    estimate = Math.max(estimate, left.estimate)
    if (left.remaining === 0) continue
    byResource.set(`${t.resource}.${t.group}`, left.remaining)
    for (const [f, n] of left.finalizers) byFinalizer.set(f, (byFinalizer.get(f) ?? 0) + n)
  }
  writeConditions(api, name, { errors, totals: { byResource, byFinalizer } })
  if (estimate > 0 || errors.length > 0) return
  finalize(api, name)
}

function specFinalizers(namespace: KObject): unknown[] {
  const spec = isRecord(namespace.spec) ? namespace.spec : {}
  return Array.isArray(spec.finalizers) ? spec.finalizers : []
}

/**
 * deleteAllContentForGroupVersionResource: deletes what is not being deleted yet (in the
 * background), then reports what is left. Items left without a finalizer are an error unless
 * pods still have time to terminate (estimateGracefulTermination).
 */
function deleteAll(api: Api, t: ResourceType, ns: string, deletedAt: number): Leftover {
  const before = api.store.list(t, ns)
  const estimate = t.kind === 'Pod' ? podEstimate(before, deletedAt) : 0
  for (const o of before) {
    // Already being deleted: a second delete would change nothing (graceful deletion pending).
    if (o.metadata.deletionTimestamp) continue
    try {
      api.delete(t, ns, o.metadata.name ?? '', { propagationPolicy: 'Background' })
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e
    }
  }
  const left = api.store.list(t, ns)
  const finalizers = new Map<string, number>()
  for (const o of left)
    for (const f of o.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1)
  const leftover: Leftover = { estimate, remaining: left.length, finalizers }
  if (left.length === 0) return { ...leftover, estimate: 0 }
  if (estimate > 0) return leftover
  if (finalizers.size > 0) return { ...leftover, estimate: FINALIZER_ESTIMATE_SECONDS }
  // %v of a GroupVersionResource: "/v1, Resource=pods".
  const gvr = `${t.group}/${t.version}, Resource=${t.resource}`
  return { ...leftover, error: `unexpected items still remain in namespace: ${ns} for gvr: ${gvr}` }
}

/**
 * estimateGracefulTerminationForPods: the longest terminationGracePeriodSeconds of the pods not
 * finished, or 0 once that long has passed since the namespace was deleted.
 */
function podEstimate(pods: KObject[], deletedAt: number): number {
  let estimate = 0
  for (const p of pods) {
    const status = isRecord(p.status) ? p.status : {}
    if (status.phase === 'Succeeded' || status.phase === 'Failed') continue
    const spec = isRecord(p.spec) ? p.spec : {}
    const grace = spec.terminationGracePeriodSeconds
    if (typeof grace === 'number' && grace > estimate) estimate = grace
  }
  return Date.now() - deletedAt >= estimate * 1000 ? 0 : estimate
}

/** namespaceConditionUpdater.Update, then UpdateStatus only when a condition changed. */
function writeConditions(api: Api, name: string, pass: Pass): void {
  const nsType = api.kindOf('Namespace')
  const namespace = api.store.get(nsType, undefined, name)
  if (!namespace) return
  const status = isRecord(namespace.status) ? namespace.status : {}
  const old = Array.isArray(status.conditions) ? (status.conditions as NamespaceCondition[]) : []
  const conditions = mergeConditions(old, wantedConditions(pass))
  if (!conditions) return
  api.write(nsType, { ...namespace, status: { ...status, conditions } }, MANAGER, 'status')
}

/** finalizeNamespace: spec.finalizers without ours, sorted and unique as a string set. */
function finalize(api: Api, name: string): void {
  const nsType = api.kindOf('Namespace')
  const namespace = api.store.get(nsType, undefined, name)
  if (!namespace) return
  const spec = isRecord(namespace.spec) ? namespace.spec : {}
  const finalizers = [
    ...new Set(specFinalizers(namespace).filter((f): f is string => typeof f === 'string'))
  ]
    .filter(f => f !== FINALIZER)
    .sort()
  api.write(nsType, { ...namespace, spec: { ...spec, finalizers } }, MANAGER, 'finalize')
}

type Wanted = Omit<NamespaceCondition, 'lastTransitionTime'>

/** The conditions the deleter maintains, in the order it appends them, with their "ok" variants. */
const OK_CONDITIONS: Wanted[] = [
  {
    type: 'NamespaceDeletionDiscoveryFailure',
    status: 'False',
    reason: 'ResourcesDiscovered',
    message: 'All resources successfully discovered'
  },
  {
    type: 'NamespaceDeletionGroupVersionParsingFailure',
    status: 'False',
    reason: 'ParsedGroupVersions',
    message: 'All legacy kube types successfully parsed'
  },
  {
    type: 'NamespaceDeletionContentFailure',
    status: 'False',
    reason: 'ContentDeleted',
    message: 'All content successfully deleted, may be waiting on finalization'
  },
  {
    type: 'NamespaceContentRemaining',
    status: 'False',
    reason: 'ContentRemoved',
    message: 'All content successfully removed'
  },
  {
    type: 'NamespaceFinalizersRemaining',
    status: 'False',
    reason: 'ContentHasNoFinalizers',
    message: 'All content-preserving finalizers finished'
  }
]

/** ProcessContentTotals and makeDeleteContentCondition: each failing condition, by type. */
function wantedConditions(pass: Pass): Wanted[] {
  const failing = new Map<string, Wanted>()
  if (pass.errors.length > 0) {
    failing.set('NamespaceDeletionContentFailure', {
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${pass.errors.length} remaining: ${[...pass.errors].sort().join(', ')}`
    })
  }
  const { byResource, byFinalizer } = pass.totals ?? {
    byResource: new Map(),
    byFinalizer: new Map()
  }
  if (byResource.size > 0) {
    failing.set('NamespaceContentRemaining', {
      type: 'NamespaceContentRemaining',
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${counted(byResource, 'has')}`
    })
  }
  if (byFinalizer.size > 0) {
    failing.set('NamespaceFinalizersRemaining', {
      type: 'NamespaceFinalizersRemaining',
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${counted(byFinalizer, 'in')}`
    })
  }
  return OK_CONDITIONS.map(ok => failing.get(ok.type) ?? ok)
}

/** `pods. has 2 resource instances, secrets. has 1 resource instances`, sorted for stable updates. */
function counted(counts: Map<string, number>, verb: 'has' | 'in'): string {
  return [...counts]
    .map(([what, n]) => `${what} ${verb} ${n} resource instances`)
    .sort()
    .join(', ')
}

/**
 * updateConditions: a missing condition is appended, a changed one rewritten in place (its
 * transition time moves only with its status); undefined when nothing changed.
 */
function mergeConditions(
  old: NamespaceCondition[],
  wanted: Wanted[]
): NamespaceCondition[] | undefined {
  const at = now()
  const out = old.map(c => ({ ...c }))
  let changed = false
  for (const want of wanted) {
    const cur = out.find(c => c.type === want.type)
    if (!cur) {
      out.push({
        type: want.type,
        status: want.status,
        lastTransitionTime: at,
        reason: want.reason,
        message: want.message
      })
      changed = true
    } else if (
      cur.status !== want.status ||
      cur.reason !== want.reason ||
      cur.message !== want.message
    ) {
      if (cur.status !== want.status) cur.lastTransitionTime = at
      Object.assign(cur, { status: want.status, reason: want.reason, message: want.message })
      changed = true
    }
  }
  return changed ? out : undefined
}
