/**
 * How long one GitHub API request may take, and what ends it. Octokit and fetch set no limit: an API
 * (github.com, GHES, or a proxy in between) that accepts the connection and never answers would hold
 * the job until GitHub's 6 h limit, and the post step for ever. So every request is bounded twice,
 * by silence and by a deadline, and stops when the run's signal aborts.
 */

export interface RequestBounds {
  /** No byte from the server for this long (connecting and waiting for the answer included). */
  idleMs: number
  /** The whole request, redirects and the answer's body included. */
  deadlineMs: number
}

/** GitHub answers an API call in well under a second: 30 s of silence is a connection that is gone. */
export const GITHUB_IDLE_TIMEOUT_MS = 30_000
/**
 * The largest answer read (a page of 100 comments) takes seconds even when GitHub is slow; a minute
 * is a stuck request, and is as long as a post step marking a deployment failed ever waits.
 */
export const GITHUB_REQUEST_DEADLINE_MS = 60_000

export const GITHUB_REQUEST_BOUNDS: RequestBounds = {
  idleMs: GITHUB_IDLE_TIMEOUT_MS,
  deadlineMs: GITHUB_REQUEST_DEADLINE_MS
}

/** A bound was passed: the cause of the TypeError('fetch failed') the request rejects with. */
export class GitHubTimeoutError extends Error {
  override name = 'GitHubTimeoutError'
  readonly code = 'ETIMEDOUT'
}

const seconds = (ms: number): string => `${ms / 1000} s`

/**
 * As fetch rejects on a network failure: a TypeError whose cause Octokit shows as the message. It
 * names the host only: the URL's path and query are not the person's to act on, and may hold more.
 */
function timedOut(url: URL, what: string): TypeError {
  const cause = new GitHubTimeoutError(
    `GitHub API request to ${url.host} timed out ${what}: check that this machine reaches the ` +
      'GitHub API (GITHUB_API_URL; HTTPS_PROXY and NO_PROXY behind a proxy) and that it is up, ' +
      'then run again'
  )
  return new TypeError('fetch failed', { cause })
}

/** As a cancelled fetch rejects: an AbortError, with why the run was cancelled as its cause. */
function cancelled(url: URL, signal: AbortSignal): Error {
  const error = new Error(`GitHub API request to ${url.host} was cancelled`, {
    cause: signal.reason
  })
  error.name = 'AbortError'
  return error
}

export interface RequestGuard {
  /** Aborts when the caller cancels or a bound is passed; its reason is what to reject with. */
  signal: AbortSignal
  /** Bytes came from the server: the silence is measured from now. */
  heard(): void
  /** The request is over: stops the timers. */
  done(): void
}

/** The bounds and the caller's cancellation of one request to `url`, as one signal. */
export function guardRequest(
  url: URL,
  bounds: RequestBounds,
  caller?: AbortSignal | null
): RequestGuard {
  const controller = new AbortController()
  const stop = (reason: Error): void => controller.abort(reason)
  const idle = setTimeout(
    () => stop(timedOut(url, `after ${seconds(bounds.idleMs)} without a byte from the server`)),
    bounds.idleMs
  )
  const deadline = setTimeout(
    () =>
      stop(timedOut(url, `after ${seconds(bounds.deadlineMs)}, before the answer was complete`)),
    bounds.deadlineMs
  )
  const onCancel = (): void => {
    if (caller) stop(cancelled(url, caller))
  }
  let over = false
  const done = (): void => {
    over = true
    clearTimeout(idle)
    clearTimeout(deadline)
    caller?.removeEventListener('abort', onCancel)
  }
  controller.signal.addEventListener('abort', done, { once: true })
  if (caller?.aborted) onCancel()
  else caller?.addEventListener('abort', onCancel, { once: true })
  return {
    signal: controller.signal,
    // refresh() would re-arm a timer that already fired or was cleared.
    heard: () => void (over || idle.refresh()),
    done
  }
}
