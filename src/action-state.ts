/**
 * The action's state between its main step and its post step (actions/checkout's state-helper is
 * the model): the main step records here what it has under way as it goes, and that it finished;
 * the post step reads it back (post-state.ts). Runner state is per step, passed as STATE_* variables.
 */
import * as core from '@actions/core'
import type { RunState } from './commands/types.js'
import { NOTHING_UNDER_WAY, STATE } from './post-state.js'

let recorded: RunState = { ...NOTHING_UNDER_WAY }

/** main: merges what the command reports into the state the post step will read. */
export function saveRunState(state: Partial<RunState>): void {
  recorded = { ...recorded, ...state }
  core.saveState(STATE.run, JSON.stringify(recorded))
}

/** main: the command ran to its end (whatever its outcome): the post step has nothing to do. */
export function markFinished(): void {
  core.saveState(STATE.finished, 'true')
}
