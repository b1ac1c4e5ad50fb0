/**
 * A local GitHub REST API for tests: the endpoints canary-deploy calls, answering with GitHub's
 * documented shapes and status codes, and recording what it was asked. Listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type RepoRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read'

export interface SimpleUser {
  login: string
  id: number
  node_id: string
  type: 'User' | 'Bot'
  site_admin: boolean
}

export interface Comment {
  id: number
  node_id: string
  url: string
  html_url: string
  issue_url: string
  body: string
  user: SimpleUser
  created_at: string
  updated_at: string
  author_association: string
}

export interface Deployment {
  id: number
  node_id: string
  url: string
  sha: string
  ref: string
  task: string
  payload: unknown
  original_environment: string
  environment: string
  description: string | null
  creator: SimpleUser
  created_at: string
  updated_at: string
  statuses_url: string
  repository_url: string
  transient_environment: boolean
  production_environment: boolean
  /** Not part of GitHub's response: what the client sent, so tests can assert on it. */
  request: Record<string, unknown>
}

export interface DeploymentStatus {
  id: number
  node_id: string
  url: string
  state: string
  creator: SimpleUser
  description: string
  environment: string
  target_url: string
  log_url: string
  environment_url: string
  created_at: string
  updated_at: string
  deployment_url: string
  repository_url: string
  /** Not part of GitHub's response: the deployment it belongs to. */
  deployment_id: number
}

export interface RecordedRequest {
  method: string
  /** Path without the query string. */
  path: string
  query: Record<string, string>
  body: unknown
}

/**
 * Makes matching requests fail, e.g. to show that a failing API only warns; or, with `hang`, makes
 * the server take them and never answer (as an API or a proxy that is stuck), calling `hang` with
 * each such request once it has been read.
 */
export type Fault = { method?: string; path: RegExp } & (
  { status: number; message?: string } | { hang: (request: RecordedRequest) => void }
)

export interface GitHubApiState {
  /** Comments by issue (pull request) number, oldest first. */
  comments: Map<number, Comment[]>
  /** Repository role by login (case-insensitive on lookup); absent means not a collaborator. */
  permissions: Record<string, RepoRole>
  /** Active members by 'org/team-slug'. */
  teams: Record<string, string[]>
  /** Invited but not yet accepted members by 'org/team-slug' (membership state 'pending'). */
  pendingTeamMembers: Record<string, string[]>
  deployments: Deployment[]
  statuses: DeploymentStatus[]
  requests: RecordedRequest[]
  faults: Fault[]
}

export interface GitHubApiOptions {
  /** The token clients must send; default 'test-token'. */
  token?: string
  /** Who the token belongs to: the author of comments, deployments and statuses. */
  login?: string
  permissions?: Record<string, RepoRole>
  teams?: Record<string, string[]>
  pendingTeamMembers?: Record<string, string[]>
}

export interface GitHubApi {
  url: string
  token: string
  state: GitHubApiState
  stop(): Promise<void>
}

const DOCS = 'https://docs.github.com/rest'
/** How GitHub maps a role to the classic permission level in the `permission` field. */
const CLASSIC_PERMISSION: Record<RepoRole, string> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read'
}
const DEPLOYMENT_STATES = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success'
]

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[]
  ) {
    super(message)
  }
}

const notFound = (): HttpError => new HttpError(404, 'Not Found')

