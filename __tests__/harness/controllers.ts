/**
 * kube-controller-manager, the parts our kinds need: Deployment -> ReplicaSets -> Pods (rolling
 * update, revisions, conditions), Job -> Pods (completions, backoffLimit, activeDeadlineSeconds),
 * Endpoints from Service selectors. Event-driven: every store change enqueues the objects it
 * concerns and the queue drains on the next turn of the event loop.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
 * https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/
 * https://kubernetes.io/docs/concepts/services-networking/service/#endpoints
 */
import type { Api } from './api.js'
import type { EventRecorder } from './events.js'
import { deepEqual } from './patch.js'
import { matchesLabelSelector } from './selectors.js'
import type { StoreEvent } from './store.js'
import {
  clone,
  isRecord,
  now,
  type Condition,
  type Deployment,
  type DeploymentStatus,
  type Job,
  type JobStatus,
  type KObject,
  type OwnerReference,
  type Pod,
  type PodTemplateSpec,
  type ReplicaSet,
  type Service
} from './types.js'

const MANAGER = 'kube-controller-manager'
/** A stand-in CA bundle: nothing in the test cluster speaks TLS. */
const TEST_CA = '-----BEGIN CERTIFICATE-----\nMIIBdGVzdC1jbHVzdGVyLWNh\n-----END CERTIFICATE-----\n'
const REVISION = 'deployment.kubernetes.io/revision'
const HASH = 'pod-template-hash'

/** JSON with sorted keys: the same template always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .filter(k => v[k] !== undefined)
      .sort()
      .map(k => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

/** FNV-32a, spelled with the consonants and digits k8s uses (rand.SafeEncodeString). */
export function templateHash(template: PodTemplateSpec): string {
  let h = 0x811c9dc5
  for (const ch of Buffer.from(canonical(template))) {
    h ^= ch
    h = Math.imul(h, 0x01000193) >>> 0
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  return [...String(h)].map(c => alphabet[c.charCodeAt(0) % alphabet.length]).join('')
}

function withoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const t = clone(template)
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH]
  }
  return t
}

function revisionOf(o: KObject): number {
  return Number(o.metadata.annotations?.[REVISION] ?? '0') || 0
}

function controllerOf(o: KObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find(r => r.controller)
}

function ownerRef(o: KObject): OwnerReference {
  return {
    apiVersion: o.apiVersion ?? '',
    kind: o.kind ?? '',
    name: o.metadata.name ?? '',
    uid: o.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true
  }
}

function isPodReady(p: Pod): boolean {
  return p.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True') === true
}

function isActive(p: Pod): boolean {
  return (
    !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'
  )
}

/** intstr.GetScaledValueFromIntOrPercent */
function scaled(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0
  if (typeof v === 'number') return v
  const m = /^(\d+)%$/.exec(v)
  if (!m) return Number(v) || 0
  const x = (Number(m[1]) * total) / 100
  return roundUp ? Math.ceil(x) : Math.floor(x)
}

function surgeAndUnavailable(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec.replicas ?? 1
  if (d.spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 }
  const ru = d.spec.strategy?.rollingUpdate ?? {}
  const maxSurge = scaled(ru.maxSurge ?? '25%', replicas, true)
  let maxUnavailable = scaled(ru.maxUnavailable ?? '25%', replicas, false)
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) }
}

/** Go's omitempty for status counters: zero is not sent. */
function omitZero<T extends object>(o: T): T {
  const out = { ...o } as Record<string, unknown>
  for (const [k, v] of Object.entries(out)) if (v === 0 || v === undefined) delete out[k]
  return out as T
}

function setCondition(conds: Condition[], c: Condition, keepUpdateTimeIfSame = true): Condition[] {
  const cur = conds.find(x => x.type === c.type)
  // SetDeploymentCondition: the same status and reason is no change at all.
  if (cur && cur.status === c.status && cur.reason === c.reason && keepUpdateTimeIfSame)
    return conds
  const next = { ...c }
  if (cur && cur.status === c.status && cur.lastTransitionTime)
    next.lastTransitionTime = cur.lastTransitionTime
  return [...conds.filter(x => x.type !== c.type), next]
}

