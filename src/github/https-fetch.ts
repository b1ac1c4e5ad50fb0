/**
 * Octokit's requests over node:https instead of fetch. Node's fetch is undici inside Node: its first
 * use loads it and compiles its HTTP parser (WebAssembly), about 24 MB of RSS for the few GitHub API
 * calls a run makes (issue 17), while node:https is loaded anyway for the API server. Octokit takes
 * any fetch (request.fetch) and reads only status, statusText, url, headers, text() and arrayBuffer()
 * of the answer: that, and redirects as fetch follows them, is what this gives, bounded as
 * request-bounds.ts says and rejecting as fetch does.
 */
import http from 'node:http'
import https from 'node:https'
import { fetchAnswer } from './fetch-answer.js'
import {
  GITHUB_REQUEST_BOUNDS,
  guardRequest,
  type RequestBounds,
  type RequestGuard
} from './request-bounds.js'

const MAX_REDIRECTS = 20

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const record: Record<string, string> = {}
  if (!headers) return record
  const entries =
    headers instanceof Map || Array.isArray(headers)
      ? [...headers]
      : Object.entries(headers as Record<string, string>)
  for (const [name, value] of entries) record[String(name).toLowerCase()] = String(value)
  return record
}

function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || body instanceof Uint8Array) return body
  throw new TypeError('httpsFetch sends a string or bytes, not a stream or form')
}

interface Sent {
  status: number
  statusText: string
  headers: http.IncomingHttpHeaders
  bytes: Buffer
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  guard: RequestGuard
): Promise<Sent> {
  const request = url.protocol === 'https:' ? https.request : http.request
  const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }
  return new Promise((resolve, reject) => {
    const { signal } = guard
    if (signal.aborted) return reject(signal.reason)
    const req = request(url, { method, headers: { ...length, ...headers } }, res => {
      guard.heard()
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => {
        guard.heard()
        chunks.push(chunk)
      })
      res.on('error', fail)
      res.on('end', () => {
        signal.removeEventListener('abort', stop)
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          bytes: Buffer.concat(chunks)
        })
      })
    })
    function stop(): void {
      req.destroy()
      fail(signal.reason)
    }
    function fail(error: unknown): void {
      signal.removeEventListener('abort', stop)
      // A bound passed or a cancel: the guard's reason says which. Else, as fetch rejects: a
      // TypeError whose cause is the network error.
      reject(signal.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }))
    }
    signal.addEventListener('abort', stop, { once: true })
    req.on('error', fail)
    req.end(body)
  })
}

function answer(sent: Sent, url: URL, redirected: boolean): Response {
  const headers = new Map<string, string>()
  for (const [name, value] of Object.entries(sent.headers))
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  const { status, statusText, bytes } = sent
  return fetchAnswer({ status, statusText, url: url.href, redirected, headers, bytes })
}

/**
 * fetch(input, init) for Octokit: follows redirects as fetch does, never sends credentials away,
 * and gives up as `bounds` say (the deadline covers every redirect).
 */
export async function httpsFetch(
  input: string | URL,
  init: RequestInit = {},
  bounds: RequestBounds = GITHUB_REQUEST_BOUNDS
): Promise<Response> {
  let url = new URL(String(input))
  let method = (init.method ?? 'GET').toUpperCase()
  let headers = headerRecord(init.headers)
  let body = bodyOf(init.body)
  const guard = guardRequest(url, bounds, init.signal)
  try {
    for (let redirects = 0; ; redirects++) {
      const sent = await send(url, method, headers, body, guard)
      const location = sent.headers.location
      if (
        ![301, 302, 303, 307, 308].includes(sent.status) ||
        !location ||
        init.redirect === 'manual'
      )
        return answer(sent, url, redirects > 0)
      if (init.redirect === 'error' || redirects >= MAX_REDIRECTS)
        throw new TypeError('fetch failed', { cause: new Error(`redirect to ${location} refused`) })
      const next = new URL(location, url)
      // As fetch: a 303, or a 301/302 after a POST, is followed with a GET and no body.
      if (
        sent.status === 303 ||
        ((sent.status === 301 || sent.status === 302) && method === 'POST')
      ) {
        method = method === 'HEAD' ? 'HEAD' : 'GET'
        body = undefined
        headers = Object.fromEntries(
          Object.entries(headers).filter(([name]) => !/^content-(type|length)$/.test(name))
        )
      }
      // As fetch: the Authorization header does not follow a redirect to another origin.
      if (next.origin !== url.origin) delete headers.authorization
      url = next
    }
  } finally {
    guard.done()
  }
}
