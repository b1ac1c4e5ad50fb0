/**
 * Where the run comes from (repository, commit, run, actor, pull request), read from the
 * GITHUB_* variables the runner sets. Outside GitHub every field has a default that works.
 */
import { readFileSync } from 'node:fs'
import { getExecOutput } from '@actions/exec'

export interface GitHubContext {
  /** 'owner/repo'; empty outside GitHub unless GITHUB_REPOSITORY is set. */
  repository: string
  owner: string
  repo: string
  sha: string
  ref: string
  /** Kept as text: it goes into labels and URLs, never into arithmetic. */
  runId: string
  runAttempt: number
  /** Who started the workflow (github.actor). */
  actor: string
  /** Who started this attempt (differs from actor on a re-run): the person an approval is about. */
  triggeringActor: string
  serverUrl: string
  apiUrl: string
  eventName: string
  prNumber?: number
  /** Link to this run's page; undefined outside a GitHub Actions run. */
  workflowRunUrl?: string
  /** True when GITHUB_ACTIONS=true. */
  inActions: boolean
}

export type Env = Record<string, string | undefined>

export type ReadFile = (path: string) => string

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim()
  return v ? v : undefined
}

export function readGitHubContext(
  env: Env = process.env,
  readFile: ReadFile = path => readFileSync(path, 'utf8')
): GitHubContext {
  const repository = value(env, 'GITHUB_REPOSITORY') ?? ''
  const [owner = '', repo = ''] = repository.includes('/') ? repository.split('/', 2) : ['', '']
  const serverUrl = stripTrailingSlash(value(env, 'GITHUB_SERVER_URL') ?? 'https://github.com')
  const apiUrl = stripTrailingSlash(value(env, 'GITHUB_API_URL') ?? 'https://api.github.com')
  const runId = value(env, 'GITHUB_RUN_ID') ?? 'local'
  const attempt = Number.parseInt(value(env, 'GITHUB_RUN_ATTEMPT') ?? '1', 10)
  const actor = value(env, 'GITHUB_ACTOR') ?? value(env, 'USER') ?? 'unknown'
  const ref = value(env, 'GITHUB_REF') ?? ''
  const event = readEvent(value(env, 'GITHUB_EVENT_PATH'), readFile)
  const prNumber = pullRequestNumber(event) ?? pullRequestFromRef(ref)

  return {
    repository,
    owner,
    repo,
    sha: value(env, 'GITHUB_SHA') ?? '',
    ref,
    runId,
    runAttempt: Number.isFinite(attempt) && attempt > 0 ? attempt : 1,
    actor,
    triggeringActor: value(env, 'GITHUB_TRIGGERING_ACTOR') ?? actor,
    serverUrl,
    apiUrl,
    eventName: value(env, 'GITHUB_EVENT_NAME') ?? 'local',
    ...(prNumber !== undefined ? { prNumber } : {}),
    ...(repository && runId !== 'local'
      ? { workflowRunUrl: `${serverUrl}/${repository}/actions/runs/${runId}` }
      : {}),
    inActions: env.GITHUB_ACTIONS === 'true'
  }
}

/** For the CLI: the checked-out commit when GITHUB_SHA is not set. Undefined outside a git work tree. */
export async function localGitSha(cwd?: string): Promise<string | undefined> {
  try {
    const out = await getExecOutput('git', ['rev-parse', 'HEAD'], {
      cwd,
      silent: true,
      ignoreReturnCode: true
    })
    const sha = out.stdout.trim()
    return out.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined
  } catch {
    return undefined
  }
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '')
}

function readEvent(path: string | undefined, readFile: ReadFile): unknown {
  if (!path) return undefined
  try {
    return JSON.parse(readFile(path)) as unknown
  } catch {
    // A missing or unreadable event file only costs the PR number, which the ref may still give.
    return undefined
  }
}

function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null
    ? (object as Record<string, unknown>)[key]
    : undefined
}

function pullRequestNumber(event: unknown): number | undefined {
  const fromPullRequest = field(field(event, 'pull_request'), 'number')
  if (typeof fromPullRequest === 'number') return fromPullRequest
  // issue_comment on a pull request: the issue carries a pull_request link.
  const issue = field(event, 'issue')
  const issueNumber = field(issue, 'number')
  if (field(issue, 'pull_request') !== undefined && typeof issueNumber === 'number')
    return issueNumber
  return undefined
}

function pullRequestFromRef(ref: string): number | undefined {
  const match = /^refs\/pull\/(\d+)\//.exec(ref)
  return match ? Number(match[1]) : undefined
}
