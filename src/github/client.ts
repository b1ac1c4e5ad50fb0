/**
 * The one place an Octokit is made: @actions/github's getOctokit, pointed at the API URL of the
 * run (GITHUB_API_URL, or a local test server), with its logging routed to our Logger.
 */
import { getOctokit } from '@actions/github'
import type { Logger } from '../logger.js'
import { httpsFetch } from './https-fetch.js'

export type GitHubClient = ReturnType<typeof getOctokit>

/** Where the API is, and whether it is reached through a proxy (the run context says both). */
export interface GitHubApiAccess {
  apiUrl: string
  viaProxy: boolean
}

export function githubClient(token: string, api: GitHubApiAccess, logger: Logger): GitHubClient {
  if (!token) throw new Error('A GitHub token is required (input github-token or GITHUB_TOKEN)')
  logger.mask(token)
  return getOctokit(token, {
    baseUrl: api.apiUrl.replace(/\/+$/, ''),
    // Through a proxy, @actions/github's own fetch (undici with http-client's ProxyAgent) is kept.
    ...(api.viaProxy ? {} : { request: { fetch: httpsFetch } }),
    log: {
      debug: (message: string) => logger.debug(message),
      info: (message: string) => logger.debug(message),
      warn: (message: string) => logger.warning(message),
      error: (message: string) => logger.warning(message)
    }
  })
}

/** The HTTP status of an Octokit RequestError, if that is what was thrown. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined
  return typeof error.status === 'number' ? error.status : undefined
}

/** A one-line description of an API failure, never the request headers (they hold the token). */
export function describeApiError(error: unknown): string {
  const status = httpStatus(error)
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
  return status !== undefined ? `HTTP ${status}: ${message}` : message
}
