/**
 * Credentials never reach a log line, an output, the summary, a PR comment or the cluster: deploy,
 * promote and diff run with a kubeconfig token, a registry password and a GitHub token that hold
 * distinctive random values, and every place a person (or the public) can read is searched for them.
 * The logs are captured twice: as MemoryLogger redacts them, and raw, so a secret that is masked only
 * by luck of the redaction is caught as well as one that was never masked.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { V1Pod } from '@kubernetes/client-node'
import type { CommandResult } from '../../src/commands/types.js'
import { renderMarkdown } from '../../src/github/report.js'
import { MemoryLogger, type Logger } from '../../src/logger.js'
import { runCommand } from '../../src/run-command.js'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'
import {
  exampleApp,
  NAMESPACE,
  NEW_DIGEST,
  NEW_IMAGE,
  releaseVersion,
  stableDeployment
} from '../commands/fixture.js'

const sentinel = (prefix: string) => `${prefix}${randomBytes(18).toString('hex')}`
const SECRETS = {
  'kubeconfig token': sentinel('kubetok'),
  'registry password': sentinel('regpass'),
  'github token': sentinel('ghp_')
}
const PR_NUMBER = 42

/** Every form a secret could leak in: itself, and base64 (standard and URL-safe) of it. */
function leakForms(): [string, string][] {
  return Object.entries(SECRETS).flatMap(([name, value]) => [
    [name, value],
    [`${name} (base64)`, Buffer.from(value).toString('base64').replace(/=+$/, '')],
    [`${name} (base64url)`, Buffer.from(value).toString('base64url')]
  ])
}

/** The secrets (by name) that appear in text, in any of their forms. */
function leaked(text: string): string[] {
  return leakForms()
    .filter(([, form]) => text.includes(form))
    .map(([name]) => name)
}

/** Records every line as it would print without masking, and what was registered to be masked. */
class RawLogger implements Logger {
  readonly lines: string[] = []
  readonly masked: string[] = []
  readonly printedBeforeMasked: string[] = []
  constructor(private readonly redacting: MemoryLogger) {}
  private record(line: string): void {
    this.lines.push(line)
    for (const value of Object.values(SECRETS)) {
      if (line.includes(value) && !this.masked.some(m => m.includes(value)))
        this.printedBeforeMasked.push(line)
    }
  }
  info(message: string): void {
    this.record(message)
    this.redacting.info(message)
  }
  warning(message: string): void {
    this.record(`warning: ${message}`)
    this.redacting.warning(message)
  }
  debug(message: string): void {
    this.record(`debug: ${message}`)
    this.redacting.debug(message)
  }
  group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.record(`[${name}]`)
    return this.redacting.group(name, fn)
  }
  mask(secret: string): void {
    this.masked.push(secret)
    this.redacting.mask(secret)
  }
}

interface Run {
  result: CommandResult
  raw: RawLogger
  memory: MemoryLogger
  markdown: string
}

let cluster: TestCluster
let github: GitHubApi
let workspace: string
const runs: Run[] = []

beforeAll(async () => {
  cluster = await startTestCluster({ namespace: NAMESPACE, token: SECRETS['kubeconfig token'] })
  for (const name of ['shop-web', 'shop-worker'])
    cluster.put(stableDeployment(name, { port: name.endsWith('web') }))
  cluster.kubelet.serve({ label: { app: 'shop-web' } }, exampleApp(releaseVersion))
  cluster.kubelet.behave({ pod: /-migrate-/ }, { kind: 'succeed', logs: ['migrated'] })
  await cluster.settle()
  github = await startGitHubApi({
    token: SECRETS['github token'],
    permissions: { maintainer: 'write' }
  })
  workspace = mkdtempSync(join(tmpdir(), 'secrets-'))
  writeFileSync(
    join(workspace, 'event.json'),
    JSON.stringify({ number: PR_NUMBER, pull_request: { number: PR_NUMBER } })
  )
})
afterAll(async () => {
  await cluster.stop()
  await github.stop()
  rmSync(workspace, { recursive: true, force: true })
})

