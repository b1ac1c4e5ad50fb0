/**
 * The scheduler and one node's kubelet, scripted: each pod that arrives unscheduled is bound to
 * the node and then runs the behaviour the test chose for it, with the pod status, events and
 * logs a real kubelet reports for that outcome. Pods seeded already bound (spec.nodeName set)
 * are left as given.
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
 * https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/
 */
import http, { type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { V1Pod } from '@kubernetes/client-node'
import type { Api } from './api.js'
import type { EventRecorder } from './events.js'
import type { PodRuntime } from './server.js'
import { badRequest } from './status.js'
import type { StoreEvent } from './store.js'
import {
  now,
  type Container,
  type ContainerStatus,
  type Pod,
  type PodCondition,
  type PodStatus
} from './types.js'

export type PodBehaviour =
  | { kind: 'ready' }
  | { kind: 'hold' }
  | { kind: 'crashloop'; exitCode?: number; logs?: string[] }
  | { kind: 'imagepull' }
  | { kind: 'unschedulable'; message?: string }
  | { kind: 'oomkilled' }
  | { kind: 'readiness-fail' }
  | { kind: 'config-error'; message?: string }
  | { kind: 'succeed'; logs?: string[]; afterMs?: number }
  | { kind: 'fail'; exitCode?: number; logs?: string[]; afterMs?: number }

export interface PodMatch {
  image?: string | RegExp
  pod?: string | RegExp
  label?: Record<string, string>
}

export interface Kubelet {
  /** later rules win; applies to existing and future pods */
  behave(match: PodMatch, behaviour: PodBehaviour): void
  /** 'hold' pods matching become Ready now, and held terminations (holdTermination) finish */
  release(match: PodMatch): void
  /** pods matching that are deleted gracefully stay Terminating until release() */
  holdTermination(match: PodMatch): void
  /** what GET .../log returns */
  logs(match: PodMatch, lines: string[]): void
  /** a real HTTP server on 127.0.0.1 per matching pod, reached through the API server's pod proxy */
  serve(match: PodMatch, handler: (pod: V1Pod) => RequestListener): void
  /** pod Failed with reason Evicted */
  evict(match: PodMatch): void
}

const NODE = 'test-node'
const HOST_IP = '172.18.0.2'
const KUBELET = { component: 'kubelet', host: NODE }
const SCHEDULER = { component: 'default-scheduler' }

type Stage = 'unscheduled' | 'creating' | 'started' | 'done'

interface PodRun {
  ns: string
  name: string
  uid: string
  stage: Stage
  behaviour: PodBehaviour
  timers: Set<NodeJS.Timeout>
  oneShots: number
  restarts: number
  server?: http.Server
  port?: number
  startedAt?: string
}

function matches(m: PodMatch, pod: Pod): boolean {
  const test = (want: string | RegExp, v: string): boolean =>
    typeof want === 'string' ? want === v : want.test(v)
  if (m.pod !== undefined && !test(m.pod, pod.metadata.name ?? '')) return false
  if (m.image !== undefined) {
    const img = m.image
    if (!pod.spec.containers.some(c => test(img, c.image ?? ''))) return false
  }
  if (m.label) {
    const labels = pod.metadata.labels ?? {}
    if (!Object.entries(m.label).every(([k, v]) => labels[k] === v)) return false
  }
  return true
}

/** `nginx:1` -> `docker.io/library/nginx:1`, as containerd names an image. */
function normalizeImage(image: string): string {
  const first = image.split('/')[0]
  let full = image
  if (!image.includes('/')) full = `docker.io/library/${image}`
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost')
    full = `docker.io/${image}`
  const last = full.split('/').pop() ?? ''
  if (!last.includes(':') && !full.includes('@')) full += ':latest'
  return full
}

function pull(image: string): string {
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${normalizeImage(image)}": failed to resolve reference "${normalizeImage(image)}": ${normalizeImage(image)}: not found`
}

export class FakeKubelet implements Kubelet, PodRuntime {
  private readonly rules: { match: PodMatch; behaviour: PodBehaviour }[] = []
  private readonly logRules: { match: PodMatch; lines: string[] }[] = []
  private readonly serveRules: { match: PodMatch; handler: (pod: V1Pod) => RequestListener }[] = []
  private readonly runs = new Map<string, PodRun>()
  /** pods marked for deletion, awaiting removal */
  private readonly terminating = new Map<string, NodeJS.Timeout>()
  private readonly terminationHolds: PodMatch[] = []
  /** terminations held by holdTermination, by pod uid */
  private readonly heldTerminations = new Map<string, Pod>()
  private unsubscribe: () => void = () => {}
  private stopped = false

  constructor(
    private readonly api: Api,
    private readonly events: EventRecorder,
    private readonly podStartMs: number
  ) {}

  private get cycleMs(): number {
    return Math.max(50, this.podStartMs * 3)
  }

  start(): void {
    this.unsubscribe = this.api.store.subscribe(e => this.onChange(e))
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe()
    for (const run of this.runs.values()) this.teardown(run)
    this.runs.clear()
    for (const t of this.terminating.values()) clearTimeout(t)
    this.terminating.clear()
  }

  /** No scheduled pod transition is pending (recurring crash and probe cycles do not count). */
  get idle(): boolean {
    if (this.terminating.size > 0) return false
    for (const r of this.runs.values()) if (r.oneShots > 0) return false
    return true
  }

  // ------------------------------------------------------------------ public hooks

  behave(match: PodMatch, behaviour: PodBehaviour): void {
    this.rules.push({ match, behaviour })
    for (const run of this.runs.values()) {
      const pod = this.pod(run)
      if (!pod || !matches(match, pod) || run.stage === 'done') continue
      run.behaviour = behaviour
      this.clearTimers(run)
      if (run.stage === 'unscheduled') this.schedule(run)
      else if (run.stage === 'creating') this.afterStart(run)
      else this.runBehaviour(run)
    }
  }

  release(match: PodMatch): void {
    for (let i = this.terminationHolds.length - 1; i >= 0; i--)
      if (JSON.stringify(this.terminationHolds[i]) === JSON.stringify(match))
        this.terminationHolds.splice(i, 1)
    for (const [uid, pod] of [...this.heldTerminations]) {
      if (!matches(match, pod)) continue
      this.heldTerminations.delete(uid)
      this.finishDeletion(pod)
    }
    for (const run of this.runs.values()) {
      const pod = this.pod(run)
      if (!pod || !matches(match, pod)) continue
      if (run.stage === 'creating' && run.behaviour.kind === 'hold') {
        run.behaviour = { kind: 'ready' }
        this.runBehaviour(run)
      }
    }
  }

  holdTermination(match: PodMatch): void {
    this.terminationHolds.push(match)
  }

  logs(match: PodMatch, lines: string[]): void {
    this.logRules.push({ match, lines })
  }

  serve(match: PodMatch, handler: (pod: V1Pod) => RequestListener): void {
    this.serveRules.push({ match, handler })
    for (const run of this.runs.values()) if (run.stage === 'started') this.startServer(run)
  }

  evict(match: PodMatch): void {
    for (const run of this.runs.values()) {
      const pod = this.pod(run)
      if (!pod || !matches(match, pod) || run.stage === 'done') continue
      this.clearTimers(run)
      this.evictRun(run)
    }
  }

  // ------------------------------------------------------------------ PodRuntime

  readLogs(pod: Pod, q: URLSearchParams): string {
    // pkg/registry/core/pod validateContainer: init containers may be named too.
    const names = pod.spec.containers.map(c => c.name)
    const initNames = (pod.spec.initContainers ?? []).map(c => c.name)
    const container = q.get('container') ?? (names.length === 1 ? names[0] : undefined)
    if (!container) {
      const init =
        initNames.length > 0 ? ` or one of the init containers: [${initNames.join(' ')}]` : ''
      throw badRequest(
        `a container name must be specified for pod ${pod.metadata.name ?? ''}, choose one of: [${names.join(' ')}]${init}`
      )
    }
    if (!names.includes(container) && !initNames.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${pod.metadata.name ?? ''}`)
    }
    const cs = pod.status?.containerStatuses?.find(c => c.name === container)
    const previous = q.get('previous') === 'true'
    if (previous) {
      if (!cs || !cs.lastState.terminated) {
        throw badRequest(
          `previous terminated container "${container}" in pod "${pod.metadata.name ?? ''}" not found`
        )
      }
    } else if (cs?.state.waiting && !cs.lastState.terminated) {
      throw badRequest(
        `container "${container}" in pod "${pod.metadata.name ?? ''}" is waiting to start: ${cs.state.waiting.reason ?? 'ContainerCreating'}`
      )
    }
    let lines = this.linesFor(pod)
    const tail = q.get('tailLines')
    if (tail !== null && Number(tail) >= 0)
      lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail))
    if (q.get('timestamps') === 'true') {
      const at = cs?.state.running?.startedAt ?? cs?.lastState.terminated?.finishedAt ?? now()
      lines = lines.map(l => `${at.replace('Z', '.000000000Z')} ${l}`)
    }
    let text = lines.map(l => `${l}\n`).join('')
    const limit = q.get('limitBytes')
    if (limit !== null) text = Buffer.from(text).subarray(0, Number(limit)).toString()
    return text
  }

  private linesFor(pod: Pod): string[] {
    for (let i = this.logRules.length - 1; i >= 0; i--)
      if (matches(this.logRules[i].match, pod)) return this.logRules[i].lines
    const run = this.runs.get(pod.metadata.uid ?? '')
    const b = run?.behaviour ?? this.behaviourFor(pod)
    if ('logs' in b && b.logs) return b.logs
    return []
  }

  /**
   * The local port of the pod's server for a numeric container port (or none: the first declared
   * one), as kube-apiserver v1.36 dials podIP:port. Port names are not resolved (recording 49): the
   * server refuses them before asking.
   */
  proxyPort(pod: Pod, port: string | undefined): number | undefined {
    const run = this.runs.get(pod.metadata.uid ?? '')
    if (!run?.port) return undefined
    const declared = pod.spec.containers.flatMap(c => c.ports ?? [])
    if (
      port !== undefined &&
      declared.length > 0 &&
      !declared.some(p => String(p.containerPort) === port)
    ) {
      return undefined
    }
    return run.port
  }

  // ------------------------------------------------------------------ lifecycle

  private behaviourFor(pod: Pod): PodBehaviour {
    for (let i = this.rules.length - 1; i >= 0; i--)
      if (matches(this.rules[i].match, pod)) return this.rules[i].behaviour
    return { kind: 'ready' }
  }

  private onChange(e: StoreEvent): void {
    if (this.stopped || e.resource.kind !== 'Pod') return
    const pod = e.object as Pod
    const uid = pod.metadata.uid ?? ''
    if (e.type === 'DELETED') {
      const run = this.runs.get(uid)
      if (run) {
        this.teardown(run)
        this.runs.delete(uid)
      }
      return
    }
    if (pod.metadata.deletionTimestamp && pod.spec.nodeName) {
      this.finishDeletion(pod)
      return
    }
    if (e.type === 'ADDED' && !pod.spec.nodeName && !this.runs.has(uid)) {
      const run: PodRun = {
        ns: pod.metadata.namespace ?? 'default',
        name: pod.metadata.name ?? '',
        uid,
        stage: 'unscheduled',
        behaviour: this.behaviourFor(pod),
        timers: new Set(),
        oneShots: 0,
        restarts: 0
      }
      this.runs.set(uid, run)
      // The scheduler acts after the create returns, as the real one watches for it.
      this.once(run, 0, () => this.schedule(run))
    }
  }

  /** Stops a pod marked for deletion and removes it, as the kubelet confirms a graceful delete. */
  private finishDeletion(pod: Pod): void {
    const uid = pod.metadata.uid ?? ''
    if (this.terminating.has(uid) || this.heldTerminations.has(uid)) return
    if (this.terminationHolds.some(m => matches(m, pod))) {
      this.heldTerminations.set(uid, pod)
      return
    }
    const run = this.runs.get(uid)
    if (run) {
      this.clearTimers(run)
      this.stopServer(run)
      run.stage = 'done'
    }
    const t = setTimeout(
      () => {
        this.terminating.delete(uid)
        if (this.stopped) return
        const live = this.api.store.get(
          this.api.kindOf('Pod'),
          pod.metadata.namespace,
          pod.metadata.name ?? ''
        )
        if (live?.metadata.uid === uid)
          this.api.store.delete(
            this.api.kindOf('Pod'),
            pod.metadata.namespace,
            pod.metadata.name ?? ''
          )
      },
      Math.min(this.podStartMs, (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000)
    )
    this.terminating.set(uid, t)
  }

  private pod(run: PodRun): Pod | undefined {
    return this.api.store.get(this.api.kindOf('Pod'), run.ns, run.name) as Pod | undefined
  }

  private once(run: PodRun, ms: number, fn: () => void): void {
    run.oneShots++
    const t = setTimeout(() => {
      run.timers.delete(t)
      run.oneShots--
      if (!this.stopped && this.runs.has(run.uid)) fn()
    }, ms)
    run.timers.add(t)
  }

  private every(run: PodRun, ms: number, fn: () => void): void {
    const t = setInterval(() => {
      if (!this.stopped && this.runs.has(run.uid)) fn()
    }, ms)
    t.unref()
    run.timers.add(t)
  }

  private clearTimers(run: PodRun): void {
    for (const t of run.timers) {
      clearTimeout(t)
      clearInterval(t)
    }
    run.timers.clear()
    run.oneShots = 0
  }

  private teardown(run: PodRun): void {
    this.clearTimers(run)
    run.server?.close()
    run.server?.closeAllConnections()
    run.server = undefined
  }

  private writeStatus(
    run: PodRun,
    build: (pod: Pod, at: string) => PodStatus,
    spec?: Partial<Pod['spec']>
  ): Pod | undefined {
    const pod = this.pod(run)
    if (!pod) return undefined
    const at = now()
    const t = this.api.kindOf('Pod')
    if (spec) this.api.write(t, { ...pod, spec: { ...pod.spec, ...spec } }, 'kube-scheduler')
    const latest = this.pod(run) ?? pod
    return this.api.write(t, { ...latest, status: build(latest, at) }, 'kubelet', 'status') as Pod
  }

  private schedule(run: PodRun): void {
    const b = run.behaviour
    if (b.kind === 'unschedulable') {
      const message =
        b.message ??
        '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.'
      const pod = this.writeStatus(run, (_p, at) => ({
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message,
            lastProbeTime: null,
            lastTransitionTime: at
          }
        ],
        qosClass: 'BestEffort'
      }))
      if (pod) this.events.record(pod, 'Warning', 'FailedScheduling', message, SCHEDULER)
      run.stage = 'unscheduled'
      return
    }
    const bound = this.writeStatus(
      run,
      (p, at) => ({
        phase: 'Pending',
        conditions: conditions(p, at, {
          ready: false,
          sandbox: false,
          reason: 'ContainersNotReady'
        }),
        hostIP: HOST_IP,
        startTime: at,
        containerStatuses: p.spec.containers.map(c => waiting(c, 'ContainerCreating')),
        qosClass: 'BestEffort'
      }),
      { nodeName: NODE }
    )
    if (!bound) return
    this.events.record(
      bound,
      'Normal',
      'Scheduled',
      `Successfully assigned ${run.ns}/${run.name} to ${NODE}`,
      SCHEDULER
    )
    run.stage = 'creating'
    this.afterStart(run)
  }

  private afterStart(run: PodRun): void {
    if (run.behaviour.kind === 'hold') return
    this.once(run, this.podStartMs, () => this.runBehaviour(run))
  }

  private runBehaviour(run: PodRun): void {
    const b = run.behaviour
    const pod = this.pod(run)
    if (!pod) return
    const restartAlways = (pod.spec.restartPolicy ?? 'Always') === 'Always'
    switch (b.kind) {
      case 'ready':
      case 'hold':
        this.markRunning(run, true)
        break
      case 'readiness-fail':
        this.markRunning(run, false)
        this.probeFailure(run)
        this.every(run, this.cycleMs, () => this.probeFailure(run))
        break
      case 'crashloop':
        this.crash(run, b.exitCode ?? 1, 'Error')
        this.every(run, this.cycleMs, () => this.crash(run, b.exitCode ?? 1, 'Error'))
        break
      case 'oomkilled':
        this.crash(run, 137, 'OOMKilled')
        this.every(run, this.cycleMs, () => this.crash(run, 137, 'OOMKilled'))
        break
      case 'imagepull':
        this.imagePull(run)
        break
      case 'config-error':
        this.configError(run, b.message)
        break
      case 'unschedulable':
        this.schedule(run)
        break
      case 'succeed':
      case 'fail': {
        const exitCode = b.kind === 'succeed' ? 0 : (b.exitCode ?? 1)
        if (b.kind === 'fail' && restartAlways) {
          run.behaviour = { kind: 'crashloop', exitCode, logs: b.logs }
          this.runBehaviour(run)
          return
        }
        if (run.stage !== 'started') this.markRunning(run, true)
        this.once(run, b.afterMs ?? this.podStartMs, () => this.terminate(run, exitCode))
        break
      }
    }
  }

  private markRunning(run: PodRun, ready: boolean): void {
    const podIP = this.pod(run)?.status?.podIP ?? this.api.nextPodIP()
    run.startedAt = run.startedAt ?? now()
    const startedAt = run.startedAt
    const pod = this.writeStatus(run, (p, at) => ({
      ...base(p),
      phase: 'Running',
      conditions: conditions(p, at, { ready, sandbox: true, reason: 'ContainersNotReady' }),
      podIP,
      podIPs: [{ ip: podIP }],
      containerStatuses: p.spec.containers.map(c => ({
        ...identity(c),
        ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt } },
        lastState: {}
      }))
    }))
    if (!pod) return
    if (run.stage !== 'started') {
      for (const c of pod.spec.containers) {
        const fp = `spec.containers{${c.name}}`
        this.events.record(
          pod,
          'Normal',
          'Pulled',
          `Container image "${c.image ?? ''}" already present on machine`,
          KUBELET,
          fp
        )
        this.events.record(pod, 'Normal', 'Created', `Created container: ${c.name}`, KUBELET, fp)
        this.events.record(pod, 'Normal', 'Started', `Started container ${c.name}`, KUBELET, fp)
      }
    }
    run.stage = 'started'
    this.startServer(run)
  }

  private probeFailure(run: PodRun): void {
    const pod = this.pod(run)
    if (!pod) return
    for (const c of pod.spec.containers) {
      const probe = c.readinessProbe
      if (!probe) continue
      let output = 'HTTP probe failed with statuscode: 503'
      if (!probe.httpGet && probe.tcpSocket)
        output = `dial tcp ${pod.status?.podIP ?? ''}:${String(probe.tcpSocket.port)}: connect: connection refused`
      if (!probe.httpGet && probe.exec) output = 'command failed with exit code 1'
      this.events.record(
        pod,
        'Warning',
        'Unhealthy',
        `Readiness probe failed: ${output}`,
        KUBELET,
        `spec.containers{${c.name}}`
      )
    }
  }

  private crash(run: PodRun, exitCode: number, reason: string): void {
    run.restarts++
    const podIP = this.pod(run)?.status?.podIP ?? this.api.nextPodIP()
    const backoff = Math.min(300, 10 * 2 ** (run.restarts - 1))
    const finishedAt = now()
    const startedAt = run.startedAt ?? finishedAt
    run.startedAt = finishedAt
    const pod = this.writeStatus(run, (p, at) => ({
      ...base(p),
      phase: 'Running',
      conditions: conditions(p, at, { ready: false, sandbox: true, reason: 'ContainersNotReady' }),
      podIP,
      podIPs: [{ ip: podIP }],
      containerStatuses: p.spec.containers.map((c, i) => ({
        ...identity(c),
        ready: false,
        started: false,
        restartCount: i === 0 ? run.restarts : 0,
        state:
          i === 0
            ? {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off ${backoff}s restarting failed container=${c.name} pod=${p.metadata.name ?? ''}_${p.metadata.namespace ?? ''}(${p.metadata.uid ?? ''})`
                }
              }
            : { running: { startedAt } },
        lastState:
          i === 0
            ? {
                terminated: {
                  exitCode,
                  reason,
                  startedAt,
                  finishedAt,
                  containerID: `fake://${c.name}`
                }
              }
            : {}
      }))
    }))
    if (!pod) return
    run.stage = 'started'
    const c = pod.spec.containers[0]
    this.events.record(
      pod,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`,
      KUBELET,
      `spec.containers{${c.name}}`
    )
  }

  private imagePull(run: PodRun): void {
    const pod = this.writeStatus(run, (p, at) => ({
      ...base(p),
      phase: 'Pending',
      conditions: conditions(p, at, { ready: false, sandbox: true, reason: 'ContainersNotReady' }),
      containerStatuses: p.spec.containers.map(c => waiting(c, 'ErrImagePull', pull(c.image ?? '')))
    }))
    if (!pod) return
    for (const c of pod.spec.containers) {
      const fp = `spec.containers{${c.name}}`
      this.events.record(pod, 'Normal', 'Pulling', `Pulling image "${c.image ?? ''}"`, KUBELET, fp)
      this.events.record(
        pod,
        'Warning',
        'Failed',
        `Failed to pull image "${c.image ?? ''}": ${pull(c.image ?? '')}`,
        KUBELET,
        fp
      )
      this.events.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', KUBELET, fp)
    }
    this.once(run, this.cycleMs, () => {
      const p2 = this.writeStatus(run, (p, at) => ({
        ...base(p),
        phase: 'Pending',
        conditions: conditions(p, at, {
          ready: false,
          sandbox: true,
          reason: 'ContainersNotReady'
        }),
        containerStatuses: p.spec.containers.map(c =>
          waiting(
            c,
            'ImagePullBackOff',
            `Back-off pulling image "${c.image ?? ''}": ErrImagePull: ${pull(c.image ?? '')}`
          )
        )
      }))
      if (!p2) return
      for (const c of p2.spec.containers) {
        const fp = `spec.containers{${c.name}}`
        this.events.record(
          p2,
          'Normal',
          'BackOff',
          `Back-off pulling image "${c.image ?? ''}"`,
          KUBELET,
          fp
        )
        this.events.record(p2, 'Warning', 'Failed', 'Error: ImagePullBackOff', KUBELET, fp)
      }
    })
  }

  private configError(run: PodRun, given?: string): void {
    const current = this.pod(run)
    if (!current) return
    const message = given ?? this.missingReference(current)
    const pod = this.writeStatus(run, (p, at) => ({
      ...base(p),
      phase: 'Pending',
      conditions: conditions(p, at, { ready: false, sandbox: true, reason: 'ContainersNotReady' }),
      containerStatuses: p.spec.containers.map(c =>
        waiting(c, 'CreateContainerConfigError', message)
      )
    }))
    if (pod)
      this.events.record(
        pod,
        'Warning',
        'Failed',
        `Error: ${message}`,
        KUBELET,
        `spec.containers{${pod.spec.containers[0].name}}`
      )
  }

  /** The first Secret or ConfigMap the containers reference that does not exist. */
  private missingReference(pod: Pod): string {
    const ns = pod.metadata.namespace
    const refs: { kind: 'secret' | 'configmap'; name: string }[] = []
    for (const c of pod.spec.containers) {
      for (const e of c.envFrom ?? []) {
        if (e.secretRef?.name) refs.push({ kind: 'secret', name: e.secretRef.name })
        if (e.configMapRef?.name) refs.push({ kind: 'configmap', name: e.configMapRef.name })
      }
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef?.name)
          refs.push({ kind: 'secret', name: e.valueFrom.secretKeyRef.name })
        if (e.valueFrom?.configMapKeyRef?.name)
          refs.push({ kind: 'configmap', name: e.valueFrom.configMapKeyRef.name })
      }
    }
    const exists = (r: { kind: string; name: string }): boolean =>
      this.api.store.get(
        this.api.kindOf(r.kind === 'secret' ? 'Secret' : 'ConfigMap'),
        ns,
        r.name
      ) !== undefined
    const missing = refs.find(r => !exists(r)) ?? refs[0] ?? { kind: 'secret', name: 'missing' }
    return `${missing.kind} "${missing.name}" not found`
  }

  private terminate(run: PodRun, exitCode: number): void {
    const startedAt = run.startedAt ?? now()
    const finishedAt = now()
    const phase = exitCode === 0 ? 'Succeeded' : 'Failed'
    this.writeStatus(run, (p, at) => ({
      ...base(p),
      phase,
      // The recorded kubelet leaves a finished pod with the scheduler's condition only (46, 47).
      conditions: conditions(p, at, { ready: false, sandbox: false, reason: '' }).filter(
        c => c.type === 'PodScheduled'
      ),
      containerStatuses: p.spec.containers.map(c => ({
        ...identity(c),
        ready: false,
        started: false,
        restartCount: 0,
        state: {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? 'Completed' : 'Error',
            startedAt,
            finishedAt,
            containerID: `fake://${c.name}`
          }
        },
        lastState: {}
      }))
    }))
    run.stage = 'done'
    this.stopServer(run)
  }

  private evictRun(run: PodRun): void {
    const message =
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi. Container app was using 512Mi, request is 0, has larger consumption of request. '
    const finishedAt = now()
    const pod = this.writeStatus(run, (p, at) => ({
      ...base(p),
      phase: 'Failed',
      reason: 'Evicted',
      message,
      conditions: [
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'TerminationByKubelet',
          message,
          lastProbeTime: null,
          lastTransitionTime: at
        },
        ...conditions(p, at, { ready: false, sandbox: false, reason: 'PodFailed' })
      ],
      containerStatuses: p.spec.containers.map(c => ({
        ...identity(c),
        ready: false,
        started: false,
        restartCount: run.restarts,
        state: {
          terminated: {
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'The container could not be located when the pod was terminated',
            startedAt: run.startedAt ?? finishedAt,
            finishedAt
          }
        },
        lastState: {}
      }))
    }))
    if (pod) this.events.record(pod, 'Warning', 'Evicted', message, KUBELET)
    run.stage = 'done'
    this.stopServer(run)
  }

  private startServer(run: PodRun): void {
    if (run.server) return
    const pod = this.pod(run)
    if (!pod) return
    let rule: (typeof this.serveRules)[number] | undefined
    for (let i = this.serveRules.length - 1; i >= 0 && !rule; i--)
      if (matches(this.serveRules[i].match, pod)) rule = this.serveRules[i]
    if (!rule) return
    const server = http.createServer(rule.handler(pod as unknown as V1Pod))
    run.server = server
    server.listen(0, '127.0.0.1', () => {
      if (run.server === server) run.port = (server.address() as AddressInfo).port
    })
    server.unref()
  }

  private stopServer(run: PodRun): void {
    run.server?.close()
    run.server?.closeAllConnections()
    run.server = undefined
    run.port = undefined
  }

  /** Servers still binding (for settle()). */
  get serversStarting(): boolean {
    for (const r of this.runs.values()) if (r.server && r.port === undefined) return true
    return false
  }
}

