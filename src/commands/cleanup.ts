/**
 * cleanup (a schedule, or a person): deletes the earlier releases that have drained. Which ones is
 * planCleanup's decision (keep-releases, drain-min-age; never the live or the previous release),
 * and, with drain-query or drain-path, each one's measured load: a release above drain-threshold,
 * or whose load cannot be measured, is kept. The summary lists every release with what happened
 * to it, its load and why. Strategies that keep no earlier releases (all but rainbow) have nothing
 * to clean.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { formatLoad } from '../analysis/drain.js'
import { markdownTable } from '../github/report.js'
import {
  describeLoad,
  formatAge,
  planCleanup,
  withLoads,
  type CleanupDecision
} from '../release/cleanup-plan.js'
import { clusterReads } from '../release/reads.js'
import { strategyFor } from '../release/strategies.js'
import { measureLoads } from './drain-loads.js'
import { placeFacts, runFrame } from './frame.js'
import { readStables } from './release.js'
import type { CommandHandler } from './types.js'

export const cleanup: CommandHandler = (settings, context) =>
  runFrame(
    settings,
    context,
    {
      title: `Clean up ${settings.app} releases`,
      facts: [...placeFacts(settings), ['strategy', settings.strategy]]
    },
    async frame => {
      const { report, logger } = frame
      const strategy = strategyFor(settings.strategy)
      const session = await frame.session()
      const reads = clusterReads(session.cluster, settings)
      const stables = await readStables(reads, settings)
      const histories = await Promise.all(stables.map(stable => strategy.history(reads, stable)))
      if (histories.every(history => history.length === 0)) {
        report.status = 'no-op'
        report.reason = `nothing to clean: the ${settings.strategy} strategy left no earlier releases of ${settings.app}`
        logger.info(report.reason)
        return {}
      }

      await session.lock()
      const { keepReleases: keep, drainMinAgeMs: minAgeMs } = settings.rainbow
      const now = Date.now()
      let plans = histories.map(history => planCleanup(history, { keep, minAgeMs, now }))
      const drain = settings.drain
      if (drain) {
        // Measured last, just before the deletes: a load read minutes earlier says little.
        const loads = await frame.stage('measure load', async detail => {
          const names = histories.flat().map(r => r.name)
          const releases = await Promise.all(
            names.map(name => reads.read<V1Deployment>({ kind: 'Deployment', name }))
          )
          const measured = await measureLoads(
            frame,
            session,
            releases.filter((r): r is V1Deployment => r !== undefined)
          )
          detail(`${measured.size} release(s), drain-threshold ${formatLoad(drain.threshold)}`)
          return measured
        })
        plans = plans.map(plan => withLoads(plan, loads, drain.threshold))
      }
      const decisions: CleanupDecision[] = plans.flat()
      const doomed = decisions.filter(d => d.state === 'deleted').map(d => d.name)
      await frame.stage('delete', async detail => {
        for (const [index, stable] of stables.entries()) {
          const names = new Set(plans[index].filter(d => d.state === 'deleted').map(d => d.name))
          const releases = histories[index].filter(r => names.has(r.name))
          if (releases.length === 0) continue
          await strategy.prune(session.cluster, stable, releases)
          for (const r of releases) logger.info(`${r.name}: deleted`)
        }
        detail(doomed.length ? `deleted ${doomed.length}` : 'nothing drained long enough')
      })
      for (const d of decisions.filter(d => d.state !== 'deleted')) {
        logger.info(`${d.name}: ${d.state}: ${d.reason}`)
      }
      report.facts.push(
        ['deleted', String(doomed.length)],
        ['kept', String(decisions.length - doomed.length)],
        [
          'rules',
          `keep-releases ${keep}, drain-min-age ${formatAge(minAgeMs)}` +
            (drain
              ? `, drain-threshold ${formatLoad(drain.threshold)} (${drain.query ? 'drain-query' : `drain-path ${drain.path}`})`
              : '')
        ]
      )
      const rows = decisions.map(d => [
        d.name,
        d.state,
        formatAge(d.ageMs),
        ...(drain ? [describeLoad(d.load)] : []),
        d.reason
      ])
      report.sections.push({
        title: 'Releases',
        body: markdownTable(['release', 'state', 'age', ...(drain ? ['load'] : []), 'reason'], rows)
      })
      if (doomed.length === 0) report.status = 'no-op'
      return {}
    }
  )
