import type { Report } from '../github/report.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings.js'

export type OutputName =
  | 'version'
  | 'image'
  | 'digest'
  | 'imageid'
  | 'metadata'
  | 'canary'
  | 'status'
  | 'has-changes'
  | 'diff'

/** What a command needs besides its settings; main.ts and cli.ts build it. */
export interface CommandContext {
  logger: Logger
  env: NodeJS.ProcessEnv
  /** Aborted on SIGINT/SIGTERM (a cancelled workflow): stop waiting, clean up, report. */
  signal: AbortSignal
  /**
   * Records what this run has written so far (the canaries it applied), so that a post step can
   * clean up after a run that was killed outright. main.ts keeps it as action state.
   */
  checkpoint?: (state: Partial<RunState>) => void
}

export interface RunState {
  /** Canary Deployments this run applied and has not yet removed or promoted. */
  applied: string[]
  /** Stable Deployments a promotion is writing to; cleared when it ended either way. */
  promoting: string[]
  /** The holder identity of the app's lock while this run holds it. */
  lockHolder?: string
  /** The GitHub deployment this run opened and has not finished (the post step fails it). */
  deployment?: { owner: string; repo: string; id: number }
}

export interface CommandResult {
  report: Report
  outputs: Partial<Record<OutputName, string>>
}

export type CommandHandler = (settings: Settings, context: CommandContext) => Promise<CommandResult>
