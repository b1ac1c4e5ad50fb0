/**
 * diff with cluster credentials: every object the release would write is server-side applied with
 * dryRun and compared with the live object. The cluster must see no write at all.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node'
import type { CommandResult } from '../../src/commands/types.js'
import { renderMarkdown } from '../../src/github/report.js'
import { apply } from '../../src/k8s/objects.js'
import { connect } from '../../src/k8s/client.js'
import { canaryFromStable, promotedStable, type Release } from '../../src/release/render.js'
import { MemoryLogger } from '../../src/logger.js'
import { runCommand } from '../../src/run-command.js'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'
import { deployment } from '../harness/objects.js'

const NS = 'shop'
const OLD_IMAGE = 'registry.example.com/web:1.0.0'
const DIGEST = `sha256:${'2'.repeat(64)}`
const NEW_IMAGE = `registry.example.com/web@${DIGEST}`

let cluster: TestCluster
let workspace: string

beforeEach(async () => {
  cluster = await startTestCluster({ namespace: NS })
  cluster.put(deployment('web', { namespace: NS, image: OLD_IMAGE }))
  await cluster.settle()
  cluster.resetRequests()
  workspace = mkdtempSync(join(tmpdir(), 'diff-cluster-'))
})
afterEach(async () => {
  await cluster.stop()
  rmSync(workspace, { recursive: true, force: true })
})

interface Run extends CommandResult {
  logs: string[]
  markdown: string
}

/** Writes the manifests into the workspace (one file each) and runs diff as the CLI would. */
async function diff(
  manifests: KubernetesObject[] = [],
  inputs: Record<string, string> = {},
  env: Record<string, string> = {}
): Promise<Run> {
  manifests.forEach((object, i) =>
    writeFileSync(join(workspace, `${i}.json`), JSON.stringify(object))
  )
  const values: Record<string, string> = {
    command: 'diff',
    app: 'web',
    namespace: NS,
    kubeconfig: cluster.kubeconfig,
    image: NEW_IMAGE,
    build: 'false',
    version: 'v2',
    comment: 'false',
    ...(manifests.length > 0 ? { manifests: workspace } : {}),
    ...inputs
  }
  const logger = new MemoryLogger()
  const result = await runCommand(name => values[name] ?? '', {
    logger,
    env: { GITHUB_WORKSPACE: workspace, HOME: workspace, ...env },
    signal: new AbortController().signal
  })
  return { ...result, logs: logger.lines, markdown: renderMarkdown(result.report) }
}

const release: Release = {
  app: 'web',
  version: 'v2',
  imageRef: NEW_IMAGE,
  digest: DIGEST,
  source: 'local@unknown run:local'
}

const configMap = (data: Record<string, string>): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-config', namespace: NS, labels: { app: 'web' } },
    data
  }) as KubernetesObject

const secret = (password: string): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'web-db', namespace: NS, labels: { app: 'web' } },
    type: 'Opaque',
    stringData: { password }
  }) as KubernetesObject

/** A worker the release does not touch (its own image), as its manifest is written: no defaults. */
const worker = (): V1Deployment => {
  const object = deployment('worker', {
    namespace: NS,
    image: 'registry.example.com/worker:3.1.0',
    app: 'web',
    labels: { role: 'worker' }
  })
  object.spec!.selector.matchLabels = { app: 'web', role: 'worker' }
  object.spec!.template.metadata!.labels = { app: 'web', role: 'worker' }
  return object
}

/** What deploy and promote of v2 leave behind, written for real through the action's own apply. */
async function deployAndPromoteV2(manifests: KubernetesObject[]): Promise<void> {
  const connected = await connect({
    kubeconfig: cluster.kubeconfig,
    namespace: NS,
    logger: new MemoryLogger()
  })
  try {
    const stable = cluster.get<V1Deployment>('Deployment', NS, 'web')!
    await apply(connected, promotedStable(stable, release, 'octocat'), { force: true })
    await cluster.settle()
    await apply(
      connected,
      canaryFromStable(cluster.get<V1Deployment>('Deployment', NS, 'web')!, release, {
        replicas: 1
      })
    )
    for (const object of manifests) await apply(connected, object)
    await cluster.settle()
  } finally {
    connected.dispose()
  }
  cluster.resetRequests()
}

