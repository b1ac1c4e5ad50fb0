import { describeApiError, githubClient, httpStatus } from '../../src/github/client.js'
import { MemoryLogger } from '../../src/logger.js'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'

describe('githubClient', () => {
  let api: GitHubApi
  beforeAll(async () => {
    api = await startGitHubApi({ token: 'ghs_secret123' })
  })
  afterAll(() => api.stop())

  it('talks to the given API URL with the token', async () => {
    const octokit = githubClient('ghs_secret123', `${api.url}/`, new MemoryLogger())
    const { status } = await octokit.rest.issues.listComments({
      owner: 'a',
      repo: 'b',
      issue_number: 1
    })
    expect(status).toBe(200)
  })

  it('masks the token in everything logged afterwards', () => {
    const logger = new MemoryLogger()
    githubClient('ghs_secret123', api.url, logger)
    logger.info('token is ghs_secret123')
    expect(logger.lines).toEqual(['token is ***'])
  })

  it('surfaces a rejected token as an HTTP 401 without the token in the message', async () => {
    const octokit = githubClient('ghs_wrong', api.url, new MemoryLogger())
    const error: unknown = await octokit.rest.issues
      .listComments({ owner: 'a', repo: 'b', issue_number: 1 })
      .catch((e: unknown) => e)
    expect(httpStatus(error)).toBe(401)
    expect(describeApiError(error)).toMatch(/^HTTP 401: Bad credentials/)
    expect(describeApiError(error)).not.toContain('ghs_wrong')
  })

  it('refuses an empty token with a message naming the input', () => {
    expect(() => githubClient('', api.url, new MemoryLogger())).toThrow(/github-token/)
  })
})