async function run(command: string, inputs: Record<string, string>): Promise<Run> {
  const values: Record<string, string> = {
    command,
    app: 'shop',
    namespace: NAMESPACE,
    deployments: 'shop-web,shop-worker',
    kubeconfig: cluster.kubeconfig,
    image: NEW_IMAGE,
    build: 'false',
    version: 'v2',
    'registry-username': 'ci',
    'registry-password': SECRETS['registry password'],
    'github-token': SECRETS['github token'],
    'smoke-timeout': '3s',
    timeout: '20s',
    ...inputs
  }
  const memory = new MemoryLogger()
  const raw = new RawLogger(memory)
  const result = await runCommand(name => values[name] ?? '', {
    logger: raw,
    env: {
      GITHUB_WORKSPACE: workspace,
      HOME: workspace,
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'abcdef1234567',
      GITHUB_RUN_ID: '7',
      GITHUB_ACTOR: 'maintainer',
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.example.com',
      GITHUB_EVENT_NAME: command === 'diff' ? 'pull_request' : 'workflow_dispatch',
      GITHUB_EVENT_PATH: join(workspace, 'event.json')
    },
    signal: new AbortController().signal
  })
  const done = { result, raw, memory, markdown: renderMarkdown(result.report) }
  runs.push(done)
  return done
}

describe('secrets', () => {
  it('deploy (build: false) succeeds with the sentinel credentials', async () => {
    const { result } = await run('deploy', {
      'migrate-command': '["bin/migrate"]',
      'migrate-timeout': '20s'
    })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
  })

  it('promote with a GitHub approval succeeds with the sentinel credentials', async () => {
    const { result } = await run('promote', { approve: 'true', digest: NEW_DIGEST })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
  })

  it('diff comments on the pull request with the sentinel credentials', async () => {
    const { result } = await run('diff', { comment: 'true', version: 'v3' })
    expect(result.report.status).toBe('success')
    expect(github.state.comments.get(PR_NUMBER)?.length).toBe(1)
  })

  it('a run that fails on the cluster credentials does not print them either', async () => {
    const broken = cluster.kubeconfig.replace(
      SECRETS['kubeconfig token'],
      `${SECRETS['kubeconfig token']}-revoked`
    )
    const { result } = await run('rollback', { kubeconfig: broken })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('401')
  })

  describe('after those runs', () => {
    it('masked every sentinel before any line could print it', () => {
      const raw = runs.flatMap(r => r.raw.lines).join('\n')
      expect(runs.flatMap(r => r.raw.printedBeforeMasked)).toEqual([])
      expect(leaked(raw)).toEqual([])
      for (const value of Object.values(SECRETS)) {
        expect(runs.every(r => r.raw.masked.some(m => m.includes(value)))).toBe(true)
      }
    })

    it('printed no sentinel in a log line, even without redaction', () => {
      expect(runs.length).toBe(4)
      expect(leaked(runs.flatMap(r => r.memory.lines).join('\n'))).toEqual([])
      expect(leaked(runs.flatMap(r => r.raw.lines).join('\n'))).toEqual([])
    })

    it('put no sentinel in an output, a report or the rendered summary', () => {
      for (const { result, markdown } of runs) {
        expect(leaked(JSON.stringify(result.outputs))).toEqual([])
        expect(leaked(JSON.stringify(result.report))).toEqual([])
        expect(leaked(markdown)).toEqual([])
      }
    })

    it('sent no sentinel to GitHub: comments, deployments, statuses', () => {
      const comments = [...github.state.comments.values()].flat()
      expect(comments.length).toBeGreaterThan(0)
      expect(leaked(JSON.stringify(comments))).toEqual([])
      expect(leaked(JSON.stringify(github.state.requests))).toEqual([])
      expect(leaked(JSON.stringify(github.state.deployments))).toEqual([])
      expect(leaked(JSON.stringify(github.state.statuses))).toEqual([])
    })

    it('wrote no sentinel to the cluster', () => {
      const kinds = ['Deployment', 'ReplicaSet', 'Pod', 'Job', 'Lease', 'Event', 'Service']
      const everything = kinds.flatMap(kind => cluster.list<V1Pod>(kind, NAMESPACE))
      expect(everything.length).toBeGreaterThan(0)
      expect(leaked(JSON.stringify(everything))).toEqual([])
    })
  })
})
