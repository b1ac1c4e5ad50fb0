/**
 * A command's time on the cluster: connected, holding the app's lock (one run per app and
 * namespace), with the run's phase recorded where a person or a later run can read it. Closing
 * releases the lock and the connection, whatever happened.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Cluster } from '../k8s/client.js'
import { ANNOTATION_PHASE } from '../k8s/labels.js'
import { acquireLock, type Lock } from '../k8s/lock.js'
import { mergePatch } from '../k8s/objects.js'
import type { Settings } from '../settings.js'
import { connectAndReach } from './connection.js'
import { errorMessage } from './errors.js'
import type { Stage } from './stage.js'
import type { CommandContext } from './types.js'

export type Phase = 'building' | 'migrating' | 'canary' | 'smoke' | 'ready' | 'promoting' | 'failed'

export interface Session {
  cluster: Cluster
  /** Aborted when the run is cancelled or, once locked, the lock is lost to another run. */
  signal: AbortSignal
  /**
   * Takes the app's lock. Commands read and check first, then lock, then write: a refusal or a
   * bad name writes nothing at all, not even a Lease.
   */
  lock(): Promise<void>
  /** Records the phase on the given release Deployments (annotation canary-deploy.dev/phase). */
  phase(phase: Phase, deployments: string[]): Promise<void>
  close(): Promise<void>
}

/**
 * Who holds the lock, as another run reads it: the run's source, made unique per process, so two
 * jobs of one workflow run (or two shells on one commit) never mistake each other's lock for theirs.
 */
export function lockHolder(settings: Settings): string {
  const { run } = settings
  const attempt = run.inActions ? `.${run.runAttempt}` : ''
  const job = run.job ? ` job:${run.job}` : ''
  return `${run.source}${attempt}${job} ${hostname()}:${process.pid}-${randomBytes(3).toString('hex')}`
}

export async function openSession(
  settings: Settings,
  context: CommandContext,
  stage: Stage
): Promise<Session> {
  const { logger } = context
  const early = context.connection
  const cluster = await stage('connect', async detail => {
    const reached = early ? early.reached : connectAndReach(settings, context, logger)
    const { cluster: connected, version } = await reached.finally(() => early?.logger.release())
    detail(`${connected.server} (Kubernetes ${version})`)
    return connected
  })
  let lock: Lock | undefined
  const session: Session = {
    cluster,
    signal: context.signal,
    async lock() {
      lock = await stage('lock', async detail => {
        const held = await acquireLock(cluster, {
          app: settings.app,
          holder: lockHolder(settings),
          timeoutMs: settings.lockTimeoutMs,
          logger,
          signal: context.signal
        })
        detail(`held by ${held.holder}`)
        return held
      })
      session.signal = AbortSignal.any([context.signal, lock.lost])
      context.checkpoint?.({ lockHolder: lock.holder })
    },
    async phase(phase, deployments) {
      for (const name of deployments) {
        try {
          // A merge patch, not an apply: it must not change which fields our apply owns.
          await mergePatch(
            cluster,
            { kind: 'Deployment', name },
            { metadata: { annotations: { [ANNOTATION_PHASE]: phase } } }
          )
        } catch (error) {
          logger.warning(`could not record phase ${phase} on ${name}: ${errorMessage(error)}`)
        }
      }
    },
    async close() {
      await lock?.release()
      if (lock) context.checkpoint?.({ lockHolder: undefined })
      cluster.dispose()
    }
  }
  return session
}
