/**
 * What every command shares, so each command reads as a short script: the report with its header
 * facts, stages (a log group and a timed row each), the session on the cluster (connected on first
 * use, closed whatever happens), the GitHub deployment record, clean-up on failure, and the mapping
 * of refusals, wait failures and cancellation to the report.
 */
import { newReport, type Report } from '../github/report.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings.js'
import { trackDeployment, type TrackedDeployment } from './deployment-status.js'
import { errorMessage, reportFailure } from './errors.js'
import { openSession, type Session } from './session.js'
import { stageRunner, type Stage } from './stage.js'
import type { CommandContext, CommandResult, Outputs } from './types.js'

export interface Frame {
  settings: Settings
  context: CommandContext
  logger: Logger
  report: Report
  stage: Stage
  /** The session on the cluster: connects (stage `connect`) the first time it is asked for. */
  session(): Promise<Session>
  /** Opens this run's GitHub deployment record; a failed command finishes it as failed. */
  track(environment: string, description: string): Promise<TrackedDeployment>
  /** Runs `fn` when the command fails, after the report says why, before the session closes. */
  onFailure(fn: () => Promise<void>): void
}

export interface FrameOptions {
  title: string
  /** The header facts every run of the command shows (app, namespace...). */
  facts: [string, string][]
  /** The outputs of a failed run. */
  failed?: Outputs
  /** Cuts what must never be shown out of a failure's text (diff: Secret values). */
  scrub?: (text: string) => string
}

export async function runFrame(
  settings: Settings,
  context: CommandContext,
  options: FrameOptions,
  script: (frame: Frame) => Promise<Outputs>
): Promise<CommandResult> {
  const { logger } = context
  const report = newReport(settings.command, options.title)
  report.facts.push(...options.facts)
  const stage = stageRunner(report, logger)
  const onFailure: (() => Promise<void>)[] = []
  let session: Promise<Session> | undefined
  let tracked: TrackedDeployment | undefined
  const frame: Frame = {
    settings,
    context,
    logger,
    report,
    stage,
    session: () => (session ??= openSession(settings, context, stage)),
    async track(environment, description) {
      tracked = await trackDeployment(settings, context, environment, description)
      return tracked
    },
    onFailure: fn => void onFailure.push(fn)
  }
  try {
    const outputs = await script(frame)
    return { report, outputs }
  } catch (error) {
    reportFailure(report, error, context.signal, options.scrub)
    for (const fn of onFailure.reverse()) {
      try {
        await fn()
      } catch (cleanup) {
        logger.warning(`could not clean up after the failure: ${errorMessage(cleanup)}`)
      }
    }
    await tracked?.finish('failure', { description: report.reason?.slice(0, 140) })
    return { report, outputs: options.failed ?? {} }
  } finally {
    // A session that failed to open has nothing to close.
    await session?.then(
      open => open.close(),
      () => undefined
    )
  }
}

/** The facts every command's report starts with. */
export function placeFacts(settings: Settings): [string, string][] {
  return [
    ['app', settings.app],
    ['namespace', settings.cluster.namespace]
  ]
}
