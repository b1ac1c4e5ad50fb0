/**
 * GitHub Deployments: the environment page shows what is live and links to the run. This is
 * bookkeeping, not the deployment itself, so its failures warn and never fail the run.
 */
import type { Logger } from '../logger.js'
import { describeApiError, type GitHubClient } from './client.js'

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive'

export interface DeploymentRequest {
  owner: string
  repo: string
  /** Commit SHA (preferred), branch or tag. */
  ref: string
  /** e.g. 'production' or 'production-canary'. */
  environment: string
  description: string
  payload?: Record<string, unknown>
  /** A canary is short-lived; GitHub marks it inactive when a newer deployment succeeds. */
  transient?: boolean
  production?: boolean
}

export interface DeploymentHandle {
  owner: string
  repo: string
  /** Undefined when the deployment could not be created: status updates then do nothing. */
  id: number | undefined
}

export interface DeploymentStatusDetails {
  environmentUrl?: string
  logUrl?: string
  description?: string
}

/** GitHub caps deployment and status descriptions at 140 characters. */
const DESCRIPTION_MAX = 140

export async function startDeployment(
  octokit: GitHubClient,
  request: DeploymentRequest,
  logger: Logger
): Promise<number | undefined> {
  try {
    const response = await octokit.rest.repos.createDeployment({
      owner: request.owner,
      repo: request.repo,
      ref: request.ref,
      environment: request.environment,
      description: shorten(request.description),
      // The ref is already built and tested: never merge the default branch into it, never wait on checks.
      auto_merge: false,
      required_contexts: [],
      ...(request.payload ? { payload: request.payload } : {}),
      ...(request.transient !== undefined ? { transient_environment: request.transient } : {}),
      ...(request.production !== undefined ? { production_environment: request.production } : {})
    })
    const data: unknown = response.data
    // 202 answers "merged instead of deployed" without an id.
    if (typeof data === 'object' && data !== null && 'id' in data && typeof data.id === 'number') {
      logger.debug(`GitHub deployment ${data.id} created for ${request.environment}`)
      return data.id
    }
    logger.warning(
      `GitHub did not create a deployment for ${request.environment} (HTTP ${response.status})`
    )
    return undefined
  } catch (error) {
    logger.warning(
      `Could not create a GitHub deployment for ${request.environment}: ${describeApiError(error)}. ` +
        'The release goes on; only the Environments page will not show it.'
    )
    return undefined
  }
}

export async function setDeploymentStatus(
  octokit: GitHubClient,
  deployment: DeploymentHandle,
  state: DeploymentState,
  details: DeploymentStatusDetails,
  logger: Logger
): Promise<boolean> {
  if (deployment.id === undefined) return false
  try {
    await octokit.rest.repos.createDeploymentStatus({
      owner: deployment.owner,
      repo: deployment.repo,
      deployment_id: deployment.id,
      state,
      ...(details.environmentUrl ? { environment_url: details.environmentUrl } : {}),
      ...(details.logUrl ? { log_url: details.logUrl } : {}),
      ...(details.description ? { description: shorten(details.description) } : {})
    })
    return true
  } catch (error) {
    logger.warning(
      `Could not set GitHub deployment ${deployment.id} to ${state}: ${describeApiError(error)}`
    )
    return false
  }
}

function shorten(text: string): string {
  return text.length > DESCRIPTION_MAX ? `${text.slice(0, DESCRIPTION_MAX - 1)}…` : text
}
