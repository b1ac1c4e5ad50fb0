import { startGitHubApi, type GitHubApi } from './github.js'

/** The test GitHub API answers like GitHub does, or tests against it would prove nothing. */
describe('test GitHub API', () => {
  let api: GitHubApi
  beforeEach(async () => {
    api = await startGitHubApi({
      permissions: { Alice: 'maintain' },
      teams: { 'acme/ops': ['bob'] }
    })
  })
  afterEach(() => api.stop())

  const call = (
    path: string,
    init: RequestInit = {},
    auth = `token ${api.token}`
  ): Promise<Response> =>
    fetch(`${api.url}${path}`, {
      ...init,
      headers: { authorization: auth, 'content-type': 'application/json', ...init.headers }
    })

  it('listens on 127.0.0.1', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it("answers 401 with GitHub's error shape without a valid token", async () => {
    const missing = await fetch(`${api.url}/repos/acme/web/issues/1/comments`)
    expect(missing.status).toBe(401)
    expect(await missing.json()).toMatchObject({ message: 'Requires authentication' })
    expect((await call('/repos/acme/web/issues/1/comments', {}, 'token wrong')).status).toBe(401)
  })

  it('accepts a Bearer token as well as token', async () => {
    expect(
      (await call('/repos/acme/web/issues/1/comments', {}, `Bearer ${api.token}`)).status
    ).toBe(200)
  })

  it('pages issue comments with per_page and Link headers', async () => {
    for (let i = 0; i < 5; i++) {
      const created = await call('/repos/acme/web/issues/1/comments', {
        method: 'POST',
        body: JSON.stringify({ body: `c${i}` })
      })
      expect(created.status).toBe(201)
    }
    const page2 = await call('/repos/acme/web/issues/1/comments?per_page=2&page=2')
    expect(((await page2.json()) as { body: string }[]).map(c => c.body)).toEqual(['c2', 'c3'])
    const link = page2.headers.get('link') ?? ''
    expect(link).toContain(
      `<${api.url}/repos/acme/web/issues/1/comments?per_page=2&page=3>; rel="next"`
    )
    expect(link).toContain('page=3>; rel="last"')
    expect(link).toContain('page=1>; rel="prev"')
    const last = await call('/repos/acme/web/issues/1/comments?per_page=2&page=3')
    expect(last.headers.get('link')).not.toContain('rel="next"')
  })

  it('updates a comment by id and 404s an unknown one', async () => {
    const created = (await (
      await call('/repos/acme/web/issues/1/comments', {
        method: 'POST',
        body: JSON.stringify({ body: 'a' })
      })
    ).json()) as { id: number }
    const patched = await call(`/repos/acme/web/issues/comments/${created.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ body: 'b' })
    })
    expect(await patched.json()).toMatchObject({ id: created.id, body: 'b' })
    expect(
      (await call('/repos/acme/web/issues/comments/1', { method: 'PATCH', body: '{"body":"x"}' }))
        .status
    ).toBe(404)
  })

  it('answers collaborator permission with role_name and the classic permission it maps to', async () => {
    const res = await call('/repos/acme/web/collaborators/alice/permission')
    expect(await res.json()).toMatchObject({
      permission: 'write',
      role_name: 'maintain',
      user: { login: 'alice' }
    })
    expect((await call('/repos/acme/web/collaborators/nobody/permission')).status).toBe(404)
  })

  it('answers team membership for members and 404 for others', async () => {
    const res = await call('/orgs/acme/teams/ops/memberships/bob')
    expect(await res.json()).toMatchObject({ role: 'member', state: 'active' })
    expect((await call('/orgs/acme/teams/ops/memberships/carol')).status).toBe(404)
  })

  it('validates deployment status states with 422', async () => {
    const deployment = (await (
      await call('/repos/acme/web/deployments', {
        method: 'POST',
        body: JSON.stringify({ ref: 'main' })
      })
    ).json()) as { id: number; environment: string }
    expect(deployment.environment).toBe('production')
    const bad = await call(`/repos/acme/web/deployments/${deployment.id}/statuses`, {
      method: 'POST',
      body: JSON.stringify({ state: 'done' })
    })
    expect(bad.status).toBe(422)
    const listed = await call(`/repos/acme/web/deployments/${deployment.id}/statuses`)
    expect(await listed.json()).toEqual([])
  })

  it('records requests without their Authorization header', async () => {
    await call('/repos/acme/web/deployments', {
      method: 'POST',
      body: JSON.stringify({ ref: 'main' })
    })
    expect(api.state.requests).toEqual([
      { method: 'POST', path: '/repos/acme/web/deployments', query: {}, body: { ref: 'main' } }
    ])
  })

  it('takes a request a hang fault matches and never answers it', async () => {
    const controller = new AbortController()
    const hung: string[] = []
    api.state.faults.push({
      path: /\/deployments$/,
      hang: request => {
        hung.push(`${request.method} ${request.path}`)
        controller.abort()
      }
    })
    const pending = call('/repos/acme/web/deployments', {
      method: 'POST',
      body: JSON.stringify({ ref: 'main' }),
      signal: controller.signal
    })
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(hung).toEqual(['POST /repos/acme/web/deployments'])
    expect(api.state.deployments).toEqual([])
  })
})
