/**
 * The run context: read once, by settings.ts, from the GITHUB_* variables the runner sets (and its
 * event file); outside GitHub every field has a default that works.
 */
import { readRunContext } from '../src/settings.js'

const actionsEnv = {
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/web',
  GITHUB_SHA: 'f'.repeat(40),
  GITHUB_REF: 'refs/heads/main',
  GITHUB_RUN_ID: '123456789',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_JOB: 'deploy',
  GITHUB_ACTOR: 'alice',
  GITHUB_TRIGGERING_ACTOR: 'bob',
  GITHUB_SERVER_URL: 'https://github.example.com/',
  GITHUB_API_URL: 'https://github.example.com/api/v3',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_WORKSPACE: '/work/repo'
}

const noFile = (): string => {
  throw new Error('ENOENT')
}

describe('the run context', () => {
  it('reads the run from GITHUB_* variables', () => {
    expect(readRunContext(actionsEnv, noFile, false)).toEqual({
      repository: 'acme/web',
      owner: 'acme',
      repo: 'web',
      sha: 'f'.repeat(40),
      ref: 'refs/heads/main',
      runId: '123456789',
      runAttempt: 2,
      job: 'deploy',
      actor: 'alice',
      triggeringActor: 'bob',
      event: 'push',
      serverUrl: 'https://github.example.com',
      apiUrl: 'https://github.example.com/api/v3',
      workflowRunUrl: 'https://github.example.com/acme/web/actions/runs/123456789',
      inActions: true,
      repositoryPrivate: false,
      approval: 'github',
      workspace: '/work/repo',
      source: `acme/web@${'f'.repeat(12)} run:123456789`,
      toolEnv: actionsEnv,
      viaProxy: false
    })
  })

  it('takes the pull request number from the event file, and its base branch', () => {
    const env = {
      ...actionsEnv,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: '/event.json',
      GITHUB_BASE_REF: 'main'
    }
    const run = readRunContext(
      env,
      path => (path === '/event.json' ? '{"pull_request":{"number":42}}' : ''),
      false
    )
    expect([run.prNumber, run.baseRef]).toEqual([42, 'main'])
  })

  it('says the repository is private when the event does', () => {
    const event = JSON.stringify({ repository: { private: true } })
    expect(
      readRunContext({ ...actionsEnv, GITHUB_EVENT_PATH: '/e' }, () => event, false)
    ).toMatchObject({
      repositoryPrivate: true
    })
  })

  it('takes the pull request number from a comment on a pull request', () => {
    const event = JSON.stringify({ issue: { number: 9, pull_request: { url: 'x' } } })
    expect(
      readRunContext({ ...actionsEnv, GITHUB_EVENT_PATH: '/e' }, () => event, false).prNumber
    ).toBe(9)
  })

  it('falls back to the pull request ref when the event file cannot be read', () => {
    const env = { ...actionsEnv, GITHUB_REF: 'refs/pull/17/merge', GITHUB_EVENT_PATH: '/missing' }
    expect(readRunContext(env, noFile, false).prNumber).toBe(17)
  })

  it('has no pull request number on a push', () => {
    expect(readRunContext(actionsEnv, noFile, false)).not.toHaveProperty('prNumber')
  })

  it('works outside GitHub: no run, a local source, the cluster credentials approve', () => {
    const run = readRunContext({ USER: 'dev' }, noFile, false)
    expect(run).toMatchObject({
      repository: '',
      runId: '',
      runAttempt: 1,
      actor: 'dev',
      triggeringActor: 'dev',
      event: 'local',
      serverUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
      inActions: false,
      approval: 'cluster-credentials',
      source: 'local@unknown run:local'
    })
    expect(run.workflowRunUrl).toBeUndefined()
  })

  it('checks approval through GitHub from a shell when a token is given', () => {
    expect(readRunContext({ USER: 'dev' }, noFile, true).approval).toBe('github')
  })

  it('gives the builders the environment less the inputs, which hold the credentials', () => {
    const env = {
      PATH: '/usr/bin',
      DOCKER_CONFIG: '/home/runner/.docker',
      ACTIONS_RUNTIME_TOKEN: 'cache-token',
      INPUT_KUBECONFIG: 'apiVersion: v1',
      'INPUT_REGISTRY-PASSWORD': 'pw',
      CANARY_DEPLOY_GITHUB_TOKEN: 'ghp_x',
      UNSET: undefined
    }
    expect(readRunContext(env, noFile, false).toolEnv).toEqual({
      PATH: '/usr/bin',
      DOCKER_CONFIG: '/home/runner/.docker',
      ACTIONS_RUNTIME_TOKEN: 'cache-token'
    })
  })

  it.each(['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'])(
    'says GitHub is reached through a proxy when %s is set',
    name => {
      expect(readRunContext({ [name]: 'http://proxy:3128' }, noFile, false).viaProxy).toBe(true)
      expect(readRunContext({ [name]: ' ' }, noFile, false).viaProxy).toBe(false)
    }
  )
})
