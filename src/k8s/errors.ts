/**
 * Turns whatever a request to the API server threw (an HTTP status, a Kubernetes Status body, a
 * socket error, client-node's ApiException) into one sentence a person can act on. Messages name the
 * server and what was attempted, never a credential.
 */
import { isRecord } from '../json.js'

/** What we were trying to do when a request failed: `get deployments web-canary in prod`. */
export interface Attempt {
  verb: string
  resource: string
  namespace?: string
  name?: string
}

export interface StatusCause {
  reason?: string
  message?: string
  field?: string
}

/** An API server request that failed, with the reason already put into words. */
export class KubeError extends Error {
  /** The HTTP status (401, 409, 503...) or a socket error code (ECONNREFUSED, ENOTFOUND...). */
  readonly code: number | string
  /** The Kubernetes Status reason (NotFound, Conflict, Expired...) or a transport reason (ConnectionRefused...). */
  readonly reason: string
  readonly attempt: Attempt
  /** The HTTP status, when the server answered. */
  readonly status?: number
  /** How long the server asked us to wait (Retry-After), in milliseconds. */
  readonly retryAfterMs?: number
  readonly causes: StatusCause[]
  /** The server's own message (Status.message), when it sent one. */
  readonly serverMessage?: string

  constructor(
    message: string,
    fields: {
      code: number | string
      reason: string
      attempt: Attempt
      status?: number
      retryAfterMs?: number
      causes?: StatusCause[]
      serverMessage?: string
    }
  ) {
    super(message)
    this.name = 'KubeError'
    this.code = fields.code
    this.reason = fields.reason
    this.attempt = fields.attempt
    this.status = fields.status
    this.retryAfterMs = fields.retryAfterMs
    this.causes = fields.causes ?? []
    this.serverMessage = fields.serverMessage
  }
}

/** The facts about a failure, whichever library or socket produced it. */
export interface FailureFacts {
  status?: number
  /** A socket / TLS error code. */
  code?: string
  reason?: string
  serverMessage?: string
  causes: StatusCause[]
  retryAfterMs?: number
  /** The error's own message, for failures we cannot classify. */
  message?: string
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO'
])

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** A Kubernetes Status object (the body of every API error), from JSON text or an object. */
export function parseStatus(
  body: unknown
): { reason?: string; message?: string; causes: StatusCause[]; code?: number } | undefined {
  let value: unknown = body
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body)
    } catch {
      return undefined
    }
  }
  if (!isRecord(value) || value.kind !== 'Status') return undefined
  const details = isRecord(value.details) ? value.details : {}
  const causes = Array.isArray(details.causes)
    ? details.causes
        .filter(isRecord)
        .map(c => ({ reason: str(c.reason), message: str(c.message), field: str(c.field) }))
    : []
  return {
    reason: str(value.reason),
    message: str(value.message),
    causes,
    code: typeof value.code === 'number' ? value.code : undefined
  }
}

/** Retry-After is seconds (or an HTTP date); we turn it into milliseconds. */
export function parseRetryAfter(value: unknown): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (typeof text !== 'string' && typeof text !== 'number') return undefined
  const seconds = Number(text)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(String(text))
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function headerValue(headers: unknown, name: string): unknown {
  if (!isRecord(headers)) return undefined
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value
  return undefined
}

function socketCode(err: unknown, depth = 0): string | undefined {
  if (!isRecord(err) || depth > 3) return undefined
  if (typeof err.code === 'string' && /^[A-Z_0-9]+$/.test(err.code)) return err.code
  if (Array.isArray(err.errors)) {
    for (const inner of err.errors) {
      const code = socketCode(inner, depth + 1)
      if (code) return code
    }
  }
  return socketCode(err.cause, depth + 1)
}

