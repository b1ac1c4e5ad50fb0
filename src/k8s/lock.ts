/**
 * One run per app and namespace: a coordination.k8s.io/v1 Lease named lockName(app). Taken by
 * creating it, or by replacing an expired one under its resourceVersion (so of two runs racing for
 * it, exactly one wins); renewed while held; deleted on release only if it is still ours.
 */
import type { Cluster } from './client.js'
import { type Attempt, type KubeError, httpError } from './errors.js'
import { lockName } from './labels.js'
import type { Logger } from '../logger.js'
import { type Connection, type RestResponse, send } from './rest.js'
import { knownResource, resourcePath } from './resources.js'
import { backoffDelay, isTransient, sleep } from './retry.js'
import { formatMs } from '../validate.js'

export interface AcquireLockOptions {
  app: string
  /** Who we are, as other runs will read it: `owner/repo run:<id>`. */
  holder: string
  /** How long to wait for another live holder before failing. */
  timeoutMs: number
  /** How long the lease lives without renewal (default 60 s); renewed every third of it. */
  leaseDurationSeconds?: number
  logger: Logger
  /** Stops the wait (a cancelled workflow). */
  signal?: AbortSignal
}

export interface Lock {
  holder: string
  /** Deletes the Lease if it is still ours. Idempotent; never throws (a failure is a warning). */
  release(): Promise<void>
  /** Aborted when a renewal finds the Lease gone or held by someone else. */
  lost: AbortSignal
}

export interface LeaseSpec {
  holderIdentity?: string
  leaseDurationSeconds?: number
  acquireTime?: string
  renewTime?: string
  leaseTransitions?: number
}

export interface Lease {
  apiVersion: 'coordination.k8s.io/v1'
  kind: 'Lease'
  metadata: {
    name: string
    namespace?: string
    resourceVersion?: string
    uid?: string
    labels?: Record<string, string>
  }
  spec?: LeaseSpec
}

type ClusterLike = Pick<Cluster, 'kubeConfig' | 'server' | 'namespace'>

export const DEFAULT_LEASE_DURATION_SECONDS = 60
/** The longest pause between two looks at a lease held by someone else. */
const MAX_POLL_MS = 2_000
const POLL_BACKOFF = { baseMs: 200, capMs: MAX_POLL_MS }

/** MicroTime as kube-apiserver writes it: RFC 3339 with exactly six fractional digits, UTC. */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/** When the lease stops protecting its holder: last renewal (or acquisition) + its duration. */
export function leaseExpiry(spec: LeaseSpec | undefined): number {
  const last = Date.parse(spec?.renewTime ?? spec?.acquireTime ?? '')
  if (Number.isNaN(last)) return 0
  return last + (spec?.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS) * 1000
}

function leasesPath(namespace: string, name?: string): string {
  return resourcePath(knownResource('Lease'), namespace, name)
}

function parseLease(res: RestResponse): Lease {
  return JSON.parse(res.text) as Lease
}

class LeaseClient {
  constructor(
    private readonly conn: Connection,
    readonly namespace: string,
    readonly name: string
  ) {}

  private attempt(verb: string): Attempt {
    return { verb, resource: 'leases', namespace: this.namespace, name: this.name }
  }

  /** The lease, or undefined when there is none. */
  async get(): Promise<Lease | undefined> {
    const res = await send(
      this.conn,
      { method: 'GET', path: leasesPath(this.namespace, this.name) },
      this.attempt('get')
    )
    if (res.status === 404) return undefined
    if (res.status !== 200) throw this.error(res, 'get')
    return parseLease(res)
  }

