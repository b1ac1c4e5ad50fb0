/**
 * cleanup (a schedule, or a person): deletes the earlier releases that have drained. Which ones is
 * planCleanup's decision (keep-releases, drain-min-age; never the live or the previous release);
 * the summary lists every release with what happened to it and why. Strategies that keep no
 * earlier releases (all but rainbow) have nothing to clean.
 */
import { formatAge, planCleanup, type CleanupDecision } from '../release/cleanup-plan.js'
import { clusterReads } from '../release/reads.js'
import { strategyFor } from '../release/strategies.js'
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
      const plans = histories.map(history => planCleanup(history, { keep, minAgeMs, now }))
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
      report.facts.push(
        ['deleted', String(doomed.length)],
        ['kept', String(decisions.length - doomed.length)],
        ['rules', `keep-releases ${keep}, drain-min-age ${formatAge(minAgeMs)}`]
      )
      report.sections.push({
        title: 'Releases',
        body: [
          '| release | state | age | reason |',
          '| --- | --- | --- | --- |',
          ...decisions.map(d => `| ${d.name} | ${d.state} | ${formatAge(d.ageMs)} | ${d.reason} |`)
        ].join('\n')
      })
      if (doomed.length === 0) report.status = 'no-op'
      return {}
    }
  )