export class Controllers {
  private readonly queue = new Map<string, () => void>()
  private scheduled = false
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly progressAt = new Map<string, number>()
  private unsubscribe: () => void = () => {}
  private running = false

  constructor(
    private readonly api: Api,
    private readonly events: EventRecorder
  ) {}

  start(): void {
    this.running = true
    this.unsubscribe = this.api.store.subscribe(e => this.onChange(e))
    for (const d of this.api.store.list(this.api.kindOf('Deployment'))) this.enqueueObject(d)
    for (const r of this.api.store.list(this.api.kindOf('ReplicaSet'))) this.enqueueObject(r)
    for (const j of this.api.store.list(this.api.kindOf('Job'))) this.enqueueObject(j)
    for (const s of this.api.store.list(this.api.kindOf('Service'))) this.enqueueObject(s)
    for (const n of this.api.store.list(this.api.kindOf('Namespace'))) this.enqueueObject(n)
  }

  stop(): void {
    this.running = false
    this.unsubscribe()
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    this.queue.clear()
  }

  /** Nothing queued. */
  get idle(): boolean {
    return this.queue.size === 0 && !this.scheduled
  }

  private onChange(e: StoreEvent): void {
    const o = e.object
    this.enqueueObject(o)
    const owner = controllerOf(o)
    const ns = o.metadata.namespace
    if (owner) this.enqueue(owner.kind, ns, owner.name)
    if (o.kind === 'Pod') {
      for (const s of this.api.store.list(this.api.kindOf('Service'), ns)) {
        const sel = (s as Service).spec?.selector
        if (sel && Object.keys(sel).length > 0) this.enqueue('Service', ns, s.metadata.name ?? '')
      }
    }
  }

  private enqueueObject(o: KObject): void {
    if (['Deployment', 'ReplicaSet', 'Job', 'Service', 'Namespace'].includes(o.kind ?? '')) {
      this.enqueue(o.kind ?? '', o.metadata.namespace, o.metadata.name ?? '')
    }
  }