  /** Creates the lease; undefined when one already exists (409 AlreadyExists). */
  async create(spec: LeaseSpec): Promise<Lease | undefined> {
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'canary-deploy' }
      },
      spec
    }
    const res = await send(
      this.conn,
      { method: 'POST', path: leasesPath(this.namespace), body },
      this.attempt('create')
    )
    if (res.status === 409) return undefined
    if (res.status !== 201 && res.status !== 200) throw this.error(res, 'create')
    return parseLease(res)
  }

  /** Replaces the lease if it is still at lease's resourceVersion; undefined on 409 Conflict. */
  async replace(lease: Lease, spec: LeaseSpec): Promise<Lease | undefined> {
    const body: Lease = { ...lease, spec }
    const res = await send(
      this.conn,
      { method: 'PUT', path: leasesPath(this.namespace, this.name), body },
      this.attempt('update')
    )
    if (res.status === 409 || res.status === 404) return undefined
    if (res.status !== 200) throw this.error(res, 'update')
    return parseLease(res)
  }

  /** Deletes the lease only if it is exactly `lease` (uid and resourceVersion): 'deleted', 'gone' or 'changed'. */
  async deleteIfUnchanged(lease: Lease): Promise<'deleted' | 'gone' | 'changed'> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: lease.metadata.uid, resourceVersion: lease.metadata.resourceVersion }
    }
    const res = await send(
      this.conn,
      { method: 'DELETE', path: leasesPath(this.namespace, this.name), body },
      this.attempt('delete')
    )
    if (res.status === 404) return 'gone'
    if (res.status === 409) return 'changed'
    if (res.status !== 200 && res.status !== 202) throw this.error(res, 'delete')
    return 'deleted'
  }

  /** A status we do not handle ourselves, in words (403 names the verb and resource). */
  private error(res: RestResponse, verb: string): KubeError {
    return httpError(
      res.status,
      res.text,
      res.headers['retry-after'],
      this.attempt(verb),
      this.conn.server
    )
  }
}

/** Takes the lock for opts.app in cluster.namespace, waiting up to opts.timeoutMs for another run to finish. */
export async function acquireLock(cluster: ClusterLike, opts: AcquireLockOptions): Promise<Lock> {
  const name = lockName(opts.app)
  const leases = new LeaseClient(cluster, cluster.namespace, name)
  const durationSeconds = opts.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS
  const deadline = Date.now() + opts.timeoutMs
  const fresh = (transitions: number): LeaseSpec => {
    const now = microTime()
    return {
      holderIdentity: opts.holder,
      leaseDurationSeconds: durationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: transitions
    }
  }

  /** The live lease of another run, as last read: named in the failure. */
  let lastSeen: Lease | undefined
  let announced = false
  for (let poll = 0; ; poll++) {
    opts.signal?.throwIfAborted()
    let held: Lease | undefined
    let waitingFor: Lease | undefined
    try {
      const outcome = await tryAcquire()
      if ('ours' in outcome) held = outcome.ours
      else waitingFor = outcome.heldBy
    } catch (err) {
      if (!isTransient(err) || Date.now() >= deadline) throw err
      opts.logger.debug(
        `lock ${name}: ${err instanceof Error ? err.message : String(err)}; trying again`
      )
    }
    if (held) return startHolding(leases, held, durationSeconds, opts)
    if (waitingFor) lastSeen = waitingFor

    const remaining = deadline - Date.now()
    if (remaining <= 0) {
      const spec = lastSeen?.spec
      throw new Error(
        `another run holds the lock ${name}: ${spec?.holderIdentity ?? 'unknown holder'} (since ${spec?.acquireTime ?? 'unknown'}); waited ${formatMs(opts.timeoutMs)}`
      )
    }
    if (waitingFor && !announced) {
      announced = true
      opts.logger.info(
        `waiting up to ${formatMs(opts.timeoutMs)} for ${waitingFor.spec?.holderIdentity ?? 'another run'} to release the lock ${name}`
      )
    }
    let delay = Math.min(backoffDelay(poll, POLL_BACKOFF), remaining)
    // Look again no later than the moment the holder's lease would expire.
    if (waitingFor)
      delay = Math.min(delay, Math.max(1, leaseExpiry(waitingFor.spec) - Date.now() + 50))
    await sleep(delay, opts.signal)
  }

  /** One attempt: the lease when it is now ours, the other run's when it holds it, {} to try again. */
  async function tryAcquire(): Promise<{ ours: Lease } | { heldBy?: Lease }> {
    const created = await leases.create(fresh(0))
    if (created) return { ours: created }
    const existing = await leases.get()
    if (!existing) return {} // deleted between our create and our get
    const spec = existing.spec ?? {}
    if (spec.holderIdentity === opts.holder) {
      // Our own earlier lease (a re-run of the same run): keep it, renewed.
      const renewed = await leases.replace(existing, {
        ...spec,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime()
      })
      return renewed ? { ours: renewed } : {}
    }
    const free = !spec.holderIdentity
    if (!free && leaseExpiry(spec) >= Date.now()) return { heldBy: existing }
    // Expired or released: replace it under its resourceVersion, so of two racing runs one wins.
    const taken = await leases.replace(existing, fresh((spec.leaseTransitions ?? 0) + 1))
    if (!taken) return {}
    if (!free) {
      opts.logger.warning(
        `took over the expired lock ${name} from ${spec.holderIdentity} (last renewed ${spec.renewTime ?? spec.acquireTime ?? 'never'}); that run stopped renewing it`
      )
    }
    return { ours: taken }
  }
}

