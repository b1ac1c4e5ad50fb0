/**
 * The HTTP smoke checks (DESIGN.md, "Smoke checks"): `GET <health-path>` must answer 2xx and
 * `GET <version-path>` must contain the expected version. Every target is checked on its own and
 * retried inside one time budget; an HTTP failure is a result (ok: false, with the reason a person
 * needs), never an exception.
 */
import http from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KubeConfig } from '@kubernetes/client-node'
import { describeError, readCapped } from './http-response.js'
import type { Logger } from './logger.js'

export interface SmokeResponse {
  status: number
  body: string
  location?: string
}

export interface SmokeTarget {
  /** A pod name or a URL label: it opens every message about this target. */
  name: string
  fetch: (path: string, signal: AbortSignal) => Promise<SmokeResponse>
}

export interface SmokeOptions {
  healthPath: string
  versionPath: string
  expectedVersion: string
  /** The whole budget for one target, retries included. */
  timeoutMs: number
  /** One request's budget; default 5000. */
  attemptTimeoutMs?: number
  /** The pause between attempts; default 1000. */
  intervalMs?: number
  logger: Logger
  signal?: AbortSignal
}

export interface SmokeResult {
  target: string
  ok: boolean
  health: { status?: number; ok: boolean }
  version: { status?: number; ok: boolean; body?: string }
  attempts: number
  message: string
}

/** Bodies in messages are cut to this many bytes: enough to read an error page's first lines. */
export const BODY_EXCERPT_BYTES = 1024
const CUT_MARK = '…(cut)'
const MAX_REDIRECTS = 5
const MIN_RETRY_BUDGET_MS = 250
/** What urlTarget reads of a body at most: a smoke endpoint answering megabytes is not read whole. */
const MAX_BODY_BYTES = 256 * 1024

/**
 * A failure no retry can fix (a redirect to another host, too many redirects): the check of this
 * target ends at once instead of spending the rest of its budget.
 */
export class SmokeRefusedError extends Error {
  override name = 'SmokeRefusedError'
}

/** Checks every target on its own, in parallel; one slow or failing target never delays the verdict on another. */
export async function smokeCheck(
  targets: SmokeTarget[],
  opts: SmokeOptions
): Promise<SmokeResult[]> {
  // An empty expected version is contained in every body: the check could never fail.
  if (!opts.expectedVersion.trim()) {
    throw new Error('smoke checks need an expected version (inputs expected-version or version)')
  }
  return Promise.all(targets.map(target => checkTarget(target, opts)))
}

/** One line per target, for logs and the job summary. */
export function summarizeSmoke(results: SmokeResult[]): string {
  return results
    .map(r => {
      const attempts = `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`
      return `${r.ok ? 'pass' : 'FAIL'} ${r.message} (${attempts})`
    })
    .join('\n')
}

/**
 * A target reached by URL (the `smoke-url` input, e.g. the canary host), with Node's own fetch.
 * TLS is verified (fetch's default). Redirects are followed by hand so that one leading to another
 * host is refused: a smoke check must not be answered by somebody else's server.
 */
export function urlTarget(baseUrl: string): SmokeTarget {
  let base: URL
  try {
    base = new URL(baseUrl)
  } catch {
    throw new Error(`smoke-url is not a URL: ${JSON.stringify(baseUrl)}`)
  }
  if (base.username || base.password) {
    // Never echo the URL: it holds the credentials.
    throw new Error(
      'smoke-url must not contain credentials (user:password@); smoke endpoints are expected to answer without them'
    )
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`smoke-url must be http:// or https://, not ${base.protocol}//`)
  }
  const prefix = base.pathname.replace(/\/+$/, '')

  return {
    name: `${base.origin}${prefix}`,
    fetch: (path, signal) =>
      getFollowingRedirects(
        new URL(`${base.origin}${prefix}${path}`),
        path,
        url => fetchGet(url, signal),
        next =>
          next.host !== base.host
            ? `to another host, ${next.host}; refused: the check must be answered by ${base.host}`
            : base.protocol === 'https:' && next.protocol !== 'https:'
              ? `from https to ${next.protocol}//; refused`
              : undefined
      )
  }
}

/**
 * One pod reached through the API server's pod proxy (`proxyBase`, k8s/proxy.ts podProxyUrl), with
 * the kubeconfig's own authentication (token, client certificate, exec plugin, CA). Each canary pod
 * is asked on its own, so a stable pod behind the shared Service can never answer for the canary.
 */
