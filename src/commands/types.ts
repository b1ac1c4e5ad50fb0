import type { Report } from '../github/report.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings.js'

export type OutputName =
  'version' | 'image' | 'digest' | 'canary' | 'status' | 'has-changes' | 'diff'

/** What a command needs besides its settings; main.ts and cli.ts build it. */
export interface CommandContext {
  logger: Logger
  env: NodeJS.ProcessEnv
  /** Aborted on SIGINT/SIGTERM (a cancelled workflow): stop waiting, clean up, report. */
  signal: AbortSignal
}

export interface CommandResult {
  report: Report
  outputs: Partial<Record<OutputName, string>>
}

export type CommandHandler = (settings: Settings, context: CommandContext) => Promise<CommandResult>
