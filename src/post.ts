/**
 * The action's post step (action.yml `post:`, always run): when the main step was killed outright,
 * runs the `abandon` command over what it had recorded (action-state.ts). Everything else is
 * imported only then: the post step of a run that finished (nearly every run) reads one variable
 * and exits, at the cost of a bare node start (npm run bench measures it).
 */
import { ABANDON } from './command-names.js'
import { abandonedRun, mainStepFinished } from './post-state.js'

export async function runPost(): Promise<void> {
  if (mainStepFinished(process.env)) return
  const abandoned = abandonedRun(process.env)
  // One after the other: Jest's VM modules cannot link one module for two imports at once.
  const core = await import('@actions/core')
  const { actionsLogger } = await import('./actions-logger.js')
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
    const { failureLine, runCommand } = await import('./run-command.js')
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
