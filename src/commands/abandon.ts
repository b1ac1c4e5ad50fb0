/**
 * abandon (the action's post step, always run): when the main step was killed outright (a cancelled
 * job past its grace period), it never got to clean up. From what it recorded (context.abandoned):
 * its GitHub deployment is marked failed, the release it had applied is taken back as its strategy
 * plans it (rollback-on-failure), and its lock is released if still its own.
 */
import type { Lease } from '../k8s/lock.js'
import { lockName } from '../k8s/labels.js'
import { read, remove } from '../k8s/objects.js'
import { carryOut } from '../release/execute.js'
import { clusterReads } from '../release/reads.js'
import { strategyFor } from '../release/strategies.js'
import { failAbandonedDeployment } from './deployment-status.js'
import { placeFacts, runFrame } from './frame.js'
import { readStables } from './release.js'
import type { CommandHandler } from './types.js'

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
      if (state.promoting.length > 0) {
        // Which of them got the new image is not known here: say so loudly rather than guess.
        logger.warning(
          `The main step was killed while promoting ${state.promoting.join(', ')}: check their images, then run promote again or roll them back.`
        )
      }
      const session = await frame.session()
      const { cluster } = session
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
        const ref = {
          kind: 'Lease',
          apiVersion: 'coordination.k8s.io/v1',
          name: lockName(settings.app)
        }
        const lease = await read<Lease>(cluster, ref)
        if (lease?.spec?.holderIdentity === state.lockHolder) await remove(cluster, ref)
      }
      return {}
    }
  )
