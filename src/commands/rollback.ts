/**
 * rollback (a maintainer's workflow_dispatch): takes the release out of traffic as its strategy
 * plans it (takes the canaries out of the route, waiting until its Gateways accept that, then removes
 * them and their Service and Ingress; rainbow: deletes a release never promoted, or moves the
 * Service back). The stable Deployments are never touched. Rolling back
 * twice, or with nothing to roll back, succeeds and says there was nothing to remove.
 */
import { carryOut, untilWithdrawn } from '../release/execute.js'
import { clusterReads } from '../release/reads.js'
import { strategyFor } from '../release/strategies.js'
import { placeFacts, runFrame } from './frame.js'
import { readStables } from './release.js'
import type { CommandHandler } from './types.js'

export const rollback: CommandHandler = (settings, context) =>
  runFrame(
    settings,
    context,
    { title: `Roll back the ${settings.app} canary`, facts: placeFacts(settings) },
    async frame => {
      const { report, logger } = frame
      const tracked = await frame.track(`${settings.github.environment}-canary`, 'rollback')
      const session = await frame.session()
      await session.lock()
      const reads = clusterReads(session.cluster, settings)
      const strategy = strategyFor(settings.strategy)
      const stables = await readStables(reads, settings)
      const releases = await Promise.all(
        settings.deployments.map(stable => strategy.find(reads, stable))
      )
      const planner = await strategy.observe(reads, stables)
      const writes = planner.rollback({ settings, stables, releases, at: new Date().toISOString() })
      const done = await frame.stage('remove canary', async detail => {
        const said = await carryOut(session.cluster, writes, {
          logger,
          after: untilWithdrawn(planner, session.cluster, session.signal)
        })
        detail(said.length > 0 ? said.join('; ') : 'nothing to remove')
        return said
      })
      if (done.length === 0) {
        report.status = 'no-op'
        report.reason = `there was no canary of ${settings.app} to remove; stable is unchanged`
        logger.info(report.reason)
      }
      report.facts.push(['removed', done.join('; ') || 'nothing'], ['stable', 'unchanged'])
      await tracked.finish('inactive', { description: 'canary removed' })
      return { canary: '' }
    }
  )
