/**
 * cleanup (a schedule, or a person): deletes the earlier releases that have drained. Which ones is
 * planCleanup's decision (keep-releases, drain-min-age; never the live or the previous release);
 * the summary lists every release with what happened to it and why. Strategies that keep no
 * earlier releases (all but rainbow) have nothing to clean.
 */
import { newReport, timeStage } from '../github/report.js'
import { errorMessage, readStables } from './release.js'
import { openSession, type Session } from './session.js'
import { formatAge, planCleanup, type CleanupDecision } from './strategies/cleanup-plan.js'
import { strategyFor, type StrategyRun } from './strategies/index.js'
import type { CommandHandler } from './types.js'

export const cleanup: CommandHandler = async (settings, context) => {
  const { logger } = context
  const report = newReport('cleanup', `Clean up ${settings.app} releases`)
  report.facts.push(
    ['app', settings.app],
    ['namespace', settings.cluster.namespace],
    ['strategy', settings.strategy]
  )
  const strategy = strategyFor(settings.strategy)
  let session: Session | undefined
  try {
    session = await openSession(settings, context, report)
    const live = session.cluster
    const run: StrategyRun = { cluster: live, settings, logger, signal: context.signal, report }
    const stables = await readStables(live, settings)
    const histories = await Promise.all(stables.map(stable => strategy.history(run, stable)))
    if (histories.every(history => history.length === 0)) {
      report.status = 'no-op'
      report.reason = `nothing to clean: the ${settings.strategy} strategy left no earlier releases of ${settings.app}`
      logger.info(report.reason)
      return { report, outputs: {} }
    }

    await session.lock()
    const { keepReleases: keep, drainMinAgeMs: minAgeMs } = settings.rainbow
    const now = Date.now()
    const plans = histories.map(history => planCleanup(history, { keep, minAgeMs, now }))
    const decisions: CleanupDecision[] = plans.flat()
    const doomed = decisions.filter(d => d.state === 'deleted').map(d => d.name)
    await logger.group('delete', () =>
      timeStage(report, 'delete', async stage => {
        for (const [index, stable] of stables.entries()) {
          const names = new Set(plans[index].filter(d => d.state === 'deleted').map(d => d.name))
          const releases = histories[index].filter(r => names.has(r.name))
          if (releases.length === 0) continue
          await strategy.prune(run, stable, releases)
          for (const r of releases) logger.info(`${r.name}: deleted`)
        }
        stage.detail = doomed.length ? `deleted ${doomed.length}` : 'nothing drained long enough'
      })
    )
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
    return { report, outputs: {} }
  } catch (error) {
    report.status = 'failure'
    report.reason = errorMessage(error).split('\n')[0]
    return { report, outputs: {} }
  } finally {
    await session?.close()
  }
}