/**
 * Keeps `holder`'s lock on `app` for `seconds` from now, if it is still theirs (renewed under its
 * resourceVersion): the post step of a killed run that left something for a person to put right.
 * False when the lock is not theirs (gone, or another run's).
 */
export async function extendLock(
  cluster: ClusterLike,
  opts: { app: string; holder: string; seconds: number }
): Promise<boolean> {
  const leases = new LeaseClient(cluster, cluster.namespace, lockName(opts.app))
  const lease = await leases.get()
  if (!lease || lease.spec?.holderIdentity !== opts.holder) return false
  const spec = { ...lease.spec, renewTime: microTime(), leaseDurationSeconds: opts.seconds }
  return (await leases.replace(lease, spec)) !== undefined
}

/** Renews the lease every third of its duration until released or lost. */
function startHolding(
  leases: LeaseClient,
  acquired: Lease,
  durationSeconds: number,
  opts: AcquireLockOptions
): Lock {
  const { logger, holder } = opts
  const lostController = new AbortController()
  let current = acquired
  // When the lease was last confirmed ours: past this + its duration, another run may take it.
  let confirmedAt = Date.now()
  let timer: NodeJS.Timeout | undefined
  let renewing: Promise<void> | undefined
  let released: Promise<void> | undefined
  let stopped = false

  const lose = (why: string): void => {
    stopped = true
    logger.warning(`lost the lock ${leases.name}: ${why}`)
    lostController.abort(new Error(`lost the lock ${leases.name}: ${why}`))
  }

  const renew = async (): Promise<void> => {
    for (let tries = 0; tries < 3 && !stopped; tries++) {
      const spec = {
        ...current.spec,
        holderIdentity: holder,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime()
      }
      const renewed = await leases.replace(current, spec)
      if (renewed) {
        current = renewed
        confirmedAt = Date.now()
        return
      }
      // Conflict or gone: look again before deciding whether it is still ours.
      const latest = await leases.get()
      if (!latest) return lose('the Lease was deleted')
      if (latest.spec?.holderIdentity !== holder)
        return lose(`it is now held by ${latest.spec?.holderIdentity ?? 'nobody'}`)
      current = latest
    }
  }

  const schedule = (): void => {
    if (stopped) return
    timer = setTimeout(
      () => {
        renewing = renew()
          .catch((err: unknown) => {
            const why = err instanceof Error ? err.message : String(err)
            // Unrenewed past its duration, the lease is fair game for another run: stop writing.
            if (Date.now() - confirmedAt >= durationSeconds * 1000) {
              lose(`it could not be renewed for ${durationSeconds} s (${why})`)
            } else {
              logger.warning(`could not renew the lock ${leases.name}: ${why}`)
            }
          })
          .finally(() => {
            renewing = undefined
            schedule()
          })
      },
      (durationSeconds * 1000) / 3
    )
    // A lock must never be the reason the process stays alive.
    timer.unref()
  }
  schedule()

  const releaseOnce = async (): Promise<void> => {
    stopped = true
    clearTimeout(timer)
    await renewing
    // A lost lock is someone else's now: nothing of ours to delete.
    if (lostController.signal.aborted) return
    try {
      for (let tries = 0; tries < 3; tries++) {
        const outcome = await leases.deleteIfUnchanged(current)
        if (outcome !== 'changed') return
        const latest = await leases.get()
        if (!latest) return
        if (latest.spec?.holderIdentity !== holder) {
          logger.warning(
            `did not release the lock ${leases.name}: it is now held by ${latest.spec?.holderIdentity ?? 'nobody'}`
          )
          return
        }
        current = latest
      }
      logger.warning(
        `did not release the lock ${leases.name}: it kept changing; it expires on its own`
      )
    } catch (err) {
      logger.warning(
        `could not release the lock ${leases.name} (it expires on its own within ${durationSeconds} s): ${err instanceof Error ? err.message : String(err)}`
      )
    }
  }

  return {
    holder,
    lost: lostController.signal,
    release: () => (released ??= releaseOnce())
  }
}
