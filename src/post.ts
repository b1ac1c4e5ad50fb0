/**
 * The action's post step (action.yml `post:`, always run): when the main step was killed outright,
 * runs the `abandon` command over what it had recorded (action-state.ts).
 */
import * as core from '@actions/core'
import { abandonedRun, mainStepFinished } from './action-state.js'
import { actionsLogger } from './actions-logger.js'
import { failureLine, runCommand } from './run-command.js'
import { ABANDON } from './settings.js'

export async function runPost(): Promise<void> {
  if (mainStepFinished()) return
  const abandoned = abandonedRun()
  if (
    !abandoned.deployment &&
    !abandoned.lockHolder &&
    abandoned.applied.length === 0 &&
    abandoned.promoting.length === 0
  ) {
    core.info('The main step did not finish, but it had written nothing: nothing to clean up.')
    return
  }
  try {
    const result = await runCommand(name => (name === 'command' ? ABANDON : core.getInput(name)), {
      logger: actionsLogger,
      env: process.env,
      signal: new AbortController().signal,
      abandoned
    })
    const failure = failureLine(result)
    if (failure) core.setFailed(`post step could not clean up after the main step: ${failure}`)
  } catch (error) {
    core.setFailed(
      `post step could not clean up after the main step: ${error instanceof Error ? error.message : error}`
    )
  }
}
