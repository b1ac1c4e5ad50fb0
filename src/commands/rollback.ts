/**
 * rollback (a maintainer's workflow_dispatch): takes the release out of traffic as its strategy
 * says (removes the canaries and their Service and Ingress; rainbow: deletes a release never
 * promoted, or moves the Service back). The stable Deployments are never touched. Rolling back
 * twice, or with nothing to roll back, succeeds and says there was nothing to remove.
 */
import { newReport, timeStage } from '../github/report.js'
import { trackDeployment } from './deployment-status.js'
import { errorMessage } from './release.js'
import { openSession, type Session } from './session.js'
import { strategyFor } from './strategies/index.js'
import type { CommandHandler } from './types.js'

export const rollback: CommandHandler = async (settings, context) => {
  const { logger } = context
  const report = newReport('rollback', `Roll back the ${settings.app} canary`)
  report.facts.push(['app', settings.app], ['namespace', settings.cluster.namespace])
  let session: Session | undefined
  const tracked = await trackDeployment(
    settings,
    context,
    `${settings.github.environment}-canary`,
    'rollback'
  )
  try {
    session = await openSession(settings, context, report)
    await session.lock()
    const live = session.cluster
    const removed = await logger.group('remove canary', () =>
      timeStage(report, 'remove canary', async stage => {
        const names = await strategyFor(settings.strategy).rollback({
          cluster: live,
          settings,
          logger,
          signal: session?.signal ?? context.signal,
          report
        })
        stage.detail = names.length > 0 ? `deleted ${names.join(', ')}` : 'nothing to remove'
        return names
      })
    )
    if (removed.length === 0) {
      report.status = 'no-op'
      report.reason = `there was no canary of ${settings.app} to remove; stable is unchanged`
      logger.info(report.reason)
    }
    report.facts.push(['removed', removed.join(', ') || 'nothing'], ['stable', 'unchanged'])
    await tracked.finish('inactive', { description: 'canary removed' })
    return { report, outputs: { canary: '' } }
  } catch (error) {
    report.status = 'failure'
    report.reason = errorMessage(error).split('\n')[0]
    await tracked.finish('failure', { description: report.reason.slice(0, 140) })
    return { report, outputs: {} }
  } finally {
    await session?.close()
  }
}