function base(p: Pod): PodStatus {
  const s = p.status ?? {}
  return {
    hostIP: s.hostIP ?? HOST_IP,
    ...(s.podIP ? { podIP: s.podIP, podIPs: [{ ip: s.podIP }] } : {}),
    startTime: s.startTime ?? now(),
    qosClass: s.qosClass ?? 'BestEffort'
  } as PodStatus
}

function identity(
  c: Container
): Pick<ContainerStatus, 'name' | 'image' | 'imageID' | 'containerID'> {
  // The recorded cluster's kubelet (recording 33): the image as the spec names it, fake:// IDs.
  const image = c.image ?? ''
  return { name: c.name, image, imageID: `fake://${image}`, containerID: `fake://${c.name}` }
}

function waiting(c: Container, reason: string, message?: string): ContainerStatus {
  return {
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: { waiting: message ? { reason, message } : { reason } },
    lastState: {}
  }
}

function conditions(
  p: Pod,
  at: string,
  s: { ready: boolean; sandbox: boolean; reason: string }
): PodCondition[] {
  const prev = p.status?.conditions ?? []
  const c = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const status = ok ? 'True' : 'False'
    const old = prev.find(x => x.type === type)
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime:
        old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : at,
      ...(reason && !ok ? { reason } : {}),
      ...(message && !ok ? { message } : {})
    }
  }
  const unready = p.spec.containers.map(x => x.name).join(' ')
  const msg =
    s.reason === 'ContainersNotReady' ? `containers with unready status: [${unready}]` : undefined
  return [
    c('Initialized', true),
    c('Ready', s.ready, s.reason, msg),
    c('ContainersReady', s.ready, s.reason, msg),
    c('PodScheduled', true)
  ]
}
