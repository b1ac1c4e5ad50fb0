/**
 * The one place an Octokit is made: @actions/github's getOctokit, pointed at the API URL of the
 * run (GITHUB_API_URL, or a local test server), with its logging routed to our Logger, and every
 * request bounded (request-bounds.ts) and stopped by the signal it is given.
 * @actions/github is imported when the first client is made, not when the action starts: it is
 * the largest part of the bundle's start-up (Octokit's endpoint tables, its user agent reading
 * navigator), and a run without a token, or before its first GitHub call, has no use for it.
 */
// getOctokit is `new GitHub(getOctokitOptions(...))`; lib/utils also holds the proxy-aware fetch.
import type { GitHub } from '@actions/github/lib/utils'
import type { Logger } from '../logger.js'
import { boundedFetch, type Fetch } from './bounded-fetch.js'
import { httpsFetch } from './https-fetch.js'
import { GITHUB_REQUEST_BOUNDS, type RequestBounds } from './request-bounds.js'

export type GitHubClient = InstanceType<typeof GitHub>

/** Where the API is, and whether it is reached through a proxy (the run context says both). */
export interface GitHubApiAccess {
  apiUrl: string
  viaProxy: boolean
}

export interface GitHubClientOptions {
  /**
   * The run's cancellation: every request of the client stops when it aborts. None for what must
   * still be said after a cancel (a deployment marked failed): the bounds alone end those.
   */
  signal?: AbortSignal
  /** How long a request may take; GITHUB_REQUEST_BOUNDS unless a test shortens them. */
  bounds?: RequestBounds
}

export async function githubClient(
  token: string,
  api: GitHubApiAccess,
  logger: Logger,
  options: GitHubClientOptions = {}
): Promise<GitHubClient> {
  if (!token) throw new Error('A GitHub token is required (input github-token or GITHUB_TOKEN)')
  logger.mask(token)
  const { defaults, getOctokitOptions, GitHub } = await import('@actions/github/lib/utils')
  const bounds = options.bounds ?? GITHUB_REQUEST_BOUNDS
  // Through a proxy, @actions/github's own fetch (undici with http-client's ProxyAgent) is kept.
  const proxied: Fetch = defaults.request?.fetch
  const fetch: Fetch = api.viaProxy
    ? boundedFetch(proxied, bounds)
    : (input, init) => httpsFetch(input, init, bounds)
  return new GitHub(
    getOctokitOptions(token, {
      baseUrl: api.apiUrl.replace(/\/+$/, ''),
      // Octokit passes request.signal to every fetch it makes (a call's own request.signal wins).
      request: { fetch, ...(options.signal ? { signal: options.signal } : {}) },
      log: {
        debug: (message: string) => logger.debug(message),
        info: (message: string) => logger.debug(message),
        warn: (message: string) => logger.warning(message),
        error: (message: string) => logger.warning(message)
      }
    })
  )
}

/** The HTTP status of an Octokit RequestError, if that is what was thrown. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined
  return typeof error.status === 'number' ? error.status : undefined
}

/**
 * A one-line description of an API failure, never the request headers (they hold the token). No
 * answer at all (a network failure, a timeout, a cancel) is said as such, though Octokit calls it
 * a 500.
 */
export function describeApiError(error: unknown): string {
  const status = httpStatus(error)
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
  const answered =
    typeof error === 'object' && error !== null && 'response' in error && !!error.response
  return status !== undefined && answered ? `HTTP ${status}: ${message}` : message
}
