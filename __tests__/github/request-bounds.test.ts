/**
 * Both fetches Octokit may be given (httpsFetch direct, boundedFetch over @actions/github's own
 * fetch behind a proxy) give up on an API that is silent or never finishes, stop when cancelled,
 * and reject as fetch does, so Octokit's handling of a failed request stays as it is.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { defaults } from '@actions/github/lib/utils'
import { boundedFetch, type Fetch } from '../../src/github/bounded-fetch.js'
import { httpsFetch } from '../../src/github/https-fetch.js'
import type { RequestBounds } from '../../src/github/request-bounds.js'

/**
 * Short, so a test never waits (the defaults, 30 s and 60 s, are the same code with other numbers);
 * QUICK's silence, or SLOW's deadline, always comes first.
 */
const QUICK: RequestBounds = { idleMs: 100, deadlineMs: 10_000 }
const SLOW: RequestBounds = { idleMs: 10_000, deadlineMs: 200 }
/** Bounds that never end a test's request: what ends it is the test's doing. */
const NEVER: RequestBounds = { idleMs: 600_000, deadlineMs: 600_000 }

type Bounded = (bounds: RequestBounds) => Fetch
const undiciFetch: Fetch = defaults.request?.fetch
const fetches: [string, Bounded][] = [
  ['httpsFetch', bounds => (input, init) => httpsFetch(input, init, bounds)],
  ["boundedFetch over @actions/github's fetch", bounds => boundedFetch(undiciFetch, bounds)]
]

describe.each(fetches)('%s', (_name, bounded) => {
  let server: http.Server
  let base: string
  let host: string
  /** Called when a request the server will not finish has arrived (and got what it gets). */
  let stalled: () => void = () => undefined
  /** Answers the server leaves unfinished; other connections stay open for the next request. */
  const unfinished = new Set<http.ServerResponse>()

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      unfinished.add(res)
      res.on('finish', () => unfinished.delete(res))
      if (req.url?.startsWith('/json')) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-RateLimit-Remaining': '9' })
        res.end('{"id":7}')
      } else if (req.url === '/moved') {
        res.writeHead(301, { Location: '/json' })
        res.end()
      } else if (req.url?.startsWith('/never')) {
        stalled()
      } else if (req.url === '/half') {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.write('{"id":', () => stalled())
      } else if (req.url === '/trickle') {
        // A byte every 20 ms, never the end: never silent for long, never done.
        res.writeHead(200, { 'Content-Type': 'text/plain' })
        const drip = setInterval(() => res.write('.'), 20)
        res.on('close', () => clearInterval(drip))
      } else if (req.url === '/cut') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' })
        res.write('{"id":', () => res.destroy())
      }
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`
    base = `http://${host}`
  })
  afterEach(() => {
    stalled = () => undefined
    for (const res of unfinished) res.destroy()
  })
  afterAll(() => {
    server.closeAllConnections()
    return new Promise(resolve => server.close(resolve))
  })

  /** What a request rejected with, its cause's message as Octokit would show it. */
  async function failure(promise: Promise<Response>) {
    const error = await promise.then(
      () => {
        throw new Error('the request succeeded')
      },
      (e: unknown) => e as Error & { cause?: Error }
    )
    return { name: error.name, message: error.message, cause: error.cause }
  }

  it('answers status, headers, url and text as before', async () => {
    const res = await bounded(QUICK)(`${base}/json?page=2`)
    expect(res.status).toBe(200)
    expect(res.url).toBe(`${base}/json?page=2`)
    expect(res.headers.get('x-ratelimit-remaining')).toBe('9')
    expect(await res.text()).toBe('{"id":7}')
  })

  it('follows a redirect as before', async () => {
    const res = await bounded(QUICK)(`${base}/moved`)
    expect(res.status).toBe(200)
    expect(res.url).toBe(`${base}/json`)
    expect(res.redirected).toBe(true)
  })

  it('fails as fetch does when the server takes the request and never answers', async () => {
    const { name, message, cause } = await failure(bounded(QUICK)(`${base}/never`))
    expect({ name, message }).toEqual({ name: 'TypeError', message: 'fetch failed' })
    expect(cause).toMatchObject({ name: 'GitHubTimeoutError', code: 'ETIMEDOUT' })
    expect(cause?.message).toMatch(
      new RegExp(
        `^GitHub API request to ${host} timed out after 0.1 s without a byte from the server`
      )
    )
  })

  it('says what to do about a timeout', async () => {
    const { cause } = await failure(bounded(QUICK)(`${base}/never`))
    expect(cause?.message).toMatch(
      /check that this machine reaches the GitHub API \(GITHUB_API_URL/
    )
  })

  it('names the host of a request that timed out, never its path or query', async () => {
    const { cause } = await failure(bounded(QUICK)(`${base}/never/repos?access_token=ghs_secret`))
    expect(cause?.message).toContain(host)
    expect(cause?.message).not.toMatch(/never|repos|access_token|ghs_secret/)
  })

  it('fails when the answer stops half way', async () => {
    const { message, cause } = await failure(bounded(QUICK)(`${base}/half`))
    expect(message).toBe('fetch failed')
    expect(cause?.message).toMatch(/timed out after 0.1 s without a byte from the server/)
  })

  it('fails at the deadline an answer that keeps coming and never ends', async () => {
    const { message, cause } = await failure(bounded(SLOW)(`${base}/trickle`))
    expect(message).toBe('fetch failed')
    expect(cause?.message).toMatch(
      new RegExp(`^GitHub API request to ${host} timed out after 0.2 s, before the answer`)
    )
  })

  it('fails an answer whose connection breaks half way, never answering it as complete', async () => {
    const { name } = await failure(bounded(NEVER)(`${base}/cut`))
    expect(name).toBe('TypeError')
  })

  it('rejects with an AbortError when its signal aborts before the answer', async () => {
    const controller = new AbortController()
    stalled = () => controller.abort(new Error('the run was cancelled (SIGTERM)'))
    const { name, message, cause } = await failure(
      bounded(NEVER)(`${base}/never`, { signal: controller.signal })
    )
    expect(name).toBe('AbortError')
    expect(message).toBe(`GitHub API request to ${host} was cancelled`)
    expect(cause?.message).toBe('the run was cancelled (SIGTERM)')
  })

  it('rejects with an AbortError when its signal aborts half way through the answer', async () => {
    const controller = new AbortController()
    stalled = () => controller.abort()
    const { name } = await failure(bounded(NEVER)(`${base}/half`, { signal: controller.signal }))
    expect(name).toBe('AbortError')
  })

  it('sends nothing when its signal has already aborted', async () => {
    let asked = false
    stalled = () => (asked = true)
    const { name } = await failure(bounded(NEVER)(`${base}/never`, { signal: AbortSignal.abort() }))
    expect(name).toBe('AbortError')
    expect(asked).toBe(false)
  })
})
