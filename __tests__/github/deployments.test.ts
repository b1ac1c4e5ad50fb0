import { githubClient, type GitHubClient } from '../../src/github/client.js'
import { setDeploymentStatus, startDeployment } from '../../src/github/deployments.js'
import { MemoryLogger } from '../../src/logger.js'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'

describe('GitHub deployments', () => {
  let api: GitHubApi
  let octokit: GitHubClient
  let logger: MemoryLogger
  const sha = 'a'.repeat(40)
  const request = {
    owner: 'acme',
    repo: 'web',
    ref: sha,
    environment: 'production-canary',
    description: 'canary aaaaaaa',
    payload: { digest: 'sha256:abc', version: 'aaaaaaa' },
    transient: true,
    production: false
  }

  beforeEach(async () => {
    api = await startGitHubApi()
    logger = new MemoryLogger()
    octokit = githubClient(api.token, { apiUrl: api.url, viaProxy: false }, logger)
  })
  afterEach(() => api.stop())

  it('creates a deployment for the exact ref, without auto-merge or required contexts', async () => {
    const id = await startDeployment(octokit, request, logger)
    expect(api.state.deployments).toHaveLength(1)
    const [deployment] = api.state.deployments
    expect(id).toBe(deployment.id)
    expect(deployment.request).toEqual({
      ref: sha,
      environment: 'production-canary',
      description: 'canary aaaaaaa',
      auto_merge: false,
      required_contexts: [],
      payload: { digest: 'sha256:abc', version: 'aaaaaaa' },
      transient_environment: true,
      production_environment: false
    })
    expect(api.state.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/repos/acme/web/deployments'
    })
  })

  it('records statuses against the deployment with URLs and description', async () => {
    const id = await startDeployment(octokit, request, logger)
    const handle = { owner: 'acme', repo: 'web', id }
    expect(await setDeploymentStatus(octokit, handle, 'in_progress', {}, logger)).toBe(true)
    await setDeploymentStatus(
      octokit,
      handle,
      'success',
      {
        environmentUrl: 'https://canary.example.com',
        logUrl: 'https://github.com/acme/web/actions/runs/1',
        description: 'canary live'
      },
      logger
    )
    expect(api.state.statuses.map(s => s.state)).toEqual(['in_progress', 'success'])
    expect(api.state.statuses[1]).toMatchObject({
      deployment_id: id,
      environment_url: 'https://canary.example.com',
      log_url: 'https://github.com/acme/web/actions/runs/1',
      description: 'canary live'
    })
    expect(api.state.requests.at(-1)?.body).toEqual({
      state: 'success',
      environment_url: 'https://canary.example.com',
      log_url: 'https://github.com/acme/web/actions/runs/1',
      description: 'canary live'
    })
  })

  it('shortens descriptions to the 140 characters GitHub accepts', async () => {
    await startDeployment(octokit, { ...request, description: 'd'.repeat(300) }, logger)
    expect(api.state.deployments[0].description).toHaveLength(140)
  })

  it('only warns when the deployments API fails, and the run goes on', async () => {
    api.state.faults.push({ method: 'POST', path: /\/deployments$/, status: 500, message: 'boom' })
    const id = await startDeployment(octokit, request, logger)
    expect(id).toBeUndefined()
    expect(logger.lines).toEqual([
      expect.stringMatching(/^warning: Could not create a GitHub deployment .*HTTP 500/)
    ])
  })

  it('only warns when a status cannot be set', async () => {
    const id = await startDeployment(octokit, request, logger)
    api.state.faults.push({
      path: /\/statuses$/,
      status: 403,
      message: 'Resource not accessible by integration'
    })
    const set = await setDeploymentStatus(
      octokit,
      { owner: 'acme', repo: 'web', id },
      'failure',
      {},
      logger
    )
    expect(set).toBe(false)
    expect(logger.lines.filter(l => l.startsWith('warning:'))).toEqual([
      expect.stringContaining(`Could not set GitHub deployment ${id} to failure: HTTP 403`)
    ])
  })

  it('does nothing for a deployment that was never created', async () => {
    const before = api.state.requests.length
    const set = await setDeploymentStatus(
      octokit,
      { owner: 'acme', repo: 'web', id: undefined },
      'success',
      {},
      logger
    )
    expect(set).toBe(false)
    expect(api.state.requests.length).toBe(before)
  })
})
