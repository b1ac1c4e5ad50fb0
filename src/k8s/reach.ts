/**
 * Reaching the API server before anything else: one bounded GET /version, so an unreachable server
 * fails the run in seconds with the server named and the cause a person can act on (refused, DNS,
 * TLS, timeout), instead of after a minute of retries, and the connect stage reports what it reached.
 */
import { KubeError } from './errors.js'
import { send, type Connection } from './rest.js'

/** Each try waits this long for the server; with the pauses, the total stays under 10 s. */
export const REACH_ATTEMPT_MS = 2_500
export const REACH_ATTEMPTS = 3
export const REACH_PAUSE_MS = 500
export const REACH_BUDGET_MS =
  REACH_ATTEMPTS * REACH_ATTEMPT_MS + (REACH_ATTEMPTS - 1) * REACH_PAUSE_MS

/** Why a server could not be reached, in words a person can act on. */
export function unreachableCause(code: string | number): string {
  if (code === 'ECONNREFUSED') return 'connection refused: nothing listens at that address and port'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return 'DNS: the host name does not resolve (check the kubeconfig server and the runner network)'
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT')
    return `timeout: no answer within ${REACH_ATTEMPT_MS / 1000} s (a firewall, a private endpoint, or a server down)`
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return 'the connection was reset by the server or a proxy'
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no network route to the server'
  const text = String(code)
  if (/CERT|SELF_SIGNED|TLS|SSL|ISSUER|VERIFY/.test(text))
    return `TLS: ${text} (the kubeconfig's certificate-authority does not vouch for this server)`
  return text
}

const RETRIED = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'])

/**
 * GET /version within REACH_BUDGET_MS; resolves with the server's gitVersion, throws in words.
 * onWritten is called when a try's request has been written.
 */
export async function reachServer(
  conn: Connection,
  signal?: AbortSignal,
  onWritten?: () => void
): Promise<string> {
  let last: unknown
  for (let attempt = 1; attempt <= REACH_ATTEMPTS; attempt++) {
    try {
      const answer = await send(
        conn,
        { method: 'GET', path: '/version', timeoutMs: REACH_ATTEMPT_MS, signal, onWritten },
        { verb: 'get', resource: 'version' }
      )
      // /version is open to everyone on a default cluster; an answer of any kind means it was reached.
      if (answer.status === 401)
        throw new Error(
          `the API server ${conn.server} was reached but refused the credentials (401 Unauthorized): the kubeconfig's token or certificate is wrong or expired`
        )
      try {
        const body = JSON.parse(answer.text) as { gitVersion?: unknown }
        if (typeof body.gitVersion === 'string') return body.gitVersion
      } catch {
        // not JSON: still reached
      }
      return `HTTP ${answer.status}`
    } catch (err) {
      if (!(err instanceof KubeError) || typeof err.code !== 'string') throw err
      last = err
      if (!RETRIED.has(err.code) || attempt === REACH_ATTEMPTS || signal?.aborted) break
      await new Promise(resolve => setTimeout(resolve, REACH_PAUSE_MS))
    }
  }
  const code = last instanceof KubeError ? last.code : 'unknown'
  throw new Error(`could not reach the API server ${conn.server}: ${unreachableCause(code)}`)
}
