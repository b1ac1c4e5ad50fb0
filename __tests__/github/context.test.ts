import { readGitHubContext } from '../../src/github/context.js'

const actionsEnv = {
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/web',
  GITHUB_SHA: 'f'.repeat(40),
  GITHUB_REF: 'refs/heads/main',
  GITHUB_RUN_ID: '123456789',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_ACTOR: 'alice',
  GITHUB_TRIGGERING_ACTOR: 'bob',
  GITHUB_SERVER_URL: 'https://github.example.com/',
  GITHUB_API_URL: 'https://github.example.com/api/v3',
  GITHUB_EVENT_NAME: 'push'
}

const noFile = (): string => {
  throw new Error('ENOENT')
}

describe('readGitHubContext', () => {
  it('reads the run from GITHUB_* variables', () => {
    expect(readGitHubContext(actionsEnv, noFile)).toEqual({
      repository: 'acme/web',
      owner: 'acme',
      repo: 'web',
      sha: 'f'.repeat(40),
      ref: 'refs/heads/main',
      runId: '123456789',
      runAttempt: 2,
      actor: 'alice',
      triggeringActor: 'bob',
      serverUrl: 'https://github.example.com',
      apiUrl: 'https://github.example.com/api/v3',
      eventName: 'push',
      workflowRunUrl: 'https://github.example.com/acme/web/actions/runs/123456789',
      inActions: true
    })
  })

  it('takes the pull request number from the event file', () => {
    const env = {
      ...actionsEnv,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: '/event.json'
    }
    const ctx = readGitHubContext(env, path =>
      path === '/event.json' ? '{"pull_request":{"number":42}}' : ''
    )
    expect(ctx.prNumber).toBe(42)
  })

  it('takes the pull request number from a comment on a pull request', () => {
    const event = JSON.stringify({ issue: { number: 9, pull_request: { url: 'x' } } })
    expect(
      readGitHubContext({ ...actionsEnv, GITHUB_EVENT_PATH: '/e' }, () => event).prNumber
    ).toBe(9)
  })

  it('falls back to the pull request ref when the event file cannot be read', () => {
    const env = { ...actionsEnv, GITHUB_REF: 'refs/pull/17/merge', GITHUB_EVENT_PATH: '/missing' }
    expect(readGitHubContext(env, noFile).prNumber).toBe(17)
  })

  it('has no pull request number on a push', () => {
    expect(readGitHubContext(actionsEnv, noFile)).not.toHaveProperty('prNumber')
  })

  it('works outside GitHub with defaults and no run URL', () => {
    const ctx = readGitHubContext({ USER: 'dev' }, noFile)
    expect(ctx).toMatchObject({
      repository: '',
      runId: 'local',
      runAttempt: 1,
      actor: 'dev',
      triggeringActor: 'dev',
      serverUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
      eventName: 'local',
      inActions: false
    })
    expect(ctx.workflowRunUrl).toBeUndefined()
  })
})
