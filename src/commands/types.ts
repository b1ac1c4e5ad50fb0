import type { Report } from '../github/report.js'
import type { Logger } from '../logger.js'
import type { Undoable } from '../release/undo.js'
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

export type Outputs = Partial<Record<OutputName, string>>

/** What a command needs besides its settings; main.ts, post.ts and cli.ts build it. */
export interface CommandContext {
  logger: Logger
  /**
   * The environment of this process, as the entry hands it to settings.ts, the one place it is read:
   * the run's facts, the builders' tool environment and the proxy are settings.run.
   */
  env: NodeJS.ProcessEnv
  /** Aborted on SIGINT/SIGTERM (a cancelled workflow): stop waiting, clean up, report. */
  signal: AbortSignal
  /**
   * Records what this run has written so far (the canaries it applied), so that the post step
   * (abandon) can clean up after a run that was killed outright. main.ts keeps it as action state.
   */
  checkpoint?: (state: Partial<RunState>) => void
  /** abandon: what the killed main step had recorded (post.ts reads it from the action state). */
  abandoned?: RunState
}

/** What a run has under way, as the post step needs to know it (action-state.ts keeps it). */
export interface RunState {
  /** Release Deployments this run applied and has not yet removed or promoted. */
  applied: string[]
  /** Stable Deployments a promotion is writing to; cleared once it succeeded or was put back. */
  promoting: string[]
  /**
   * While promoting: how to put back each write made so far, oldest first (the undo log, bounded,
   * without a Secret's data). Absent: the run did not say what it wrote.
   */
  undo?: Undoable[]
  /** The holder identity of the app's lock while this run holds it. */
  lockHolder?: string
  /** The GitHub deployment this run opened and has not finished (the post step fails it). */
  deployment?: { owner: string; repo: string; id: number }
}

export interface CommandResult {
  report: Report
  outputs: Outputs
}

export type CommandHandler = (settings: Settings, context: CommandContext) => Promise<CommandResult>