export function podProxyTarget(kubeConfig: KubeConfig, proxyBase: URL, pod: string): SmokeTarget {
  return {
    name: pod,
    async fetch(path, signal) {
      // The kubeconfig's auth exactly as client-node applies it to node:https requests: token or
      // exec-plugin header, basic auth, CA, client certificate, skip-verify, proxy agent.
      const auth: https.RequestOptions = {}
      await kubeConfig.applyToHTTPSOptions(auth)
      // Only redirects that stay inside this pod's proxy are followed: a relative Location the API
      // server did not rewrite would otherwise be answered by the API server itself.
      return getFollowingRedirects(
        new URL(`${proxyBase.href}${path}`),
        path,
        url => nodeGet(url, auth, signal),
        next =>
          next.origin === proxyBase.origin && next.pathname.startsWith(`${proxyBase.pathname}/`)
            ? undefined
            : `out of pod ${pod}'s proxy, to ${next.origin}${next.pathname}; refused`
      )
    }
  }
}

/**
 * GET with redirects followed by hand (at most MAX_REDIRECTS), each one first put to `refusal`,
 * which returns why a redirect is refused or undefined to follow it.
 */
async function getFollowingRedirects(
  start: URL,
  path: string,
  getOnce: (url: URL) => Promise<SmokeResponse>,
  refusal: (next: URL) => string | undefined
): Promise<SmokeResponse> {
  let url = start
  for (let redirects = 0; ; redirects++) {
    const response = await getOnce(url)
    if (!isRedirect(response.status) || response.location === undefined) return response
    const next = new URL(response.location, url)
    const refused = refusal(next)
    if (refused)
      throw new SmokeRefusedError(`GET ${path} redirected (${response.status}) ${refused}`)
    if (redirects + 1 > MAX_REDIRECTS) {
      throw new SmokeRefusedError(
        `GET ${path} redirected more than ${MAX_REDIRECTS} times; refused`
      )
    }
    url = next
  }
}

/** One GET with Node's fetch, redirects left to the caller. */
async function fetchGet(url: URL, signal: AbortSignal): Promise<SmokeResponse> {
  const response = await fetch(url, { redirect: 'manual', signal })
  const location = response.headers.get('location') ?? undefined
  return {
    status: response.status,
    body: (await readCapped(response, MAX_BODY_BYTES)).text,
    location
  }
}

/**
 * One GET with node:http(s), for the pod proxy: client-node hands out its kubeconfig auth as
 * node:https options (applyToHTTPSOptions); its undici dispatcher does not fit Node's own fetch.
 */
function nodeGet(
  url: URL,
  options: https.RequestOptions,
  signal: AbortSignal
): Promise<SmokeResponse> {
  const send = url.protocol === 'https:' ? https.request : http.request
  return new Promise((resolve, reject) => {
    const request = send(url, { ...options, method: 'GET', signal }, response => {
      const chunks: Buffer[] = []
      let size = 0
      const done = (): void => {
        const location = response.headers.location
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'),
          location
        })
      }
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        size += chunk.byteLength
        if (size >= MAX_BODY_BYTES) {
          response.destroy()
          done()
        }
      })
      response.on('end', done)
      response.on('error', reject)
      // A connection cut mid-body (or an abort) must settle the promise too; after done() a no-op.
      response.on('close', () => {
        if (!response.complete) reject(new Error('the connection closed before the body ended'))
      })
    })
    request.on('error', reject)
    request.end()
  })
}

/** A body for a message: quoted on one line, cut to BODY_EXCERPT_BYTES, saying so when cut. */
export function bodyExcerpt(body: string): string {
  const { text, cut } = cutBody(body)
  return `${JSON.stringify(text)}${cut ? CUT_MARK : ''}`
}

type AttemptOutcome = Omit<SmokeResult, 'attempts' | 'target'> & { final: boolean }