/** Reads the facts out of any error a request can produce. */
export function failureFacts(err: unknown): FailureFacts {
  if (err instanceof KubeError) {
    return {
      status: err.status,
      code: typeof err.code === 'string' ? err.code : undefined,
      reason: err.reason,
      causes: err.causes,
      serverMessage: err.serverMessage,
      retryAfterMs: err.retryAfterMs,
      message: err.message
    }
  }
  if (!isRecord(err)) return { causes: [], message: String(err) }
  // client-node's ApiException: { code: number, body: string | object, headers }; its Watch: statusCode.
  const status =
    typeof err.code === 'number'
      ? err.code
      : typeof err.statusCode === 'number'
        ? err.statusCode
        : undefined
  const parsed = parseStatus(err.body)
  return {
    status,
    code: status === undefined ? socketCode(err) : undefined,
    reason: parsed?.reason,
    serverMessage: parsed?.message,
    causes: parsed?.causes ?? [],
    retryAfterMs: parseRetryAfter(headerValue(err.headers, 'retry-after')),
    message: typeof err.message === 'string' ? err.message : undefined
  }
}

/** The server address without any user:password@ or query, safe to print. */
export function safeServer(server: string): string {
  try {
    const url = new URL(server)
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`
  } catch {
    return server.replace(/\/\/[^@/]*@/, '//')
  }
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname
  } catch {
    return server
  }
}

function target(attempt: Attempt): string {
  const what = attempt.name ? `${attempt.resource} ${attempt.name}` : attempt.resource
  return attempt.namespace ? `${what} in namespace ${attempt.namespace}` : what
}

function doing(attempt: Attempt): string {
  return `${attempt.verb} ${target(attempt)}`
}

/** `conflict with "kubectl" using apps/v1: .spec.replicas` -> field .spec.replicas owned by kubectl. */
function describeConflicts(causes: StatusCause[]): string | undefined {
  const owned = causes
    .filter(c => c.reason === 'FieldManagerConflict' || /conflict with/.test(c.message ?? ''))
    .map(c => {
      const manager =
        /conflict with "([^"]+)"/.exec(c.message ?? '')?.[1] ?? 'another field manager'
      const field = c.field ?? /: (\S+)$/.exec(c.message ?? '')?.[1] ?? 'a field'
      return `${field} is owned by "${manager}"`
    })
  return owned.length > 0 ? owned.join('; ') : undefined
}

function withServerMessage(text: string, serverMessage: string | undefined): string {
  return serverMessage ? `${text}: ${serverMessage}` : text
}

/** One sentence a person can act on; names the server and the attempt, never a credential. */
export function describeApiError(err: unknown, attempt: Attempt, server: string): string {
  const facts = failureFacts(err)
  const at = safeServer(server)
  const serverMessage = facts.serverMessage
  if (facts.status === undefined) {
    const code = facts.code
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return `cannot resolve ${hostOf(server)} (the kubeconfig's server ${at}) while trying to ${doing(attempt)}: check the server address and the runner's DNS`
    if (code === 'ECONNREFUSED')
      return `connection refused by ${at} while trying to ${doing(attempt)}: is the API server running and reachable from this runner?`
    if (code && (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')))
      return `TLS verification of ${at} failed (${code}) while trying to ${doing(attempt)}: the kubeconfig's certificate-authority does not match the server's certificate`
    if (
      code === 'ETIMEDOUT' ||
      code === 'ECONNRESET' ||
      code === 'EHOSTUNREACH' ||
      code === 'ENETUNREACH' ||
      code === 'EPIPE'
    )
      return `lost the connection to ${at} (${code}) while trying to ${doing(attempt)}`
    if (facts.reason === 'Timeout')
      return `no answer from ${at} in time while trying to ${doing(attempt)}`
    return `could not ${doing(attempt)} on ${at}: ${facts.message ?? 'unknown error'}`
  }
  switch (facts.status) {
    case 400:
      return withServerMessage(
        `${at} refused the request to ${doing(attempt)} as malformed (400)`,
        serverMessage
      )
    case 401:
      return `credentials rejected by ${at} (401 Unauthorized) while trying to ${doing(attempt)}: the token or client certificate in the kubeconfig is expired, revoked or for another cluster`
    case 403:
      return withServerMessage(
        `forbidden: cannot ${attempt.verb === 'apply' ? 'patch (server-side apply)' : attempt.verb} ${attempt.resource} in namespace ${attempt.namespace ?? '(cluster scope)'}`,
        serverMessage
      )
    case 404:
      return attempt.name
        ? `${attempt.resource} ${attempt.name} not found${attempt.namespace ? ` in namespace ${attempt.namespace}` : ''} (while trying to ${attempt.verb} it)`
        : withServerMessage(
            `${at} has no ${attempt.resource}${attempt.namespace ? ` in namespace ${attempt.namespace}` : ''} (404)`,
            serverMessage
          )
    case 409: {
      const conflicts = describeConflicts(facts.causes)
      if (conflicts)
        return `cannot ${doing(attempt)}: fields are managed by someone else: ${conflicts}. Stop the other writer, or force the apply to take them over`
      if (facts.reason === 'AlreadyExists') return `cannot ${doing(attempt)}: it already exists`
      return withServerMessage(`cannot ${doing(attempt)}: conflict (409)`, serverMessage)
    }
    case 410:
      return `the watch on ${target(attempt)} is too old (410 Gone); it must be listed again`
    case 422: {
      const causes = facts.causes
        .map(c => [c.field, c.message].filter(Boolean).join(': '))
        .filter(c => c !== '')
      return causes.length > 0
        ? `${target(attempt)} is invalid: ${causes.join('; ')}`
        : withServerMessage(`${target(attempt)} is invalid (422)`, serverMessage)
    }
    case 429: {
      const wait =
        facts.retryAfterMs !== undefined
          ? `; it asked to retry after ${Math.ceil(facts.retryAfterMs / 1000)} s`
          : ''
      return `${at} is throttling requests (429 Too Many Requests) while trying to ${doing(attempt)}${wait}`
    }
    default:
      if (facts.status >= 500)
        return withServerMessage(
          `${at} failed with ${facts.status} while trying to ${doing(attempt)}`,
          serverMessage
        )
      return withServerMessage(
        `${at} answered ${facts.status} while trying to ${doing(attempt)}`,
        serverMessage
      )
  }
}

function reasonFor(facts: FailureFacts): string {
  if (facts.reason) return facts.reason
  if (facts.status !== undefined) {
    const byStatus: Record<number, string> = {
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'NotFound',
      409: 'Conflict',
      410: 'Expired',
      422: 'Invalid',
      429: 'TooManyRequests'
    }
    return byStatus[facts.status] ?? (facts.status >= 500 ? 'InternalError' : 'Unknown')
  }
  if (facts.code === 'ECONNREFUSED') return 'ConnectionRefused'
  if (facts.code === 'ENOTFOUND' || facts.code === 'EAI_AGAIN') return 'DNSFailure'
  if (
    facts.code &&
    (TLS_CODES.has(facts.code) ||
      facts.code.startsWith('ERR_SSL') ||
      facts.code.startsWith('ERR_TLS'))
  )
    return 'TLSFailure'
  return facts.code ?? 'Unknown'
}

/** Wraps any request failure as a KubeError (KubeErrors pass through unchanged). */
export function toKubeError(err: unknown, attempt: Attempt, server: string): KubeError {
  if (err instanceof KubeError) return err
  const facts = failureFacts(err)
  return new KubeError(describeApiError(err, attempt, server), {
    code: facts.status ?? facts.code ?? 'Unknown',
    reason: reasonFor(facts),
    attempt,
    status: facts.status,
    retryAfterMs: facts.retryAfterMs,
    causes: facts.causes,
    serverMessage: facts.serverMessage
  })
}

/** A KubeError for an HTTP answer we read ourselves (status, body text, Retry-After header). */
export function httpError(
  status: number,
  body: string,
  retryAfter: unknown,
  attempt: Attempt,
  server: string
): KubeError {
  return toKubeError(
    { code: status, body, headers: { 'retry-after': retryAfter } },
    attempt,
    server
  )
}
