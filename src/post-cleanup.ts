/**
 * The action's post step (action.yml `post:`, always run). When the main step was killed outright
 * (a cancelled job past its grace period), it never got to clean up: the canaries it applied are
 * recorded as action state, and are removed here when rollback-on-failure is set.
 */
import * as core from '@actions/core'
import type { RunState } from './commands/types.js'
import { connect } from './k8s/client.js'
import { actionsLogger } from './actions-logger.js'
import { lockHolderOfJob } from './commands/session.js'
import { strategyFor } from './commands/strategies/index.js'
import { newReport } from './github/report.js'
import { read, remove } from './k8s/apply.js'
import { lockName } from './k8s/labels.js'
import type { Lease } from './k8s/lock.js'
import { readSettings } from './settings.js'

export const STATE_FINISHED = 'finished'
export const STATE_RUN = 'run'

export function saveRunState(state: RunState): void {
  core.saveState(STATE_RUN, JSON.stringify(state))
}

export async function runPost(): Promise<void> {
  if (core.getState(STATE_FINISHED) === 'true') return
  let state: RunState
  try {
    state = JSON.parse(core.getState(STATE_RUN) || '{"applied":[]}') as RunState
  } catch {
    state = { applied: [] }
  }
  if (state.applied.length === 0) {
    core.info('The main step did not finish, but it had applied no canary: nothing to clean up.')
    return
  }
  try {
    const settings = readSettings(name => core.getInput(name))
    if (!settings.rollbackOnFailure) {
      core.warning(
        `The main step did not finish; ${state.applied.join(', ')} left in place (rollback-on-failure: false).`
      )
      return
    }
    const cluster = await connect({
      ...settings.cluster,
      logger: actionsLogger,
      tempDir: process.env.RUNNER_TEMP
    })
    try {
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
      // The killed run's lock would otherwise block the next run until the Lease expires.
      const ref = {
        kind: 'Lease',
        apiVersion: 'coordination.k8s.io/v1',
        name: lockName(settings.app)
      }
      const lease = await read<Lease>(cluster, ref)
      if (lease?.spec?.holderIdentity?.startsWith(lockHolderOfJob(settings, process.env))) {
        await remove(cluster, ref)
      }
    } finally {
      cluster.dispose()
    }
  } catch (error) {
    core.setFailed(
      `post step could not clean up ${state.applied.join(', ')}: ${error instanceof Error ? error.message : error}`
    )
  }
}
