/**
 * Raw HTTP to the API server with the kubeconfig's credentials (client-node's applyToHTTPSOptions),
 * for what the generated clients do poorly: server-side apply, watches we can resume and time out
 * ourselves, and statuses with their Retry-After header.
 */
import http from 'node:http'
import https from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { type Attempt, KubeError, httpError, toKubeError } from './errors.js'

/** What a request needs to reach the API server. */
export interface Connection {
  kubeConfig: KubeConfig
  server: string
}

export type Query = Record<string, string | number | boolean | undefined>

export interface RestRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Absolute API path, e.g. /apis/apps/v1/namespaces/prod/deployments. */
  path: string
  query?: Query
  /** Objects are sent as JSON. */
  body?: unknown
  contentType?: string
  signal?: AbortSignal
  /** Socket idle timeout for a plain request, ms (default 30 s). */
  timeoutMs?: number
  /** Read at most this many bytes of the body (a proxied answer can be anything); default all. */
  maxBytes?: number
}

export interface RestResponse {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
  /** More than `maxBytes` came: `text` is its first `maxBytes`. */
  cut?: boolean
}

export function buildUrl(server: string, path: string, query: Query = {}): URL {
  const url = new URL(server.replace(/\/+$/, '') + path)
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(key, String(value))
  }
  return url
}

async function requestOptions(
  conn: Connection,
  req: RestRequest,
  body: string | undefined
): Promise<https.RequestOptions> {
  const headers: http.OutgoingHttpHeaders = {
    Accept: 'application/json',
    'User-Agent': 'canary-deploy'
  }
  if (body !== undefined) {
    headers['Content-Type'] = req.contentType ?? 'application/json'
    headers['Content-Length'] = Buffer.byteLength(body)
  }
  const options: https.RequestOptions = { method: req.method, headers }
  await conn.kubeConfig.applyToHTTPSOptions(options)
  // Verify TLS unless the kubeconfig itself says insecure-skip-tls-verify (client-node leaves it unset).
  if (options.rejectUnauthorized === undefined) options.rejectUnauthorized = true
  return options
}

/** Opens a request and resolves with the response head; the caller reads or streams the body. */
async function open(
  conn: Connection,
  req: RestRequest,
  attempt: Attempt
): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
  const url = buildUrl(conn.server, req.path, req.query)
  const body =
    req.body === undefined
      ? undefined
      : typeof req.body === 'string'
        ? req.body
        : JSON.stringify(req.body)
  let options: https.RequestOptions
  try {
    options = await requestOptions(conn, req, body)
  } catch (err) {
    throw toKubeError(err, attempt, conn.server)
  }
  const transport = url.protocol === 'http:' ? http : https
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { ...options, signal: req.signal }, response => {
      // An abort can destroy the response before the caller attaches its listeners; an 'error'
      // with no listener would crash the process, and the caller learns of it through 'close'.
      response.on('error', () => undefined)
      resolve({ request, response })
    })
    request.on('error', err => reject(toKubeError(err, attempt, conn.server)))
    if (req.timeoutMs !== 0) {
      request.setTimeout(req.timeoutMs ?? 30_000, () => {
        const timeout = Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })
        request.destroy(timeout)
      })
    }
    request.end(body)
  })
}

function readAll(
  response: http.IncomingMessage,
  maxBytes = Infinity
): Promise<{ text: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (cut: boolean): void =>
      resolve({ text: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'), cut })
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.byteLength
      if (size > maxBytes) {
        response.destroy()
        done(true)
      }
    })
    response.on('end', () => done(false))
    response.on('error', reject)
  })
}

/** One request; any status is returned, only transport failures throw (as KubeError). */
export async function send(
  conn: Connection,
  req: RestRequest,
  attempt: Attempt
): Promise<RestResponse> {
  const { response } = await open(conn, req, attempt)
  try {
    const { text, cut } = await readAll(response, req.maxBytes)
    return {
      status: response.statusCode ?? 0,
      headers: response.headers,
      text,
      ...(cut ? { cut } : {})
    }
  } catch (err) {
    throw toKubeError(err, attempt, conn.server)
  }
}

/** One request whose 2xx answer is JSON; any other status throws a KubeError in words. */
export async function requestJson<T>(
  conn: Connection,
  req: RestRequest,
  attempt: Attempt
): Promise<T> {
  const res = await send(conn, req, attempt)
  if (res.status < 200 || res.status >= 300) {
    throw httpError(res.status, res.text, res.headers['retry-after'], attempt, conn.server)
  }
  try {
    return JSON.parse(res.text) as T
  } catch {
    throw new KubeError(
      `${conn.server} answered ${attempt.verb} ${attempt.resource} with something that is not JSON`,
      {
        code: res.status,
        reason: 'InvalidResponse',
        attempt,
        status: res.status
      }
    )
  }
}

/** One request whose 2xx answer is text (pod logs). */
export async function requestText(
  conn: Connection,
  req: RestRequest,
  attempt: Attempt
): Promise<string> {
  const res = await send(conn, req, attempt)
  if (res.status < 200 || res.status >= 300) {
    throw httpError(res.status, res.text, res.headers['retry-after'], attempt, conn.server)
  }
  return res.text
}

/** A streaming GET (a watch): resolves once the server answered 200; any other status throws. */
export async function openStream(
  conn: Connection,
  req: RestRequest,
  attempt: Attempt
): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
  const opened = await open(conn, { ...req, timeoutMs: 0 }, attempt)
  const status = opened.response.statusCode ?? 0
  if (status !== 200) {
    const { text } = await readAll(opened.response).catch(() => ({ text: '' }))
    throw httpError(status, text, opened.response.headers['retry-after'], attempt, conn.server)
  }
  return opened
}
