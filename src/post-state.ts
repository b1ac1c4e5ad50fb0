/**
 * What the post step reads back of the main step's state (action-state.ts writes it): the runner
 * hands it over as STATE_<name> variables, read here directly from the environment post.ts gives,
 * as core.getState reads them, so that the post step of a run that finished (nearly every run)
 * decides so without loading @actions/core.
 */
import type { RunState } from './commands/types.js'

/** The state names, as action-state.ts saves them. */
export const STATE = { finished: 'finished', run: 'run' } as const

export const NOTHING_UNDER_WAY: RunState = { applied: [], promoting: [] }

function savedState(name: string, env: NodeJS.ProcessEnv): string {
  return env[`STATE_${name}`] ?? ''
}

/** Whether the main step got to its end. */
export function mainStepFinished(env: NodeJS.ProcessEnv): boolean {
  return savedState(STATE.finished, env) === 'true'
}

/** What the main step had under way when it was killed. */
export function abandonedRun(env: NodeJS.ProcessEnv): RunState {
  try {
    return {
      ...NOTHING_UNDER_WAY,
      ...(JSON.parse(savedState(STATE.run, env) || '{}') as Partial<RunState>)
    }
  } catch {
    return { ...NOTHING_UNDER_WAY }
  }
}
