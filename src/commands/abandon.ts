/**
 * abandon (the action's post step, always run): when the main step was killed outright (a cancelled
 * job past its grace period), it never got to clean up. From what it recorded (context.abandoned):
 * its GitHub deployment is marked failed; a promotion under way is put back from the undo log it
 * kept; the release a deploy had applied is taken back as its strategy plans it
 * (rollback-on-failure); and its lock is released if still its own. A promotion that cannot be put
 * back fails the post step, naming what is left, and keeps the lock, so no run writes over it.
 */
import { lockName } from '../k8s/labels.js'
import { extendLock, type Lease } from '../k8s/lock.js'
import { read, remove } from '../k8s/objects.js'
import { carryOut } from '../release/execute.js'
import { clusterReads } from '../release/reads.js'
import { strategyFor } from '../release/strategies.js'
import { putBack } from '../release/undo.js'
import type { Settings } from '../settings.js'
import { failAbandonedDeployment } from './deployment-status.js'
import { errorMessage } from './errors.js'
import { placeFacts, runFrame, type Frame } from './frame.js'
import { readStables } from './release.js'
import type { Session } from './session.js'
import type { CommandHandler, RunState } from './types.js'

export const abandon: CommandHandler = (settings, context) =>
  runFrame(
    settings,
    context,
    { title: 'post-step clean-up', facts: placeFacts(settings) },
    async frame => {
      const { report, logger } = frame
      const state = context.abandoned ?? { applied: [], promoting: [] }
      if (state.deployment) await failAbandonedDeployment(settings, context, state.deployment)
      if (state.applied.length === 0 && state.promoting.length === 0 && !state.lockHolder) {
        report.status = 'no-op'
        report.reason =
          'the main step did not finish, but it had written nothing: nothing to clean up'
        logger.info(report.reason)
        return {}
      }
      const session = await frame.session()
      const { cluster } = session
      if (state.promoting.length > 0) await finishRestore(frame, session, state)
      if (state.applied.length > 0 && !settings.rollbackOnFailure) {
        logger.warning(
          `The main step did not finish; ${state.applied.join(', ')} left in place (rollback-on-failure: false).`
        )
      } else if (state.applied.length > 0) {
        const reads = clusterReads(cluster, settings)
        const planner = await strategyFor(settings.strategy).observe(
          reads,
          await readStables(reads, settings)
        )
        // The strategy knows everything a deploy adds (releases, canary Services, Ingresses).
        const removed = await carryOut(cluster, planner.discard(), { logger })
        logger.warning(
          `The main step did not finish: removed ${removed.join('; ') || 'nothing (already gone)'}.`
        )
        report.facts.push(['removed', removed.join('; ') || 'nothing'])
      }
      // The killed run's lock would otherwise block the next run until the Lease expires.
      if (state.lockHolder) {
        const lease = await read<Lease>(cluster, leaseRef(settings))
        if (lease?.spec?.holderIdentity === state.lockHolder)
          await remove(cluster, leaseRef(settings))
      }
      return {}
    }
  )

/** A day: long enough for a person to look, bounded should nobody. */
const HELD_FOR_A_PERSON_SECONDS = 86_400

const leaseRef = (settings: Settings) => ({
  kind: 'Lease',
  apiVersion: 'coordination.k8s.io/v1',
  name: lockName(settings.app)
})

/**
 * Keeps the killed run's lock, if still its own, renewed for a day: a lock left as it was would
 * expire within a minute and let the next run write over what is left half put back.
 */
async function holdLock(session: Session, settings: Settings, holder?: string): Promise<string> {
  const name = `${lockName(settings.app)} (namespace ${settings.cluster.namespace})`
  let held = false
  try {
    held =
      holder !== undefined &&
      (await extendLock(session.cluster, {
        app: settings.app,
        holder,
        seconds: HELD_FOR_A_PERSON_SECONDS
      }))
  } catch (error) {
    return `The lock ${name} could not be kept (${errorMessage(error)}): it expires within its duration`
  }
  return held
    ? `The lock ${name} stays held for a day so no run writes over it: delete that Lease once they are back`
    : `The lock ${name} is no longer this run's: nothing stops the next run`
}

/**
 * The killed run was promoting: puts back, newest first, every write its undo log holds. Throws
 * (so the lock stays and the post step fails) naming each object it could not put back.
 */
async function finishRestore(frame: Frame, session: Session, state: RunState): Promise<void> {
  const { settings, report, logger } = frame
  const names = state.promoting.join(', ')
  await frame.stage('restore', async detail => {
    if (!state.undo) {
      const held = await holdLock(session, settings, state.lockHolder)
      throw new Error(
        `the main step was killed while promoting ${names} and did not record what it wrote: check their images, then promote again or roll back. ${held}.`
      )
    }
    const { restored, failed } = await putBack(session.cluster, state.undo, {
      logger,
      timeoutMs: settings.timeoutMs
    })
    report.facts.push(['put back', restored.join(', ') || 'nothing (it had written nothing)'])
    detail(
      `put back ${restored.join(', ') || 'nothing'}${failed.length ? `; NOT ${failed.length}` : ''}`
    )
    if (failed.length > 0) {
      report.sections.push({
        title: 'NOT put back: needs a person',
        body: failed.map(f => `- ${f}`).join('\n')
      })
      const held = await holdLock(session, settings, state.lockHolder)
      throw new Error(
        `the main step was killed while promoting ${names}; NOT put back: ${failed.join('; ')}. ${held}.`
      )
    }
    logger.warning(
      `The main step was killed while promoting ${names}: put back ${restored.join(', ') || 'nothing (it had written nothing)'}.`
    )
  })
}
