/**
 * The GitHub deployment record of a run (the environments page, linked to the run), when a token is
 * given. Never fails a run: the deployments API is a courtesy, the cluster is the truth.
 */
import { githubClient } from '../github/client.js'
import {
  setDeploymentStatus,
  startDeployment,
  type DeploymentState
} from '../github/deployments.js'
import type { Settings } from '../settings.js'
import type { CommandContext, RunState } from './types.js'

export interface TrackedDeployment {
  finish(
    state: DeploymentState,
    details?: { environmentUrl?: string; description?: string }
  ): Promise<void>
}

const NOT_TRACKED: TrackedDeployment = { finish: async () => undefined }

export async function trackDeployment(
  settings: Settings,
  context: CommandContext,
  environment: string,
  description: string
): Promise<TrackedDeployment> {
  const { run } = settings
  if (!settings.github.token || !run.owner || !run.repo || !run.sha) return NOT_TRACKED
  const octokit = githubClient(settings.github.token, run, context.logger)
  const handle = { owner: run.owner, repo: run.repo }
  const id = await startDeployment(
    octokit,
    {
      ...handle,
      ref: run.sha,
      environment,
      description,
      payload: {
        app: settings.app,
        namespace: settings.cluster.namespace,
        version: settings.version
      },
      transient: environment !== settings.github.environment,
      production: environment === settings.github.environment
    },
    context.logger
  )
  const logUrl = run.workflowRunUrl
  // A main step killed outright never finishes it: the post step marks it failed.
  if (id !== undefined) context.checkpoint?.({ deployment: { ...handle, id } })
  await setDeploymentStatus(
    octokit,
    { ...handle, id },
    'in_progress',
    { logUrl, description },
    context.logger
  )
  return {
    finish: async (state, details = {}) => {
      await setDeploymentStatus(
        octokit,
        { ...handle, id },
        state,
        { logUrl, ...details },
        context.logger
      )
      context.checkpoint?.({ deployment: undefined })
    }
  }
}

/** The post step: a killed main step's deployment did not finish, so it failed. */
export async function failAbandonedDeployment(
  settings: Settings,
  context: CommandContext,
  deployment: NonNullable<RunState['deployment']>
): Promise<void> {
  if (!settings.github.token) return
  await setDeploymentStatus(
    githubClient(settings.github.token, settings.run, context.logger),
    deployment,
    'failure',
    {
      logUrl: settings.run.workflowRunUrl,
      description: 'the main step was killed before it finished'
    },
    context.logger
  )
}
