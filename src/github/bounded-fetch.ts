/**
 * Any fetch (here @actions/github's, through the proxy the run context names) bounded as
 * request-bounds.ts says. The answer is read whole before it resolves, so silence in its body, the
 * deadline and a cancel all reject the fetch itself: Octokit reads a body that fails as empty.
 */
import { fetchAnswer } from './fetch-answer.js'
import {
  GITHUB_REQUEST_BOUNDS,
  guardRequest,
  type RequestBounds,
  type RequestGuard
} from './request-bounds.js'

/** The fetch Octokit calls: a URL and the init it builds. */
export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>

export function boundedFetch(fetch: Fetch, bounds: RequestBounds = GITHUB_REQUEST_BOUNDS): Fetch {
  return async (input, init = {}) => {
    const guard = guardRequest(new URL(String(input)), bounds, init.signal)
    try {
      const response = await fetch(input, { ...init, signal: guard.signal })
      guard.heard()
      const bytes = await readBody(response, guard)
      return fetchAnswer({
        status: response.status,
        statusText: response.statusText,
        url: response.url,
        redirected: response.redirected,
        headers: new Map(response.headers),
        bytes
      })
    } catch (error) {
      // The inner fetch rejects with the guard's reason, or a stream error once the body is cut.
      throw guard.signal.aborted ? guard.signal.reason : error
    } finally {
      guard.done()
    }
  }
}

async function readBody(response: Response, guard: RequestGuard): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  for await (const chunk of response.body) {
    guard.heard()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
