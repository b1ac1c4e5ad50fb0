/**
 * Retrying requests the API server may answer next time: 429, 5xx, a refused or reset connection.
 * client-node does not honour Retry-After, so this does: the wait is the larger of the server's
 * Retry-After and a capped, fully jittered exponential backoff, and never passes the deadline.
 */
import { failureFacts } from './errors.js'

export interface Backoff {
  /** First delay, in ms (before jitter). */
  baseMs: number
  /** Largest delay, in ms. */
  capMs: number
  /** Random source in [0, 1): injectable so tests are deterministic. */
  random?: () => number
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 200, capMs: 10_000 }

export interface RetryOptions {
  /** Epoch ms after which no new attempt starts; the last error is thrown. */
  deadline: number
  signal?: AbortSignal
  backoff?: Backoff
  /** Called before each wait, e.g. to log `retrying in 2 s`. */
  onRetry?: (err: unknown, delayMs: number, attempt: number) => void
}

const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET'
])

/** Whether asking again may succeed: throttling, a server error, or a connection that failed. */
export function isTransient(err: unknown): boolean {
  const facts = failureFacts(err)
  if (facts.status !== undefined) return facts.status === 429 || facts.status >= 500
  return facts.code !== undefined && TRANSIENT_SOCKET_CODES.has(facts.code)
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)], at least 1 ms. */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(attempt, 30))
  return Math.max(1, Math.round((backoff.random ?? Math.random)() * ceiling))
}

/** The delay before retry number `attempt` after `err`: Retry-After wins when it is longer. */
export function retryDelay(
  err: unknown,
  attempt: number,
  backoff: Backoff = DEFAULT_BACKOFF
): number {
  const jittered = backoffDelay(attempt, backoff)
  const retryAfter = failureFacts(err).retryAfterMs
  return retryAfter !== undefined ? Math.max(retryAfter, jittered) : jittered
}

/** Resolves after ms, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Runs fn until it succeeds, fails for good, or the next attempt could not start before the deadline. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      if (!isTransient(err) || options.signal?.aborted) throw err
      const delay = retryDelay(err, attempt, options.backoff)
      if (Date.now() + delay >= options.deadline) throw err
      options.onRetry?.(err, delay, attempt)
      await sleep(delay, options.signal)
    }
  }
}
