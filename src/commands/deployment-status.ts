/**
 * The GitHub deployment of a run (environments page, links to the run), when a token is given.
 * Never fails a run: the deployments API is a courtesy, the cluster is the truth.
 */
import { githubClient } from '../github/client.js'
import { readGitHubContext } from '../github/context.js'
import {
  setDeploymentStatus,
  startDeployment,
  type DeploymentState
} from '../github/deployments.js'
import type { Settings } from '../settings.js'
import type { CommandContext } from './types.js'

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
  const gh = readGitHubContext(context.env)
  if (!settings.github.token || !gh.owner || !gh.repo || !gh.sha) return NOT_TRACKED
  const octokit = githubClient(settings.github.token, gh.apiUrl, context.logger)
  const handle = { owner: gh.owner, repo: gh.repo }
  const id = await startDeployment(
    octokit,
    {
      ...handle,
      ref: gh.sha,
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
  const logUrl = gh.workflowRunUrl
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
