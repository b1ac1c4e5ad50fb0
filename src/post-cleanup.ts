/**
 * The action's post step (action.yml `post:`, always run). When the main step was killed outright
 * (a cancelled job past its grace period), it never got to clean up: the canaries it applied are
 * recorded as action state, and are removed here when rollback-on-failure is set.
 */
import * as core from '@actions/core'
import type { RunState } from './commands/types.js'
import { connect } from './k8s/client.js'
import { actionsLogger } from './actions-logger.js'
import { strategyFor } from './commands/strategies/index.js'
import { newReport } from './github/report.js'
import { read, remove } from './k8s/objects.js'
import { lockName } from './k8s/labels.js'
import type { Lease } from './k8s/lock.js'
import { readSettings } from './settings.js'
import { githubClient } from './github/client.js'
import { readGitHubContext } from './github/context.js'
import { setDeploymentStatus } from './github/deployments.js'

export const STATE_FINISHED = 'finished'
export const STATE_RUN = 'run'

let runState: RunState = { applied: [], promoting: [] }

/** Merges what the main step reports into the action state the post step will read. */
export function saveRunState(state: Partial<RunState>): void {
  runState = { ...runState, ...state }
  core.saveState(STATE_RUN, JSON.stringify(runState))
}

export async function runPost(): Promise<void> {
  if (core.getState(STATE_FINISHED) === 'true') return
  let state: RunState
  try {
    state = { applied: [], promoting: [], ...JSON.parse(core.getState(STATE_RUN) || '{}') }
  } catch {
    state = { applied: [], promoting: [] }
  }
  if (state.deployment) await failDeployment(state.deployment)
  if (state.applied.length === 0 && state.promoting.length === 0 && !state.lockHolder) {
    core.info('The main step did not finish, but it had written nothing: nothing to clean up.')
    return
  }
  if (state.promoting.length > 0) {
    // Which of them got the new image is not known here: say so loudly rather than guess.
    core.error(
      `The main step was killed while promoting ${state.promoting.join(', ')}: check their images, then run promote again or roll them back.`
    )
  }
  try {
    const settings = readSettings(name => core.getInput(name))
    const cluster = await connect({ ...settings.cluster, logger: actionsLogger })
    try {
      if (state.applied.length > 0 && !settings.rollbackOnFailure) {
        core.warning(
          `The main step did not finish; ${state.applied.join(', ')} left in place (rollback-on-failure: false).`
        )
      } else if (state.applied.length > 0) {
        // The strategy knows everything a deploy adds (canaries, releases, Services, Ingresses).
        const removed = await strategyFor(settings.strategy).discard({
          cluster,
          settings,
          logger: actionsLogger,
          signal: new AbortController().signal,
          report: newReport('post', 'post-step clean-up')
        })
        core.warning(
          `The main step did not finish: removed ${removed.join(', ') || 'nothing (already gone)'}.`
        )
      }
      // The killed run's lock would otherwise block the next run until the Lease expires.
      if (state.lockHolder) {
        const ref = {
          kind: 'Lease',
          apiVersion: 'coordination.k8s.io/v1',
          name: lockName(settings.app)
        }
        const lease = await read<Lease>(cluster, ref)
        if (lease?.spec?.holderIdentity === state.lockHolder) await remove(cluster, ref)
      }
    } finally {
      cluster.dispose()
    }
  } catch (error) {
    core.setFailed(
      `post step could not clean up after the main step: ${error instanceof Error ? error.message : error}`
    )
  }
}

/** The killed main step left its GitHub deployment in progress: it did not finish, so it failed. */
async function failDeployment(deployment: NonNullable<RunState['deployment']>): Promise<void> {
  let token: string | undefined
  try {
    token = readSettings(name => core.getInput(name)).github.token
  } catch {
    return // inputs the clean-up below reports on; a deployment record is only a courtesy
  }
  if (!token) return
  const gh = readGitHubContext(process.env)
  await setDeploymentStatus(
    githubClient(token, gh.apiUrl, actionsLogger),
    deployment,
    'failure',
    { logUrl: gh.workflowRunUrl, description: 'the main step was killed before it finished' },
    actionsLogger
  )
}
