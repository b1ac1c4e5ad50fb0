import { jest } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import {
  describeApiError,
  githubClient,
  httpStatus,
  type GitHubClient,
  type GitHubClientOptions
} from '../../src/github/client.js'
import { MemoryLogger } from '../../src/logger.js'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'

/**
 * An HTTP proxy that tunnels every CONNECT to `target` (127.0.0.1:port), whatever host was asked
 * for, and records what it was asked: a host that resolves nowhere is reached only through it.
 */
async function startProxy(
  target: number
): Promise<{ url: string; asked: string[]; server: Server }> {
  const asked: string[] = []
  const server = createServer((_req, res) => res.writeHead(501).end())
  server.on('connect', (req, client) => {
    asked.push(req.url ?? '')
    const upstream = connect(target, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, server }
}

/** Short bounds, so a test never waits for the defaults (30 s silence, 60 s a request). */
const QUICK = { bounds: { idleMs: 100, deadlineMs: 10_000 } }

describe('githubClient', () => {
  let api: GitHubApi
  const direct = (url: string) => ({ apiUrl: url, viaProxy: false })
  const issue = { owner: 'a', repo: 'b', issue_number: 1 }
  beforeAll(async () => {
    api = await startGitHubApi({ token: 'ghs_secret123' })
  })
  afterAll(() => api.stop())
  afterEach(() => (api.state.faults.length = 0))

  /** The API takes the comments requests and never answers them; `then` runs once one is taken. */
  const neverAnswer = (then: () => void = () => undefined) =>
    api.state.faults.push({ path: /\/comments$/, hang: then })

  /** What a call rejected with. */
  const rejection = (call: Promise<unknown>): Promise<unknown> =>
    call.then(
      () => {
        throw new Error('the call succeeded')
      },
      (error: unknown) => error
    )

  it('talks to the given API URL with the token', async () => {
    const octokit = await githubClient('ghs_secret123', direct(`${api.url}/`), new MemoryLogger())
    const { status } = await octokit.rest.issues.listComments({
      owner: 'a',
      repo: 'b',
      issue_number: 1
    })
    expect(status).toBe(200)
  })

  it('masks the token in everything logged afterwards', async () => {
    const logger = new MemoryLogger()
    await githubClient('ghs_secret123', direct(api.url), logger)
    logger.info('token is ghs_secret123')
    expect(logger.lines).toEqual(['token is ***'])
  })

  it('surfaces a rejected token as an HTTP 401 without the token in the message', async () => {
    const octokit = await githubClient('ghs_wrong', direct(api.url), new MemoryLogger())
    const error: unknown = await octokit.rest.issues
      .listComments({ owner: 'a', repo: 'b', issue_number: 1 })
      .catch((e: unknown) => e)
    expect(httpStatus(error)).toBe(401)
    expect(describeApiError(error)).toMatch(/^HTTP 401: Bad credentials/)
    expect(describeApiError(error)).not.toContain('ghs_wrong')
  })

  it('fails a call the API never answers with the timeout, naming the API host, not the token', async () => {
    neverAnswer()
    const octokit = await githubClient('ghs_secret123', direct(api.url), new MemoryLogger(), QUICK)
    const error = await rejection(octokit.rest.issues.listComments(issue))
    const host = new URL(api.url).host
    expect(describeApiError(error)).toMatch(
      new RegExp(`^GitHub API request to ${host} timed out after 0.1 s without a byte`)
    )
    expect(describeApiError(error)).not.toContain('ghs_secret123')
  })

  it('does not call a request that got no answer an HTTP 500', async () => {
    neverAnswer()
    const octokit = await githubClient('ghs_secret123', direct(api.url), new MemoryLogger(), QUICK)
    const error = await rejection(octokit.rest.issues.listComments(issue))
    expect(describeApiError(error)).not.toMatch(/HTTP \d|500/)
  })

  it('stops a call under way when its signal aborts, as an AbortError', async () => {
    const controller = new AbortController()
    neverAnswer(() => controller.abort(new Error('the run was cancelled (SIGTERM)')))
    const octokit = await githubClient('ghs_secret123', direct(api.url), new MemoryLogger(), {
      signal: controller.signal
    })
    const error = await rejection(octokit.rest.issues.listComments(issue))
    expect(error).toMatchObject({ name: 'AbortError' })
    expect(describeApiError(error)).toBe(
      `GitHub API request to ${new URL(api.url).host} was cancelled`
    )
  })

  it('stops every page of a paginated call when its signal aborts', async () => {
    const controller = new AbortController()
    neverAnswer(() => controller.abort())
    const octokit = await githubClient('ghs_secret123', direct(api.url), new MemoryLogger(), {
      signal: controller.signal
    })
    const error = await rejection(octokit.paginate(octokit.rest.issues.listComments, issue))
    expect(error).toMatchObject({ name: 'AbortError' })
  })

  it('refuses an empty token with a message naming the input', async () => {
    await expect(githubClient('', direct(api.url), new MemoryLogger())).rejects.toThrow(
      /github-token/
    )
  })

  describe('and a proxy', () => {
    let proxy: Awaited<ReturnType<typeof startProxy>>
    const saved = { ...process.env }
    /** A name no resolver knows: only the proxy's tunnel reaches the test API under it. */
    const unresolvable = () => `http://api.github.invalid:${new URL(api.url).port}`
    /**
     * @actions/github makes its proxy-aware fetch when it is loaded, from the proxy variables and
     * GITHUB_API_URL of that moment (as on a runner, where both are set before the action starts).
     */
    async function listComments(
      viaProxy: boolean,
      options: GitHubClientOptions = {}
    ): Promise<number> {
      let octokit: GitHubClient | undefined
      await jest.isolateModulesAsync(async () => {
        // Jest's ESM loader, reloading, races when two modules import a third at once ("Module
        // cache already has entry"): the modules both of client.js's fetches import load first.
        await import('../../src/github/request-bounds.js')
        await import('../../src/github/fetch-answer.js')
        const { githubClient: client } = await import('../../src/github/client.js')
        // Made inside: making the client is what imports @actions/github.
        octokit = await client(
          'ghs_secret123',
          { apiUrl: unresolvable(), viaProxy },
          new MemoryLogger(),
          options
        )
      })
      const answer = await octokit!.rest.issues.listComments(issue)
      return answer.status
    }
    beforeEach(async () => {
      proxy = await startProxy(Number(new URL(api.url).port))
      for (const name of ['no_proxy', 'NO_PROXY', 'https_proxy', 'HTTPS_PROXY', 'http_proxy'])
        delete process.env[name]
      process.env.HTTP_PROXY = proxy.url
      process.env.GITHUB_API_URL = unresolvable()
    })
    afterEach(async () => {
      process.env = { ...saved }
      await new Promise(resolve => proxy.server.close(resolve))
    })

    it('goes through the proxy when the run context says there is one', async () => {
      expect(await listComments(true)).toBe(200)
      expect(proxy.asked).toEqual([`api.github.invalid:${new URL(api.url).port}`])
    })

    it("goes direct when the run context says there is none, whatever this process's environment holds", async () => {
      await expect(listComments(false)).rejects.toThrow(/fetch failed/)
      expect(proxy.asked).toEqual([])
    })

    it('gives up through the proxy too on an API that never answers, naming its host', async () => {
      neverAnswer()
      const error = await rejection(listComments(true, QUICK))
      expect(describeApiError(error)).toMatch(
        /^GitHub API request to api\.github\.invalid:\d+ timed out after 0\.1 s/
      )
      expect(proxy.asked).toHaveLength(1)
    })

    it('stops a call through the proxy when its signal aborts, as an AbortError', async () => {
      const controller = new AbortController()
      neverAnswer(() => controller.abort())
      const error = await rejection(listComments(true, { signal: controller.signal }))
      expect(error).toMatchObject({ name: 'AbortError' })
      expect(proxy.asked).toHaveLength(1)
    })
  })
})
