/**
 * The action's state between its main step and its post step, in one place (actions/checkout's
 * state-helper is the model): the main step records what it has under way as it goes, and that it
 * finished; the post step reads it back. Runner state is per step, passed as STATE_* variables.
 */
import * as core from '@actions/core'
import type { RunState } from './commands/types.js'

const FINISHED = 'finished'
const RUN = 'run'

const NOTHING: RunState = { applied: [], promoting: [] }

let recorded: RunState = { ...NOTHING }

/** main: merges what the command reports into the state the post step will read. */
export function saveRunState(state: Partial<RunState>): void {
  recorded = { ...recorded, ...state }
  core.saveState(RUN, JSON.stringify(recorded))
}

/** main: the command ran to its end (whatever its outcome): the post step has nothing to do. */
export function markFinished(): void {
  core.saveState(FINISHED, 'true')
}

/** post: whether the main step got to its end. */
export function mainStepFinished(): boolean {
  return core.getState(FINISHED) === 'true'
}

/** post: what the main step had under way when it was killed. */
export function abandonedRun(): RunState {
  try {
    return { ...NOTHING, ...(JSON.parse(core.getState(RUN) || '{}') as Partial<RunState>) }
  } catch {
    return { ...NOTHING }
  }
}