async function checkTarget(target: SmokeTarget, opts: SmokeOptions): Promise<SmokeResult> {
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 5000
  const intervalMs = opts.intervalMs ?? 1000
  const deadline = Date.now() + opts.timeoutMs
  let attempts = 0
  for (;;) {
    attempts++
    const outcome = await attempt(
      target,
      opts,
      Math.max(1, Math.min(attemptTimeoutMs, deadline - Date.now()))
    )
    const { final, ...result } = outcome
    if (result.ok) {
      opts.logger.info(result.message)
      return { target: target.name, attempts, ...result }
    }
    const cancelled = opts.signal?.aborted === true
    // Retry only when the next attempt would still have a fair budget: an attempt squeezed into the
    // budget's last milliseconds would only replace a telling failure with a meaningless timeout.
    const nextBudget = deadline - (Date.now() + intervalMs)
    if (final || cancelled || nextBudget < Math.min(attemptTimeoutMs, MIN_RETRY_BUDGET_MS)) {
      const message = cancelled
        ? `${target.name}: smoke check cancelled; last: ${result.message}`
        : result.message
      return { target: target.name, attempts, ...result, message }
    }
    opts.logger.debug(`${result.message}; retrying (attempt ${attempts})`)
    try {
      await sleep(intervalMs, undefined, { signal: opts.signal })
    } catch {
      // Cancelled while waiting: the next turn of the loop reports it after one more look.
    }
  }
}

async function attempt(
  target: SmokeTarget,
  opts: SmokeOptions,
  budgetMs: number
): Promise<AttemptOutcome> {
  // One timeout for the whole attempt (health and version), so no attempt outlives its budget.
  const timeout = AbortSignal.timeout(budgetMs)
  const budget = { ms: budgetMs, timeout, outer: opts.signal }
  const health = await request(target, opts.healthPath, budget)
  if (!health.response) {
    return {
      ok: false,
      final: health.final,
      health: { ok: false },
      version: { ok: false },
      message: `${target.name}: ${health.error}`
    }
  }
  const healthStatus = health.response.status
  if (!is2xx(healthStatus)) {
    return {
      ok: false,
      final: false,
      health: { status: healthStatus, ok: false },
      version: { ok: false },
      message: `${target.name}: GET ${opts.healthPath} answered ${healthStatus} with ${bodyExcerpt(health.response.body)} (expected 2xx)`
    }
  }

  const version = await request(target, opts.versionPath, budget)
  if (!version.response) {
    return {
      ok: false,
      final: version.final,
      health: { status: healthStatus, ok: true },
      version: { ok: false },
      message: `${target.name}: ${version.error}`
    }
  }
  const { status, body } = version.response
  const versionOk = is2xx(status) && body.includes(opts.expectedVersion)
  const cut = cutBody(body)
  const versionResult = {
    status,
    ok: versionOk,
    body: cut.cut ? `${cut.text}${CUT_MARK}` : cut.text
  }
  const expected = JSON.stringify(opts.expectedVersion)
  return {
    ok: versionOk,
    final: false,
    health: { status: healthStatus, ok: true },
    version: versionResult,
    message: versionOk
      ? `${target.name}: GET ${opts.healthPath} answered ${healthStatus}, GET ${opts.versionPath} answered ${status} with ${expected}`
      : `${target.name}: GET ${opts.versionPath} answered ${status} with ${bodyExcerpt(body)} (expected ${is2xx(status) ? '' : '2xx, '}it to contain ${expected})`
  }
}

type RequestOutcome =
  | { response: SmokeResponse; final?: undefined; error?: undefined }
  | { response?: undefined; final: boolean; error: string }

async function request(
  target: SmokeTarget,
  path: string,
  { ms, timeout, outer }: { ms: number; timeout: AbortSignal; outer: AbortSignal | undefined }
): Promise<RequestOutcome> {
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout
  try {
    return { response: await target.fetch(path, signal) }
  } catch (error) {
    if (error instanceof SmokeRefusedError) return { final: true, error: error.message }
    if (outer?.aborted) return { final: true, error: `GET ${path} cancelled` }
    if (timeout.aborted)
      return { final: false, error: `GET ${path} got no answer within ${ms} ms (timeout)` }
    return { final: false, error: `GET ${path} failed: ${describeError(error)}` }
  }
}

/** Cuts on a character boundary: a multi-byte character split in two is dropped, not mangled. */
function cutBody(body: string): { text: string; cut: boolean } {
  if (Buffer.byteLength(body) <= BODY_EXCERPT_BYTES) return { text: body, cut: false }
  const text = Buffer.from(body)
    .subarray(0, BODY_EXCERPT_BYTES)
    .toString('utf8')
    .replace(/\uFFFD+$/, '')
  return { text, cut: true }
}

function is2xx(status: number): boolean {
  return status >= 200 && status < 300
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}
