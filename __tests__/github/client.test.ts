import { jest } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { describeApiError, githubClient, httpStatus } from '../../src/github/client.js'
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

describe('githubClient', () => {
  let api: GitHubApi
  const direct = (url: string) => ({ apiUrl: url, viaProxy: false })
  beforeAll(async () => {
    api = await startGitHubApi({ token: 'ghs_secret123' })
  })
  afterAll(() => api.stop())

  it('talks to the given API URL with the token', async () => {
    const octokit = githubClient('ghs_secret123', direct(`${api.url}/`), new MemoryLogger())
    const { status } = await octokit.rest.issues.listComments({
      owner: 'a',
      repo: 'b',
      issue_number: 1
    })
    expect(status).toBe(200)
  })

  it('masks the token in everything logged afterwards', () => {
    const logger = new MemoryLogger()
    githubClient('ghs_secret123', direct(api.url), logger)
    logger.info('token is ghs_secret123')
    expect(logger.lines).toEqual(['token is ***'])
  })

  it('surfaces a rejected token as an HTTP 401 without the token in the message', async () => {
    const octokit = githubClient('ghs_wrong', direct(api.url), new MemoryLogger())
    const error: unknown = await octokit.rest.issues
      .listComments({ owner: 'a', repo: 'b', issue_number: 1 })
      .catch((e: unknown) => e)
    expect(httpStatus(error)).toBe(401)
    expect(describeApiError(error)).toMatch(/^HTTP 401: Bad credentials/)
    expect(describeApiError(error)).not.toContain('ghs_wrong')
  })

  it('refuses an empty token with a message naming the input', () => {
    expect(() => githubClient('', direct(api.url), new MemoryLogger())).toThrow(/github-token/)
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
    async function listComments(viaProxy: boolean): Promise<number> {
      let client: typeof githubClient | undefined
      await jest.isolateModulesAsync(async () => {
        client = (await import('../../src/github/client.js')).githubClient
      })
      const octokit = client!(
        'ghs_secret123',
        { apiUrl: unresolvable(), viaProxy },
        new MemoryLogger()
      )
      const answer = await octokit.rest.issues.listComments({
        owner: 'a',
        repo: 'b',
        issue_number: 1
      })
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
  })
})