  private enqueue(kind: string, ns: string | undefined, name: string): void {
    if (!this.running) return
    const key = `${kind}/${ns ?? ''}/${name}`
    if (this.queue.has(key)) return
    const sync = this.syncFor(kind, ns ?? 'default', name)
    if (!sync) return
    this.queue.set(key, sync)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.drain())
    }
  }

  private syncFor(kind: string, ns: string, name: string): (() => void) | undefined {
    switch (kind) {
      case 'Deployment':
        return () => this.syncDeployment(ns, name)
      case 'ReplicaSet':
        return () => this.syncReplicaSet(ns, name)
      case 'Job':
        return () => this.syncJob(ns, name)
      case 'Service':
        return () => this.syncEndpoints(ns, name)
      case 'Namespace':
        return () => this.syncNamespace(name)
      default:
        return undefined
    }
  }

  private drain(): void {
    this.scheduled = false
    // Items enqueued while draining run in the same pass, so a cascade settles in one turn.
    for (let guard = 0; this.queue.size > 0 && guard < 1000; guard++) {
      const [key, sync] = this.queue.entries().next().value as [string, () => void]
      this.queue.delete(key)
      try {
        sync()
      } catch (e) {
        // A controller that fails retries on the next change, as a real one requeues.
        if (process.env.HARNESS_DEBUG) console.error(`controller ${key}:`, e)
      }
    }
    if (this.queue.size > 0 && !this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.drain())
    }
  }

  private after(key: string, ms: number, fn: () => void): void {
    const old = this.timers.get(key)
    if (old) clearTimeout(old)
    const t = setTimeout(
      () => {
        this.timers.delete(key)
        if (this.running) fn()
      },
      Math.max(0, ms)
    )
    t.unref()
    this.timers.set(key, t)
  }

  private ownedPods(owner: KObject): Pod[] {
    return this.api.store
      .list(this.api.kindOf('Pod'), owner.metadata.namespace)
      .filter(p => controllerOf(p)?.uid === owner.metadata.uid) as Pod[]
  }

  private createPod(owner: KObject, template: PodTemplateSpec, namePrefix: string): void {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${namePrefix}-`,
        namespace: owner.metadata.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        ...(template.metadata?.annotations
          ? { annotations: { ...template.metadata.annotations } }
          : {}),
        ownerReferences: [ownerRef(owner)]
      },
      spec: clone(template.spec)
    }
    const created = this.api.create(this.api.kindOf('Pod'), owner.metadata.namespace, pod, {
      fieldManager: MANAGER
    })
    this.events.record(
      owner,
      'Normal',
      'SuccessfulCreate',
      `Created pod: ${created.metadata.name ?? ''}`,
      {
        component: owner.kind === 'Job' ? 'job-controller' : 'replicaset-controller'
      }
    )
  }

  private deletePod(owner: KObject, p: Pod): void {
    try {
      this.api.delete(this.api.kindOf('Pod'), p.metadata.namespace, p.metadata.name ?? '', {
        propagationPolicy: 'Background'
      })
      this.events.record(
        owner,
        'Normal',
        'SuccessfulDelete',
        `Deleted pod: ${p.metadata.name ?? ''}`,
        {
          component: owner.kind === 'Job' ? 'job-controller' : 'replicaset-controller'
        }
      )
    } catch {
      // already gone
    }
  }

  // ------------------------------------------------------------------ ReplicaSet

  private syncReplicaSet(ns: string, name: string): void {
    const rsType = this.api.kindOf('ReplicaSet')
    const rs = this.api.store.get(rsType, ns, name) as ReplicaSet | undefined
    if (!rs || rs.metadata.deletionTimestamp) return
    const want = rs.spec.replicas ?? 1
    let active = this.ownedPods(rs).filter(isActive)
    if (active.length < want) {
      for (let i = active.length; i < want; i++) this.createPod(rs, rs.spec.template, name)
    } else if (active.length > want) {
      const rank = (p: Pod): number[] => [
        p.spec.nodeName ? 1 : 0,
        p.status?.phase === 'Pending' ? 0 : p.status?.phase === 'Unknown' ? 1 : 2,
        isPodReady(p) ? 1 : 0,
        -(p.status?.containerStatuses?.reduce((n, c) => n + c.restartCount, 0) ?? 0),
        -Date.parse(p.metadata.creationTimestamp ?? '0')
      ]
      const sorted = [...active].sort((a, b) => {
        const ra = rank(a)
        const rb = rank(b)
        for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i]
        return 0
      })
      for (const p of sorted.slice(0, active.length - want)) this.deletePod(rs, p)
    }
    const owned = this.ownedPods(rs)
    active = owned.filter(isActive)
    const ready = active.filter(isPodReady)
    const minReady = (rs.spec.minReadySeconds ?? 0) * 1000
    const available = ready.filter(p => {
      if (minReady === 0) return true
      const since = Date.parse(
        p.status?.conditions?.find(c => c.type === 'Ready')?.lastTransitionTime ?? ''
      )
      const ok = Date.now() - since >= minReady
      if (!ok)
        this.after(`rs-minready/${ns}/${name}`, since + minReady - Date.now() + 5, () =>
          this.enqueue('ReplicaSet', ns, name)
        )
      return ok
    })
    const status = {
      replicas: active.length,
      ...omitZero({
        fullyLabeledReplicas: active.filter(p =>
          matchesLabelSelector(rs.spec.selector, p.metadata.labels)
        ).length,
        readyReplicas: ready.length,
        availableReplicas: available.length
      }),
      observedGeneration: rs.metadata.generation,
      terminatingReplicas: owned.filter(p => p.metadata.deletionTimestamp).length
    }
    this.api.write(rsType, { ...rs, status }, MANAGER, 'status')
  }

  // ------------------------------------------------------------------ Deployment

  private syncDeployment(ns: string, name: string): void {
    const dType = this.api.kindOf('Deployment')
    const rsType = this.api.kindOf('ReplicaSet')
    const d = this.api.store.get(dType, ns, name) as Deployment | undefined
    if (!d || d.metadata.deletionTimestamp) return
    const replicas = d.spec.replicas ?? 1
    let all = this.api.store
      .list(rsType, ns)
      .filter(r => controllerOf(r)?.uid === d.metadata.uid) as ReplicaSet[]
    const template = withoutHash(d.spec.template)
    let newRS = all.find(r => deepEqual(withoutHash(r.spec.template), template))
    const maxRevision = Math.max(0, ...all.map(revisionOf))
    let progressReason: { reason: string; message: string } | undefined
    const { maxSurge, maxUnavailable } = surgeAndUnavailable(d)

    if (!newRS) {
      const hash = templateHash(template)
      const olds = all
      const current = olds.reduce((n, r) => n + (r.spec.replicas ?? 0), 0)
      let initial = 0
      if (!d.spec.paused) {
        if (d.spec.strategy?.type === 'Recreate') initial = current === 0 ? replicas : 0
        else initial = Math.max(0, Math.min(replicas, replicas + maxSurge - current))
      }
      const rsTemplate = clone(d.spec.template)
      rsTemplate.metadata = {
        ...(rsTemplate.metadata ?? {}),
        labels: { ...(rsTemplate.metadata?.labels ?? {}), [HASH]: hash }
      }
      const rs = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace: ns,
          labels: { ...(d.spec.template.metadata?.labels ?? {}), [HASH]: hash },
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge),
            [REVISION]: String(maxRevision + 1)
          },
          ownerReferences: [ownerRef(d)]
        },
        spec: {
          replicas: initial,
          // omitempty in ReplicaSetSpec: the controller's Go client never sends a 0.
          ...(d.spec.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
          selector: {
            ...d.spec.selector,
            matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [HASH]: hash }
          },
          template: rsTemplate
        }
      }
      newRS = this.api.create(rsType, ns, rs, { fieldManager: MANAGER }) as ReplicaSet
      all = [...all, newRS]
      progressReason = {
        reason: 'NewReplicaSetCreated',
        message: `Created new replica set "${newRS.metadata.name ?? ''}"`
      }
      if (initial > 0) this.scalingEvent(d, newRS, 0, initial)
    } else if (revisionOf(newRS) < maxRevision) {
      // Rolling back to an old template: its ReplicaSet becomes the newest revision.
      newRS = this.api.write(
        rsType,
        {
          ...newRS,
          metadata: {
            ...newRS.metadata,
            annotations: { ...newRS.metadata.annotations, [REVISION]: String(maxRevision + 1) }
          }
        },
        MANAGER
      ) as ReplicaSet
      all = all.map(r => (r.metadata.uid === newRS?.metadata.uid ? (newRS as ReplicaSet) : r))
    }
    const olds = all.filter(r => r.metadata.uid !== newRS?.metadata.uid)

    // The Deployment carries the revision of its newest ReplicaSet.
    const rev = String(revisionOf(newRS))
    let current = d
    if (d.metadata.annotations?.[REVISION] !== rev) {
      current = this.api.write(
        dType,
        {
          ...d,
          metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [REVISION]: rev } }
        },
        MANAGER,
        // The deployment controller writes the revision through /status (recording 14).
        'status'
      ) as Deployment
    }

    if (!d.spec.paused) {
      if (d.spec.strategy?.type === 'Recreate') this.recreate(d, newRS, olds)
      else this.rollingUpdate(d, newRS, olds, maxSurge, maxUnavailable)
    }
    this.cleanupHistory(d, olds)
    this.syncDeploymentStatus(current, newRS.metadata.name ?? '', maxUnavailable, progressReason)
  }

  private scale(d: Deployment, rs: ReplicaSet, to: number): ReplicaSet {
    const from = rs.spec.replicas ?? 0
    if (from === to) return rs
    const replicas = d.spec.replicas ?? 1
    const { maxSurge } = surgeAndUnavailable(d)
    const next = {
      ...rs,
      metadata: {
        ...rs.metadata,
        annotations: {
          ...rs.metadata.annotations,
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge)
        }
      },
      spec: { ...rs.spec, replicas: to }
    }
    const written = this.api.write(this.api.kindOf('ReplicaSet'), next, MANAGER) as ReplicaSet
    this.scalingEvent(d, rs, from, to)
    return written
  }

  private scalingEvent(d: Deployment, rs: ReplicaSet, from: number, to: number): void {
    const dir = to > from ? 'up' : 'down'
    this.events.record(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${dir} replica set ${rs.metadata.name ?? ''} from ${from} to ${to}`,
      {
        component: 'deployment-controller'
      }
    )
  }

  private recreate(d: Deployment, newRS: ReplicaSet, olds: ReplicaSet[]): void {
    for (const r of olds) if ((r.spec.replicas ?? 0) > 0) this.scale(d, r, 0)
    const oldPods = olds.flatMap(r => this.ownedPods(r)).filter(isActive)
    if (oldPods.length === 0) this.scale(d, newRS, d.spec.replicas ?? 1)
  }

  /** deployment/rolling.go: scale the new ReplicaSet up within maxSurge, old ones down within maxUnavailable. */
  private rollingUpdate(
    d: Deployment,
    newRS: ReplicaSet,
    olds: ReplicaSet[],
    maxSurge: number,
    maxUnavailable: number
  ): void {
    const replicas = d.spec.replicas ?? 1
    const specOf = (r: ReplicaSet): number => r.spec.replicas ?? 0
    const total = (): number => specOf(newRS) + olds.reduce((n, r) => n + specOf(r), 0)
    if (specOf(newRS) > replicas) newRS = this.scale(d, newRS, replicas)
    else if (specOf(newRS) < replicas) {
      const room = replicas + maxSurge - total()
      if (room > 0)
        newRS = this.scale(d, newRS, specOf(newRS) + Math.min(room, replicas - specOf(newRS)))
    }
    const oldCount = olds.reduce((n, r) => n + specOf(r), 0)
    if (oldCount === 0) return
    const minAvailable = replicas - maxUnavailable
    const newUnavailable = specOf(newRS) - (newRS.status?.availableReplicas ?? 0)
    let maxScaledDown = total() - minAvailable - newUnavailable
    if (maxScaledDown <= 0) return
    const byAge = [...olds].sort((a, b) => revisionOf(a) - revisionOf(b))
    // First the old pods that are not available anyway.
    for (let i = 0; i < byAge.length && maxScaledDown > 0; i++) {
      const r = byAge[i]
      const unhealthy = specOf(r) - (r.status?.availableReplicas ?? 0)
      if (unhealthy <= 0) continue
      const down = Math.min(unhealthy, maxScaledDown)
      byAge[i] = this.scale(d, r, specOf(r) - down)
      maxScaledDown -= down
    }
    const available = [newRS, ...byAge].reduce(
      (n, r) => n + Math.min(r.status?.availableReplicas ?? 0, specOf(r)),
      0
    )
    let budget = available - minAvailable
    for (let i = 0; i < byAge.length && budget > 0; i++) {
      const r = byAge[i]
      if (specOf(r) === 0) continue
      const down = Math.min(specOf(r), budget)
      byAge[i] = this.scale(d, r, specOf(r) - down)
      budget -= down
    }
  }

  private cleanupHistory(d: Deployment, olds: ReplicaSet[]): void {
    const limit = d.spec.revisionHistoryLimit ?? 10
    const idle = olds
      .map(
        r =>
          this.api.store.get(
            this.api.kindOf('ReplicaSet'),
            r.metadata.namespace,
            r.metadata.name ?? ''
          ) as ReplicaSet | undefined
      )
      .filter(
        (r): r is ReplicaSet =>
          !!r && (r.spec.replicas ?? 0) === 0 && (r.status?.replicas ?? 0) === 0
      )
      .sort((a, b) => revisionOf(a) - revisionOf(b))
    for (const r of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        this.api.delete(
          this.api.kindOf('ReplicaSet'),
          r.metadata.namespace,
          r.metadata.name ?? '',
          { propagationPolicy: 'Background' }
        )
      } catch {
        // already gone
      }
    }
  }

  /** deployment/sync.go calculateStatus + progress.go syncRolloutStatus, condition by condition. */
  private syncDeploymentStatus(
    d: Deployment,
    newRSName: string,
    maxUnavailable: number,
    created?: { reason: string; message: string }
  ): void {
    const dType = this.api.kindOf('Deployment')
    const rsType = this.api.kindOf('ReplicaSet')
    const all = this.api.store
      .list(rsType, d.metadata.namespace)
      .filter(r => controllerOf(r)?.uid === d.metadata.uid) as ReplicaSet[]
    const newRS = all.find(r => r.metadata.name === newRSName)
    const replicas = d.spec.replicas ?? 1
    const sum = (f: (r: ReplicaSet) => number): number => all.reduce((n, r) => n + f(r), 0)
    const statusReplicas = sum(r => r.status?.replicas ?? 0)
    const updated = newRS?.status?.replicas ?? 0
    const ready = sum(r => r.status?.readyReplicas ?? 0)
    const available = sum(r => r.status?.availableReplicas ?? 0)
    const desired = sum(r => r.spec.replicas ?? 0)
    const terminating = sum(r => r.status?.terminatingReplicas ?? 0)
    const prev = d.status ?? {}
    const at = now()
    let conditions = [...(prev.conditions ?? [])]
    if (created) {
      // getNewReplicaSet records the new ReplicaSet before the rollout status is computed.
      conditions = setCondition(conditions, {
        type: 'Progressing',
        status: 'True',
        ...created,
        lastUpdateTime: at,
        lastTransitionTime: at
      })
    }
    const uid = d.metadata.uid ?? ''
    if (created) this.progressAt.set(uid, Date.now())
    conditions = setCondition(
      conditions,
      available >= replicas - maxUnavailable
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
            lastUpdateTime: at,
            lastTransitionTime: at
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
            lastUpdateTime: at,
            lastTransitionTime: at
          }
    )
    const deadlineMs =
      d.spec.progressDeadlineSeconds !== undefined
        ? d.spec.progressDeadlineSeconds * 1000
        : undefined
    const cur = conditions.find(c => c.type === 'Progressing')
    const complete = updated === replicas && statusReplicas === replicas && available === replicas
    const oldReplicas = (s: DeploymentStatus): number =>
      (s.replicas ?? 0) - (s.updatedReplicas ?? 0)
    const progressed =
      updated > (prev.updatedReplicas ?? 0) ||
      statusReplicas - updated < oldReplicas(prev) ||
      ready > (prev.readyReplicas ?? 0) ||
      available > (prev.availableReplicas ?? 0)
    // A finished rollout is not looked at again until a new one starts (isCompleteDeployment).
    const settled = statusReplicas === updated && cur?.reason === 'NewReplicaSetAvailable'
    if (d.spec.paused) {
      conditions = setCondition(conditions, {
        type: 'Progressing',
        status: 'Unknown',
        reason: 'DeploymentPaused',
        message: 'Deployment is paused',
        lastUpdateTime: at,
        lastTransitionTime: at
      })
    } else if (deadlineMs !== undefined && !settled) {
      if (complete) {
        conditions = setCondition(conditions, {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${newRSName}" has successfully progressed.`,
          lastUpdateTime: at,
          lastTransitionTime: at
        })
      } else if (progressed) {
        const c: Condition = {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: `ReplicaSet "${newRSName}" is progressing.`,
          lastUpdateTime: at,
          lastTransitionTime:
            cur?.status === 'True' && cur.lastTransitionTime ? cur.lastTransitionTime : at
        }
        conditions = [...conditions.filter(x => x.type !== 'Progressing'), c]
        this.progressAt.set(uid, Date.now())
      } else if (cur && cur.reason !== 'NewReplicaSetAvailable') {
        const since = this.progressAt.get(uid) ?? Date.parse(cur.lastUpdateTime ?? at)
        if (cur.reason === 'ProgressDeadlineExceeded' || since + deadlineMs <= Date.now()) {
          conditions = setCondition(conditions, {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${newRSName}" has timed out progressing.`,
            lastUpdateTime: at,
            lastTransitionTime: at
          })
        }
      }
      const p = conditions.find(c => c.type === 'Progressing')
      if (p && p.status === 'True' && p.reason !== 'NewReplicaSetAvailable') {
        const since = this.progressAt.get(uid) ?? Date.now()
        const ns = d.metadata.namespace ?? 'default'
        const name = d.metadata.name ?? ''
        this.after(`deadline/${uid}`, since + deadlineMs - Date.now() + 1, () =>
          this.enqueue('Deployment', ns, name)
        )
      }
    }
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation,
      ...omitZero({
        replicas: statusReplicas,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: available,
        unavailableReplicas: Math.max(0, desired - available)
      }),
      terminatingReplicas: terminating,
      conditions
    }
    if (prev.collisionCount !== undefined) status.collisionCount = prev.collisionCount
    const latest = this.api.store.get(dType, d.metadata.namespace, d.metadata.name ?? '')
    if (!latest) return
    this.api.write(dType, { ...latest, status }, MANAGER, 'status')
  }

  // ------------------------------------------------------------------ Job

  private syncJob(ns: string, name: string): void {
    const jType = this.api.kindOf('Job')
    const job = this.api.store.get(jType, ns, name) as Job | undefined
    if (!job || job.metadata.deletionTimestamp) return
    const conds = job.status?.conditions ?? []
    const finished = conds.some(
      c => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'
    )
    const pods = this.ownedPods(job)
    const active = pods.filter(isActive)
    if (finished) {
      for (const p of active) this.deletePod(job, p)
      return
    }
    const status: JobStatus = { ...(job.status ?? {}) }
    const at = now()
    status.startTime = status.startTime ?? (job.spec.suspend ? undefined : at)
    const succeeded = pods.filter(p => p.status?.phase === 'Succeeded').length
    const failed = pods.filter(p => p.status?.phase === 'Failed').length
    const completions = job.spec.completions ?? 1
    const parallelism = job.spec.parallelism ?? 1
    const backoffLimit = job.spec.backoffLimit ?? 6
    let failure: { reason: string; message: string } | undefined
    if (failed > backoffLimit)
      failure = {
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit'
      }
    const deadline = job.spec.activeDeadlineSeconds
    if (!failure && deadline !== undefined && status.startTime) {
      const left = Date.parse(status.startTime) + deadline * 1000 - Date.now()
      if (left <= 0)
        failure = {
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline'
        }
      else
        this.after(`job-deadline/${job.metadata.uid ?? ''}`, left + 1, () =>
          this.enqueue('Job', ns, name)
        )
    }
    let newConds = [...conds]
    let stillActive = active
    if (failure) {
      for (const p of active) this.deletePod(job, p)
      stillActive = []
      newConds = setCondition(newConds, {
        type: 'FailureTarget',
        status: 'True',
        ...failure,
        lastProbeTime: at,
        lastTransitionTime: at
      })
      newConds = setCondition(newConds, {
        type: 'Failed',
        status: 'True',
        ...failure,
        lastProbeTime: at,
        lastTransitionTime: at
      })
      this.events.record(job, 'Warning', failure.reason, failure.message, {
        component: 'job-controller'
      })
    } else if (succeeded >= completions) {
      newConds = setCondition(newConds, {
        type: 'SuccessCriteriaMet',
        status: 'True',
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
        lastProbeTime: at,
        lastTransitionTime: at
      })
      newConds = setCondition(newConds, {
        type: 'Complete',
        status: 'True',
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
        lastProbeTime: at,
        lastTransitionTime: at
      })
      status.completionTime = at
      this.events.record(job, 'Normal', 'Completed', 'Job completed', {
        component: 'job-controller'
      })
    } else if (!job.spec.suspend) {
      const want = Math.min(parallelism, completions - succeeded)
      for (let i = active.length; i < want; i++) this.createPod(job, job.spec.template, name)
      stillActive = this.ownedPods(job).filter(isActive)
    }
    const next: JobStatus = {
      ...(newConds.length > 0 ? { conditions: newConds } : {}),
      ...(status.startTime ? { startTime: status.startTime } : {}),
      ...(status.completionTime ? { completionTime: status.completionTime } : {}),
      ...omitZero({ active: stillActive.length, succeeded, failed }),
      terminating: 0,
      uncountedTerminatedPods: {},
      ready: stillActive.filter(isPodReady).length
    }
    this.api.write(jType, { ...job, status: next }, MANAGER, 'status')
  }

  // ------------------------------------------------------------------ Namespace

  /**
   * What every new namespace gets (recording 13): the root-ca-cert-publisher's kube-root-ca.crt
   * ConfigMap and the serviceaccounts controller's `default` ServiceAccount.
   */
  private syncNamespace(name: string): void {
    const namespace = this.api.store.get(this.api.kindOf('Namespace'), undefined, name)
    if (!namespace || namespace.metadata.deletionTimestamp) return
    const cm = this.api.kindOf('ConfigMap')
    if (!this.api.store.get(cm, name, 'kube-root-ca.crt')) {
      this.api.write(
        cm,
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'kube-root-ca.crt',
            namespace: name,
            annotations: {
              'kubernetes.io/description':
                'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.'
            }
          },
          data: { 'ca.crt': TEST_CA }
        },
        'kube-controller-manager'
      )
    }
    const sa = this.api.kindOf('ServiceAccount')
    if (!this.api.store.get(sa, name, 'default')) {
      this.api.write(
        sa,
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'default', namespace: name }
        },
        'kube-controller-manager'
      )
    }
  }

  // ------------------------------------------------------------------ Endpoints

  private syncEndpoints(ns: string, name: string): void {
    const epType = this.api.kindOf('Endpoints')
    const svc = this.api.store.get(this.api.kindOf('Service'), ns, name) as Service | undefined
    const existing = this.api.store.get(epType, ns, name)
    if (!svc) {
      if (existing) this.api.store.delete(epType, ns, name)
      return
    }
    const selector = svc.spec?.selector
    if (!selector || Object.keys(selector).length === 0) return
    const pods = (this.api.store.list(this.api.kindOf('Pod'), ns) as Pod[]).filter(
      p =>
        p.status?.podIP &&
        !p.metadata.deletionTimestamp &&
        isActive(p) &&
        matchesLabelSelector({ matchLabels: selector }, p.metadata.labels)
    )
    const address = (p: Pod): Record<string, unknown> => ({
      ip: p.status?.podIP,
      nodeName: p.spec.nodeName,
      targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid }
    })
    const ports = (svc.spec.ports ?? []).map(sp => {
      let port: number | undefined = typeof sp.targetPort === 'number' ? sp.targetPort : undefined
      if (typeof sp.targetPort === 'string') {
        for (const p of pods) {
          for (const c of p.spec.containers) {
            const found = c.ports?.find(cp => cp.name === sp.targetPort)
            if (found) port = found.containerPort
          }
        }
      }
      return {
        ...(sp.name ? { name: sp.name } : {}),
        port: port ?? sp.port,
        protocol: sp.protocol ?? 'TCP'
      }
    })
    const ready = pods.filter(isPodReady).map(address)
    const notReady = pods.filter(p => !isPodReady(p)).map(address)
    const subsets =
      ready.length + notReady.length > 0
        ? [
            {
              ...(ready.length ? { addresses: ready } : {}),
              ...(notReady.length ? { notReadyAddresses: notReady } : {}),
              ports
            }
          ]
        : undefined
    const ep = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        ...(existing?.metadata ?? {}),
        name,
        namespace: ns,
        labels: { ...(svc.metadata.labels ?? {}) }
      },
      ...(subsets ? { subsets } : {})
    }
    if (existing && deepEqual({ ...existing, metadata: undefined }, { ...ep, metadata: undefined }))
      return
    this.api.write(epType, ep, 'endpoint-controller')
  }
}
