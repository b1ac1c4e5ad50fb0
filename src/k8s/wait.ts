/**
 * Waiting for a rollout, a Job or any one object's state, by watching (one LIST, then WATCH; no polling), with the
 * pods watched alongside so a failure that waiting cannot cure ends the wait at once, with its
 * diagnosis. One progress line per real change.
 */
import type { KubernetesObject, V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node'
import type { Logger } from '../logger.js'
import type { Cluster } from './client.js'
import { currentPods, rolloutStatus } from './deployments.js'
import { jobFailureVerdict, jobPodSelector, jobStatus } from './jobs.js'
import { type Finding, type Verdict, completeFinding, findPodProblems } from './pods.js'
import type { ObjectRef } from './objects.js'
import { defaultApiVersion, knownResource, resourceInfo, resourcePath } from './resources.js'
import { selectorString } from './selectors.js'
import type { Backoff } from './retry.js'
import { Informer, type InformerSpec } from './watch.js'

export interface WaitOptions {
  timeoutMs: number
  logger: Logger
  signal?: AbortSignal
  /** Explain a failure or timeout from the pods (and their logs); default true. */
  diagnose?: boolean
  /** Resume a watch that said nothing for this long; default 60 s (tests use ~300 ms). */
  stallMs?: number
  /** Backoff for 429/5xx/refused; default 200 ms doubling to 10 s, jittered. */
  backoff?: Backoff
  /**
   * When our change was made (epoch ms); a ProgressDeadlineExceeded condition from before it is
   * stale and ignored. Default: when the wait started.
   */
  since?: number
}

export type WaitFailure = 'timeout' | 'failed' | 'aborted'

/** A wait that ended without success: why, what was last seen, and the diagnosis. */
export class WaitError extends Error {
  constructor(
    message: string,
    readonly kind: WaitFailure,
    readonly lastSeen: string,
    readonly verdict?: Verdict
  ) {
    super(message)
    this.name = 'WaitError'
  }
}

type ClusterLike = Pick<Cluster, 'kubeConfig' | 'server' | 'namespace'> & { disposed?: AbortSignal }

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`
}

/**
 * The machinery every wait shares: a deadline, the caller's abort signal, informers that run
 * until the wait settles, one progress line per change, and the diagnosis when it fails.
 */
class Waiter {
  readonly controller = new AbortController()
  lastSeen = 'nothing yet'
  private lastProgress = ''
  private settled = false
  private timer: NodeJS.Timeout | undefined
  private resolveWait!: () => void
  private rejectWait!: (err: Error) => void
  readonly done: Promise<void>
  /** Problems the pods show right now, for a timeout's diagnosis. */
  currentFindings: () => Finding[] = () => []

  constructor(
    readonly cluster: ClusterLike,
    readonly opts: WaitOptions,
    /** `deployment web-canary`, for messages. */
    readonly what: string
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveWait = resolve
      this.rejectWait = reject
    })
    this.timer = setTimeout(() => void this.timeout(), opts.timeoutMs)
    const onAbort = (): void => {
      const reason: unknown = opts.signal?.aborted
        ? opts.signal.reason
        : this.cluster.disposed?.reason
      const why = reason instanceof Error ? reason.message : reason ? String(reason) : 'aborted'
      this.settle(
        new WaitError(
          `stopped waiting for ${this.what} (${why}); last seen: ${this.lastSeen}`,
          'aborted',
          this.lastSeen
        )
      )
    }
    for (const signal of [opts.signal, cluster.disposed]) {
      if (signal?.aborted) queueMicrotask(onAbort)
      signal?.addEventListener('abort', onAbort, { once: true })
    }
    this.controller.signal.addEventListener('abort', () => {
      for (const signal of [opts.signal, cluster.disposed])
        signal?.removeEventListener('abort', onAbort)
    })
  }

  get isSettled(): boolean {
    return this.settled
  }

  informer<T extends KubernetesObject>(
    spec: InformerSpec,
    onChange: (inf: Informer<T>) => void
  ): Informer<T> {
    const inf: Informer<T> = new Informer<T>(this.cluster, spec, {
      signal: this.controller.signal,
      stallMs: this.opts.stallMs,
      backoff: this.opts.backoff,
      debug: m => this.opts.logger.debug(m),
      onChange: () => {
        if (!this.settled) onChange(inf)
      }
    })
    inf.run().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err)
      this.settle(
        new WaitError(`cannot wait for ${this.what}: ${message}`, 'failed', this.lastSeen)
      )
    })
    return inf
  }

  progress(line: string): void {
    if (line === this.lastProgress || this.settled) return
    this.lastProgress = line
    this.opts.logger.info(line)
  }

  succeed(): void {
    this.settle(undefined)
  }

  /** Ends the wait with a failure; its diagnosis (with logs) is fetched first. */
  fail(headline: string, finding: Finding | undefined): void {
    if (this.settled) return
    this.stopWatching()
    void this.explain(finding)
      .catch(() => undefined)
      .then(verdict => {
        const message = verdict ? `${headline}: ${verdict.message}` : headline
        this.settle(new WaitError(message, 'failed', this.lastSeen, verdict))
      })
  }

  /** Ends the wait with a failure whose verdict is already complete. */
  failWith(headline: string, verdict: Verdict): void {
    this.settle(new WaitError(`${headline}: ${verdict.message}`, 'failed', this.lastSeen, verdict))
  }

  private async explain(finding: Finding | undefined): Promise<Verdict | undefined> {
    if (!finding) return undefined
    if (this.opts.diagnose === false)
      return {
        certain: finding.certain,
        reason: finding.reason,
        message: finding.message,
        pod: finding.pod
      }
    return completeFinding(this.cluster, this.cluster.namespace, finding)
  }

  private async timeout(): Promise<void> {
    if (this.settled) return
    this.stopWatching()
    const finding = this.opts.diagnose === false ? undefined : this.currentFindings()[0]
    const verdict = await this.explain(finding).catch(() => undefined)
    const message =
      `timed out after ${seconds(this.opts.timeoutMs)} waiting for ${this.what}; last seen: ${this.lastSeen}` +
      (verdict ? `\n${verdict.message}` : '')
    this.settle(new WaitError(message, 'timeout', this.lastSeen, verdict))
  }

  /** Closes every watch (they end on the controller's signal). */
  private stopWatching(): void {
    clearTimeout(this.timer)
    if (!this.controller.signal.aborted) this.controller.abort()
  }

  private settle(err: Error | undefined): void {
    if (this.settled) return
    this.settled = true
    this.stopWatching()
    if (err) this.rejectWait(err)
    else this.resolveWait()
  }

  /** Marks as settled-in-progress so no other outcome wins while a diagnosis is fetched. */
  claim(): boolean {
    if (this.settled || this.controller.signal.aborted) return false
    this.stopWatching()
    return true
  }
}

function podSpec(cluster: ClusterLike, labelSelector: string): InformerSpec {
  return {
    path: resourcePath(knownResource('Pod'), cluster.namespace),
    resource: 'pods',
    namespace: cluster.namespace,
    labelSelector
  }
}

/** Resolves when the Deployment has rolled out (kubectl's predicate); rejects fast on a certain pod failure. */
export function waitForRollout(
  cluster: ClusterLike,
  name: string,
  opts: WaitOptions
): Promise<void> {
  const waiter = new Waiter(cluster, opts, `deployment ${name} to roll out`)
  const since = opts.since ?? Date.now()
  let deployment: V1Deployment | undefined
  let pods: Informer<V1Pod> | undefined
  let failing = false
  const podList = (): V1Pod[] => currentPods(deployment, [...(pods?.items.values() ?? [])])
  waiter.currentFindings = () => findPodProblems(podList())

  const checkPods = (): void => {
    if (failing) return
    const certain = findPodProblems(podList()).find(f => f.certain)
    if (certain) {
      failing = true
      waiter.fail(`deployment ${name} cannot become available`, certain)
    }
  }

  waiter.informer<V1Deployment>(
    {
      path: resourcePath(knownResource('Deployment'), cluster.namespace),
      resource: 'deployments',
      namespace: cluster.namespace,
      fieldSelector: `metadata.name=${name}`
    },
    inf => {
      if (failing) return
      deployment = inf.items.get(name)
      if (!deployment) {
        failing = true
        waiter.fail(`deployment ${name} not found in namespace ${cluster.namespace}`, undefined)
        return
      }
      if (!pods) {
        const selector = selectorString(deployment.spec?.selector)
        if (selector) pods = waiter.informer<V1Pod>(podSpec(cluster, selector), checkPods)
      }
      const state = rolloutStatus(deployment, since)
      waiter.lastSeen = state.message
      waiter.progress(`${name}: ${state.ready}/${state.desired} ready`)
      if (state.done) waiter.succeed()
      else if (state.failed) {
        failing = true
        waiter.fail(state.failed, findPodProblems(podList())[0])
      } else checkPods()
    }
  )
  return waiter.done
}

/** Resolves when the Job completes; rejects as soon as it fails (or its pods cannot run), with the diagnosis. */
export function waitForJob(cluster: ClusterLike, name: string, opts: WaitOptions): Promise<void> {
  const waiter = new Waiter(cluster, opts, `job ${name} to complete`)
  let job: V1Job | undefined
  let pods: Informer<V1Pod> | undefined
  let failing = false
  const podList = (): V1Pod[] => [...(pods?.items.values() ?? [])]
  waiter.currentFindings = () => findPodProblems(podList())

  const check = (): void => {
    if (failing || !job) return
    const state = jobStatus(job)
    waiter.lastSeen = state.message
    waiter.progress(`${name}: ${state.message}`)
    if (state.done) {
      waiter.succeed()
      return
    }
    if (state.failed) {
      failing = true
      const failedJob = job
      if (!waiter.claim()) return
      void (
        opts.diagnose === false
          ? Promise.resolve<Verdict>({
              certain: true,
              reason: 'Failed',
              message: `job ${name} failed`
            })
          : jobFailureVerdict(cluster, cluster.namespace, failedJob, podList())
      )
        .catch(() => undefined)
        .then(verdict =>
          waiter.failWith(
            `job ${name} failed`,
            verdict ?? {
              certain: true,
              reason: 'Failed',
              message: `job ${name} failed (${state.message})`
            }
          )
        )
      return
    }
    const certain = findPodProblems(podList()).find(f => f.certain && f.reason !== 'Error')
    if (certain) {
      failing = true
      waiter.fail(`job ${name} cannot run`, certain)
    }
  }

  waiter.informer<V1Job>(
    {
      path: resourcePath(knownResource('Job'), cluster.namespace),
      resource: 'jobs',
      namespace: cluster.namespace,
      fieldSelector: `metadata.name=${name}`
    },
    inf => {
      if (failing) return
      job = inf.items.get(name)
      if (!job) {
        failing = true
        waiter.fail(`job ${name} not found in namespace ${cluster.namespace}`, undefined)
        return
      }
      if (!pods) pods = waiter.informer<V1Pod>(podSpec(cluster, jobPodSelector(job)), check)
      check()
    }
  )
  return waiter.done
}

/** What a wait for one object makes of it as it is now (undefined: it does not exist). */
export type ObjectVerdict =
  { state: 'done' } | { state: 'failed'; message: string } | { state: 'pending'; message: string }

/**
 * Resolves once `judge` says the object is done; rejects at once with its message when it says
 * failed, and on timeout with the last pending message. The object is watched by name (one LIST,
 * then WATCH), so each change is judged as it happens, never polled.
 */
export async function waitForObject<T extends KubernetesObject>(
  cluster: ClusterLike,
  ref: ObjectRef,
  /** `HTTPRoute shop/web generation 4 to be accepted`, for messages. */
  what: string,
  judge: (object: T | undefined) => ObjectVerdict,
  opts: WaitOptions
): Promise<void> {
  const info = await resourceInfo(
    cluster,
    ref.apiVersion ?? defaultApiVersion(ref.kind) ?? '',
    ref.kind
  )
  const namespace = ref.namespace ?? cluster.namespace
  const waiter = new Waiter(cluster, { ...opts, diagnose: false }, what)
  waiter.informer<T>(
    {
      path: resourcePath(info, namespace),
      resource: info.plural,
      namespace,
      fieldSelector: `metadata.name=${ref.name}`
    },
    inf => {
      const verdict = judge(inf.items.get(ref.name))
      if (verdict.state === 'done') waiter.succeed()
      else if (verdict.state === 'failed') waiter.fail(verdict.message, undefined)
      else {
        waiter.lastSeen = verdict.message
        waiter.progress(verdict.message)
      }
    }
  )
  return waiter.done
}