const titles = (run: Run): string[] => run.report.sections.map(s => s.title)
const section = (run: Run, title: string): string =>
  run.report.sections.find(s => s.title === title)?.body ?? ''
const changedLines = (text: string, sign: '+' | '-'): string[] =>
  text
    .split('\n')
    .filter(l => l.startsWith(sign) && !l.startsWith(sign.repeat(3)))
    .map(l => l.slice(1).trim())

describe('diff against a cluster', () => {
  it('shows no change once this version is deployed and promoted', async () => {
    await deployAndPromoteV2([configMap({ LOG_LEVEL: 'info' })])
    const run = await diff([configMap({ LOG_LEVEL: 'info' })])
    expect(run.report.status).toBe('success')
    expect(run.outputs['has-changes']).toBe('false')
    expect(run.outputs.diff).toBe('')
    expect(run.report.facts).toEqual(
      expect.arrayContaining([
        ['objects created', '0'],
        ['objects changed', '0'],
        ['objects unchanged', '3']
      ])
    )
  })

  it('shows a new image as a created canary and, in the stable, only the image and release annotations', async () => {
    const run = await diff()
    expect(titles(run)).toEqual([
      'Deployment shop/web-canary: created',
      'Deployment shop/web: changed'
    ])
    const stable = section(run, 'Deployment shop/web: changed')
    expect(changedLines(stable, '-')).toEqual([`image: ${OLD_IMAGE}`])
    const added = changedLines(stable, '+')
    expect(added).toContain(`image: ${NEW_IMAGE}`)
    expect(
      added.filter(
        l => !l.startsWith('image:') && !l.startsWith('canary-deploy.dev/') && l !== 'annotations:'
      )
    ).toEqual([])
    expect(run.outputs['has-changes']).toBe('true')
  })

  it('shows a new object whole, with the fields the server defaults', async () => {
    const run = await diff([worker()])
    const created = section(run, 'Deployment shop/worker: created')
    expect(created).toMatch(/^\+\s+image: registry\.example\.com\/worker:3\.1\.0$/m)
    expect(created).toMatch(/^\+\s+terminationMessagePath: \/dev\/termination-log$/m)
    expect(run.report.facts).toContainEqual(['objects created', '2'])
  })

  it('does not show a field the server defaulted as a change', async () => {
    cluster.put(worker())
    const live = cluster.get<V1Deployment>('Deployment', NS, 'worker')!
    // The live object has what the manifest leaves out...
    expect(live.spec!.template.spec!.containers[0].imagePullPolicy).toBe('IfNotPresent')
    expect(worker().spec!.template.spec!.containers[0]).not.toHaveProperty('imagePullPolicy')
    // ...and still the manifest is no change.
    const run = await diff([worker()])
    expect(titles(run)).not.toContain('Deployment shop/worker: changed')
    expect(section(run, 'Unchanged (1)')).toContain('- Deployment shop/worker')
  })

  it('shows a Secret change by key and hash, and its values nowhere: outputs, summary, log, comment', async () => {
    cluster.put({
      ...secret('x'),
      stringData: undefined,
      data: { password: Buffer.from('old-password-1234').toString('base64') }
    } as KubernetesObject)
    const github = await startGitHubApi()
    try {
      const run = await diff(
        [secret('new-password-5678')],
        { comment: 'true', 'github-token': github.token },
        prEnv(github)
      )
      const body = section(run, 'Secret shop/web-db: changed')
      expect(changedLines(body, '-')).toEqual([
        expect.stringMatching(/^password: <sha256:[0-9a-f]{12}, 17 bytes>$/)
      ])
      expect(changedLines(body, '+')).toEqual([
        expect.stringMatching(/^password: <sha256:[0-9a-f]{12}, 17 bytes>$/)
      ])
      const comment = github.state.comments.get(7)?.[0]?.body ?? ''
      expect(comment).toContain('Secret shop/web-db: changed')
      const everything = [
        JSON.stringify(run.outputs),
        run.markdown,
        run.logs.join('\n'),
        comment
      ].join('\n')
      for (const value of ['old-password-1234', 'new-password-5678']) {
        expect(everything).not.toContain(value)
        expect(everything).not.toContain(Buffer.from(value).toString('base64'))
      }
    } finally {
      await github.stop()
    }
  })

  it('lists objects labelled with the app but missing from the manifests as left alone', async () => {
    cluster.put({
      ...configMap({ a: '1' }),
      metadata: { name: 'old-config', namespace: NS, labels: { app: 'web' } }
    } as KubernetesObject)
    cluster.put({
      ...configMap({ a: '1' }),
      metadata: { name: 'other-app', namespace: NS, labels: { app: 'other' } }
    } as KubernetesObject)
    const run = await diff([configMap({ LOG_LEVEL: 'info' })])
    expect(run.report.facts).toContainEqual(['objects left alone', '1'])
    expect(section(run, 'Would be left alone (1)')).toContain('- ConfigMap shop/old-config')
    expect(cluster.get('ConfigMap', NS, 'old-config')).toBeDefined()
  })

  it('fails, naming the object, when the cluster would refuse one', async () => {
    const invalid = {
      ...worker(),
      spec: { ...worker().spec!, selector: { matchLabels: { app: 'nope' } } }
    }
    const run = await diff([invalid])
    expect(run.report.status).toBe('failure')
    expect(run.report.reason).toMatch(/would be refused by the cluster: Deployment shop\/worker/)
  })

  it('creates one pull request comment, then updates it on the next run', async () => {
    const github = await startGitHubApi()
    try {
      const inputs = { comment: 'true', 'github-token': github.token }
      await diff([], inputs, prEnv(github))
      await diff([configMap({ LOG_LEVEL: 'debug' })], inputs, prEnv(github))
      const comments = github.state.comments.get(7) ?? []
      expect(comments).toHaveLength(1)
      expect(comments[0].body).toContain('<!-- canary-deploy:diff:web:shop -->')
      expect(comments[0].body).toContain('ConfigMap shop/web-config: created')
      expect(github.state.requests.filter(r => r.method === 'PATCH')).toHaveLength(1)
    } finally {
      await github.stop()
    }
  })

  it('shows the migration Job as new, and no Job once this version migrated, saying why', async () => {
    const first = await diff([], { 'migrate-command': 'bin/migrate\n--up' })
    const job = section(first, 'Job shop/web-migrate-v2: created')
    expect(job).toMatch(/^\+\s+- bin\/migrate$/m)
    cluster.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'web-migrate-v2', namespace: NS },
      spec: {
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: NEW_IMAGE }] }
        }
      },
      status: {
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True' },
          { type: 'Complete', status: 'True' }
        ]
      }
    } as KubernetesObject)
    const second = await diff([], { 'migrate-command': 'bin/migrate\n--up' })
    expect(second.report.sections.map(s => s.title)).not.toContainEqual(
      expect.stringContaining('Job shop/web-migrate-v2')
    )
    expect(section(second, 'Notes')).toContain(
      'Migration: not run again, already done by Job web-migrate-v2.'
    )
  })

  it('writes nothing to the cluster: every mutating request is a dry run', async () => {
    await diff([configMap({ LOG_LEVEL: 'info' }), secret('s3cret-value'), worker()], {
      'migrate-command': 'bin/migrate'
    })
    expect(cluster.requests.filter(r => r.dryRun).length).toBeGreaterThanOrEqual(5)
    expect(cluster.writes()).toEqual([])
  })
})

function prEnv(github: GitHubApi): Record<string, string> {
  return {
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_REF: 'refs/pull/7/merge',
    GITHUB_API_URL: github.url
  }
}