export async function startGitHubApi(opts: GitHubApiOptions = {}): Promise<GitHubApi> {
  const token = opts.token ?? 'test-token'
  const state: GitHubApiState = {
    comments: new Map(),
    permissions: { ...opts.permissions },
    teams: { ...opts.teams },
    pendingTeamMembers: { ...opts.pendingTeamMembers },
    deployments: [],
    statuses: [],
    requests: [],
    faults: []
  }
  let nextId = 1000
  let url = ''
  const user = (login: string): SimpleUser => ({
    login,
    id: 1,
    node_id: `U_${login}`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false
  })
  const me = user(opts.login ?? 'github-actions[bot]')
  const now = (): string => new Date().toISOString()
  const roleOf = (login: string): RepoRole | undefined =>
    Object.entries(state.permissions).find(([l]) => l.toLowerCase() === login.toLowerCase())?.[1]
  const includesLogin = (logins: string[] | undefined, login: string): boolean =>
    (logins ?? []).some(l => l.toLowerCase() === login.toLowerCase())

  type Handler = (
    params: string[],
    query: Record<string, string>,
    body: unknown,
    res: ServerResponse
  ) => unknown
  const routes: { method: string; pattern: RegExp; handler: Handler }[] = [
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      handler: ([owner, repo, issue], query, _body, res) => {
        const all = state.comments.get(Number(issue)) ?? []
        const perPage = Math.min(Math.max(Number(query.per_page ?? 30) || 30, 1), 100)
        const page = Math.max(Number(query.page ?? 1) || 1, 1)
        const lastPage = Math.max(1, Math.ceil(all.length / perPage))
        const link = (p: number, rel: string): string =>
          `<${url}/repos/${owner}/${repo}/issues/${issue}/comments?per_page=${perPage}&page=${p}>; rel="${rel}"`
        const links: string[] = []
        if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'))
        if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'))
        if (links.length > 0) res.setHeader('Link', links.join(', '))
        return all.slice((page - 1) * perPage, page * perPage)
      }
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      handler: ([owner, repo, issue], _query, body, res) => {
        const text = requireString(body, 'body')
        const id = nextId++
        const at = now()
        const comment: Comment = {
          id,
          node_id: `IC_${id}`,
          url: `${url}/repos/${owner}/${repo}/issues/comments/${id}`,
          html_url: `https://github.com/${owner}/${repo}/pull/${issue}#issuecomment-${id}`,
          issue_url: `${url}/repos/${owner}/${repo}/issues/${issue}`,
          body: text,
          user: me,
          created_at: at,
          updated_at: at,
          author_association: 'NONE'
        }
        const list = state.comments.get(Number(issue)) ?? []
        list.push(comment)
        state.comments.set(Number(issue), list)
        res.statusCode = 201
        res.setHeader('Location', comment.url)
        return comment
      }
    },
    {
      method: 'GET',
      pattern: /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/,
      handler: ([id]) => findComment(Number(id))
    },
    {
      method: 'PATCH',
      pattern: /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/,
      handler: ([id], _query, body) => {
        const comment = findComment(Number(id))
        comment.body = requireString(body, 'body')
        comment.updated_at = now()
        return comment
      }
    },
    {
      method: 'GET',
      pattern: /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/,
      handler: ([login]) => {
        const role = roleOf(login)
        if (!role) throw notFound()
        return { permission: CLASSIC_PERMISSION[role], role_name: role, user: user(login) }
      }
    },
    {
      method: 'GET',
      pattern: /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/,
      handler: ([org, slug, login]) => {
        const team = `${org}/${slug}`
        const membership = (memberState: 'active' | 'pending'): unknown => ({
          url: `${url}/organizations/1/team/1/memberships/${login}`,
          role: 'member',
          state: memberState
        })
        if (includesLogin(state.teams[team], login)) return membership('active')
        if (includesLogin(state.pendingTeamMembers[team], login)) return membership('pending')
        throw notFound()
      }
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/deployments$/,
      handler: ([owner, repo], _query, body, res) => {
        const ref = requireString(body, 'ref')
        const fields = asRecord(body)
        const environment =
          typeof fields.environment === 'string' ? fields.environment : 'production'
        const id = nextId++
        const at = now()
        const repositoryUrl = `${url}/repos/${owner}/${repo}`
        const deployment: Deployment = {
          id,
          node_id: `DE_${id}`,
          url: `${repositoryUrl}/deployments/${id}`,
          sha: /^[0-9a-f]{40}$/.test(ref) ? ref : '0'.repeat(40),
          ref,
          task: typeof fields.task === 'string' ? fields.task : 'deploy',
          payload: fields.payload ?? {},
          original_environment: environment,
          environment,
          description: typeof fields.description === 'string' ? fields.description : null,
          creator: me,
          created_at: at,
          updated_at: at,
          statuses_url: `${repositoryUrl}/deployments/${id}/statuses`,
          repository_url: repositoryUrl,
          transient_environment: fields.transient_environment === true,
          production_environment:
            typeof fields.production_environment === 'boolean'
              ? fields.production_environment
              : environment === 'production',
          request: fields
        }
        state.deployments.push(deployment)
        res.statusCode = 201
        return withoutRequest(deployment)
      }
    },
    {
      method: 'GET',
      pattern: /^\/repos\/[^/]+\/[^/]+\/deployments$/,
      handler: () => state.deployments.map(withoutRequest).reverse()
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/,
      handler: ([owner, repo, deploymentId], _query, body, res) => {
        const deployment = state.deployments.find(d => d.id === Number(deploymentId))
        if (!deployment) throw notFound()
        const statusState = requireString(body, 'state')
        if (!DEPLOYMENT_STATES.includes(statusState)) {
          throw new HttpError(422, 'Validation Failed', [
            { resource: 'DeploymentStatus', field: 'state', code: 'invalid' }
          ])
        }
        const fields = asRecord(body)
        const text = (key: string): string => (typeof fields[key] === 'string' ? fields[key] : '')
        const id = nextId++
        const at = now()
        const repositoryUrl = `${url}/repos/${owner}/${repo}`
        const status: DeploymentStatus = {
          id,
          node_id: `DES_${id}`,
          url: `${deployment.url}/statuses/${id}`,
          state: statusState,
          creator: me,
          description: text('description'),
          environment: text('environment') || deployment.environment,
          target_url: text('log_url') || text('target_url'),
          log_url: text('log_url') || text('target_url'),
          environment_url: text('environment_url'),
          created_at: at,
          updated_at: at,
          deployment_url: deployment.url,
          repository_url: repositoryUrl,
          deployment_id: deployment.id
        }
        state.statuses.push(status)
        res.statusCode = 201
        return status
      }
    },
    {
      method: 'GET',
      pattern: /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/,
      handler: ([deploymentId]) => {
        if (!state.deployments.some(d => d.id === Number(deploymentId))) throw notFound()
        return state.statuses.filter(s => s.deployment_id === Number(deploymentId)).reverse()
      }
    }
  ]

  function findComment(id: number): Comment {
    for (const list of state.comments.values()) {
      const found = list.find(c => c.id === id)
      if (found) return found
    }
    throw notFound()
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'
    const query = Object.fromEntries(parsed.searchParams)
    const raw = await readBody(req)
    let body: unknown = undefined
    try {
      body = raw ? (JSON.parse(raw) as unknown) : undefined
    } catch {
      state.requests.push({ method, path: parsed.pathname, query, body: raw })
      throw new HttpError(400, 'Problems parsing JSON')
    }
    const recorded: RecordedRequest = { method, path: parsed.pathname, query, body }
    state.requests.push(recorded)

    const auth = req.headers.authorization ?? ''
    if (auth !== `token ${token}` && auth !== `Bearer ${token}`) {
      throw new HttpError(401, auth ? 'Bad credentials' : 'Requires authentication')
    }
    const fault = state.faults.find(
      f => (!f.method || f.method === method) && f.path.test(parsed.pathname)
    )
    if (fault && 'hang' in fault) {
      fault.hang(recorded)
      return
    }
    if (fault) throw new HttpError(fault.status, fault.message ?? 'Server Error')

    const route = routes.find(r => r.method === method && r.pattern.test(parsed.pathname))
    if (!route) throw notFound()
    const params = (route.pattern.exec(parsed.pathname) ?? []).slice(1).map(decodeURIComponent)
    const result = route.handler(params, query, body, res)
    send(res, res.statusCode || 200, result)
  }

  const server = createServer((req, res) => {
    res.statusCode = 200
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500
      const message = error instanceof Error ? error.message : String(error)
      send(res, status, {
        message,
        documentation_url: DOCS,
        ...(error instanceof HttpError && error.errors ? { errors: error.errors } : {}),
        status: String(status)
      })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    token,
    state,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close(error => (error ? reject(error) : resolve()))
      })
  }
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-GitHub-Media-Type': 'github.v3; format=json'
  })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function asRecord(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {}
}

function requireString(body: unknown, field: string): string {
  const value = asRecord(body)[field]
  if (typeof value !== 'string') {
    throw new HttpError(422, 'Validation Failed', [
      { resource: 'Request', field, code: value === undefined ? 'missing_field' : 'invalid' }
    ])
  }
  return value
}

function withoutRequest(deployment: Deployment): Omit<Deployment, 'request'> {
  const { request: _request, ...rest } = deployment
  return rest
}
