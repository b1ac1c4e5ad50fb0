import { githubClient, type GitHubClient } from '../../src/github/client.js'
import {
  COMMENT_MAX_CHARS,
  commentBody,
  commentMarker,
  upsertPullRequestComment
} from '../../src/github/comment.js'
import { MemoryLogger } from '../../src/logger.js'
import { startGitHubApi, type Comment, type GitHubApi } from '../harness/github.js'

describe('upsertPullRequestComment', () => {
  let api: GitHubApi
  let octokit: GitHubClient
  const target = { owner: 'acme', repo: 'web', issueNumber: 7, marker: 'diff' }

  beforeEach(async () => {
    api = await startGitHubApi()
    octokit = githubClient(api.token, { apiUrl: api.url, viaProxy: false }, new MemoryLogger())
  })
  afterEach(() => api.stop())

  const comments = (): Comment[] => api.state.comments.get(7) ?? []

  it('creates a comment carrying the hidden marker on the first call', async () => {
    const result = await upsertPullRequestComment(octokit, { ...target, body: 'first' })
    expect(result.created).toBe(true)
    expect(comments()).toHaveLength(1)
    expect(comments()[0].id).toBe(result.id)
    expect(comments()[0].body).toBe('<!-- canary-deploy:diff -->\nfirst')
  })

  it('updates the same comment on the second call, so exactly one exists', async () => {
    const first = await upsertPullRequestComment(octokit, { ...target, body: 'first' })
    const second = await upsertPullRequestComment(octokit, { ...target, body: 'second' })
    expect(second).toEqual({ id: first.id, created: false })
    expect(comments()).toHaveLength(1)
    expect(comments()[0].body).toContain('second')
    expect(api.state.requests.filter(r => r.method === 'PATCH')).toHaveLength(1)
  })

  it('finds its comment past the first page of a long conversation', async () => {
    for (let i = 0; i < 150; i++) {
      await octokit.rest.issues.createComment({
        owner: 'acme',
        repo: 'web',
        issue_number: 7,
        body: `chat ${i}`
      })
    }
    const first = await upsertPullRequestComment(octokit, { ...target, body: 'first' })
    await upsertPullRequestComment(octokit, { ...target, body: 'second' })
    const ours = comments().filter(c => c.body.includes(commentMarker('diff')))
    expect(ours).toEqual([expect.objectContaining({ id: first.id })])
    expect(api.state.requests.some(r => r.method === 'GET' && r.query.page === '2')).toBe(true)
  })

  it('keeps comments with different markers apart', async () => {
    await upsertPullRequestComment(octokit, { ...target, body: 'web' })
    await upsertPullRequestComment(octokit, { ...target, marker: 'diff:worker', body: 'worker' })
    expect(comments()).toHaveLength(2)
  })

  it('sends a body cut to the comment limit, with a note', async () => {
    await upsertPullRequestComment(octokit, { ...target, body: 'z'.repeat(100_000) })
    const body = comments()[0].body
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS)
    expect(body).toMatch(/characters were cut to fit GitHub's 65,536-character comment limit/)
  })
})

describe('commentBody', () => {
  it('leaves a body under the limit as it is', () => {
    expect(commentBody('diff', 'short')).toBe('<!-- canary-deploy:diff -->\nshort')
  })

  it('reports how many characters of the body were cut', () => {
    const body = commentBody('diff', 'a'.repeat(2_000), 1_000)
    expect(body.length).toBeLessThanOrEqual(1_000)
    const kept = (/\n(a*)/.exec(body)?.[1] ?? '').length
    const cut = Number(/(\d[\d,]*) characters were cut/.exec(body)?.[1].replace(/,/g, ''))
    expect(cut).toBe(2_000 - kept)
  })

  it('closes a code fence the cut left open', () => {
    const body = commentBody('diff', '```diff\n' + '+line\n'.repeat(1_000) + '```', 1_000)
    expect(body.split('\n').filter(l => l.startsWith('```')).length % 2).toBe(0)
  })

  it('refuses a marker that could end the HTML comment early', () => {
    expect(() => commentMarker('x -->')).toThrow(/marker/)
    expect(() => commentMarker('a--b')).toThrow(/marker/)
  })
})
