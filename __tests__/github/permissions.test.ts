import { githubClient, type GitHubClient } from '../../src/github/client.js'
import { checkApprover } from '../../src/github/permissions.js'
import { MemoryLogger } from '../../src/logger.js'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'

describe('checkApprover', () => {
  let api: GitHubApi
  let octokit: GitHubClient
  let logger: MemoryLogger
  const repo = { owner: 'acme', repo: 'web' }

  beforeAll(async () => {
    api = await startGitHubApi({
      permissions: {
        alice: 'admin',
        bob: 'write',
        carol: 'maintain',
        dave: 'read',
        erin: 'triage'
      },
      teams: { 'acme/release': ['Frank'] },
      pendingTeamMembers: { 'acme/release': ['grace'] }
    })
  })
  afterAll(() => api.stop())
  beforeEach(() => {
    logger = new MemoryLogger()
    octokit = githubClient(api.token, { apiUrl: api.url, viaProxy: false }, logger)
    api.state.faults.length = 0
  })

  describe('without an approvers list, by repository permission', () => {
    it.each(['alice', 'bob', 'carol'])(
      'allows %s, who has write, maintain or admin',
      async actor => {
        const decision = await checkApprover(octokit, { ...repo, actor, approvers: [] }, logger)
        expect(decision.allowed).toBe(true)
        expect(decision.via).toBe(api.state.permissions[actor])
      }
    )

    it('refuses read, saying what the actor has and what is needed', async () => {
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'dave', approvers: [] },
        logger
      )
      expect(decision).toEqual({
        allowed: false,
        reason: 'dave has read permission on acme/web; promote needs write, maintain or admin'
      })
    })

    it('refuses triage', async () => {
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'erin', approvers: [] },
        logger
      )
      expect(decision.allowed).toBe(false)
      expect(decision.reason).toContain('erin has triage permission')
    })

    it('refuses someone who is not a collaborator', async () => {
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'mallory', approvers: [] },
        logger
      )
      expect(decision).toEqual({
        allowed: false,
        reason: 'mallory is not a collaborator on acme/web; promote needs write, maintain or admin'
      })
    })

    it('refuses when the permission cannot be checked, naming the HTTP status', async () => {
      api.state.faults.push({ path: /\/permission$/, status: 500 })
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'alice', approvers: [] },
        logger
      )
      expect(decision.allowed).toBe(false)
      expect(decision.reason).toContain('HTTP 500')
    })

    it('names the action being approved in the reason', async () => {
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'dave', approvers: [], action: 'rollback' },
        logger
      )
      expect(decision.reason).toContain('rollback needs write')
    })
  })

  describe('with an approvers list', () => {
    it('allows a listed login, whatever its case, without asking the API', async () => {
      const before = api.state.requests.length
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'Dave', approvers: ['@dave', 'acme/release'] },
        logger
      )
      expect(decision).toMatchObject({ allowed: true, via: 'dave' })
      expect(api.state.requests.length).toBe(before)
    })

    it('allows an active member of a listed team', async () => {
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'frank', approvers: ['dave', 'acme/release'] },
        logger
      )
      expect(decision).toMatchObject({ allowed: true, via: 'acme/release' })
      expect(api.state.requests.at(-1)?.path).toBe('/orgs/acme/teams/release/memberships/frank')
    })

    it('refuses someone not on the team, listing who may approve', async () => {
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'alice', approvers: ['dave', 'acme/release'] },
        logger
      )
      expect(decision).toEqual({
        allowed: false,
        reason: 'alice is not among the approvers of promote (dave, acme/release)'
      })
    })

    it('refuses a pending (not yet accepted) team member', async () => {
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'grace', approvers: ['acme/release'] },
        logger
      )
      expect(decision.allowed).toBe(false)
    })

    it('refuses when team membership cannot be read, and says the token may lack read:org', async () => {
      api.state.faults.push({
        path: /\/memberships\//,
        status: 403,
        message: 'Resource not accessible by integration'
      })
      const decision = await checkApprover(
        octokit,
        { ...repo, actor: 'frank', approvers: ['acme/release'] },
        logger
      )
      expect(decision.allowed).toBe(false)
      expect(decision.reason).toContain('read:org')
      expect(logger.lines.some(l => l.startsWith('warning:') && l.includes('HTTP 403'))).toBe(true)
    })
  })

  it('refuses when no actor is known', async () => {
    const decision = await checkApprover(octokit, { ...repo, actor: ' ', approvers: [] }, logger)
    expect(decision.allowed).toBe(false)
  })
})
