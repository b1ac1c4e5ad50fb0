import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, parseAllDocuments } from 'yaml'
import { MemoryLogger } from '../src/logger.js'
import { LABEL_APP, LABEL_TRACK } from '../src/k8s/labels.js'
import { smokeCheck, urlTarget } from '../src/smoke.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const examples = path.join(root, 'examples')

type Doc = Record<string, unknown>

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Walks a parsed YAML object by keys; undefined when any step is missing. */
function at(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((v, k) => (isDoc(v) ? v[k] : undefined), value)
}

function readYaml(file: string): unknown {
  return parse(readFileSync(path.join(examples, file), 'utf8'))
}

function manifests(file: string): Doc[] {
  return parseAllDocuments(readFileSync(path.join(examples, 'k8s', file), 'utf8'))
    .map(d => d.toJS() as unknown)
    .filter(isDoc)
}

function matches(selector: unknown, labels: unknown): boolean {
  if (!isDoc(selector) || !isDoc(labels)) return false
  return Object.entries(selector).every(([k, v]) => labels[k] === v)
}

describe('examples/app', () => {
  let server: ChildProcess | undefined
  afterEach(() => {
    server?.kill('SIGTERM')
    server = undefined
  })

  /** Starts server.js on a free port and resolves with its base URL once it listens. */
  async function startExampleApp(version: string): Promise<string> {
    const child = spawn(process.execPath, ['server.js'], {
      cwd: path.join(examples, 'app'),
      env: { PATH: process.env.PATH, PORT: '0', APP_VERSION: version },
      stdio: ['ignore', 'pipe', 'inherit']
    })
    server = child
    return new Promise((resolve, reject) => {
      let out = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const port = /listening on :(\d+)/.exec(out)?.[1]
        if (port) resolve(`http://127.0.0.1:${port}`)
      })
      child.on('exit', code => reject(new Error(`server.js exited with ${code}: ${out}`)))
    })
  }

  it('passes the smoke checks with the version it was built with', async () => {
    const url = await startExampleApp('abc1234')

    const [result] = await smokeCheck([urlTarget(url)], {
      healthPath: '/health',
      versionPath: '/version',
      expectedVersion: 'abc1234',
      timeoutMs: 5000,
      logger: new MemoryLogger()
    })

    expect(result).toMatchObject({
      ok: true,
      health: { status: 200 },
      version: { body: 'abc1234' }
    })
  })

  it('fails the smoke checks when it runs another version', async () => {
    const url = await startExampleApp('abc1234')

    const [result] = await smokeCheck([urlTarget(url)], {
      healthPath: '/health',
      versionPath: '/version',
      expectedVersion: 'def5678',
      timeoutMs: 100,
      intervalMs: 20,
      logger: new MemoryLogger()
    })

    expect(result.ok).toBe(false)
    expect(result.message).toContain('"abc1234" (expected it to contain "def5678")')
  })

  it('has a migration command that says which version it migrated to and exits 0', () => {
    const run = spawnSync(process.execPath, ['migrate.js'], {
      cwd: path.join(examples, 'app'),
      env: { PATH: process.env.PATH, APP_VERSION: 'abc1234' },
      encoding: 'utf8'
    })

    expect(run.status).toBe(0)
    expect(run.stdout.trim()).toBe('migrated to abc1234')
  })

  it('has an offline Dockerfile that pulls no base image', () => {
    const text = readFileSync(path.join(examples, 'app', 'Dockerfile.offline'), 'utf8')
    const froms = text.split('\n').filter(line => /^\s*FROM\s/i.test(line))

    expect(froms).toEqual(['FROM scratch'])
  })
})

describe('examples/workflows', () => {
  const actionInputs = Object.keys(
    at(parse(readFileSync(path.join(root, 'action.yml'), 'utf8')), 'inputs') as Doc
  )

  function actionSteps(workflow: unknown): Doc[] {
    const jobs = at(workflow, 'jobs')
    if (!isDoc(jobs)) return []
    return Object.values(jobs)
      .flatMap(job => (Array.isArray(at(job, 'steps')) ? (at(job, 'steps') as unknown[]) : []))
      .filter(isDoc)
      .filter(step => String(step.uses ?? '').startsWith('org/canary-deploy@'))
  }

  it.each(['deploy.yml', 'promote.yml', 'diff.yml'])(
    '%s passes only inputs action.yml declares',
    file => {
      const steps = actionSteps(readYaml(`workflows/${file}`))

      expect(steps).toHaveLength(1)
      const used = Object.keys(at(steps[0], 'with') as Doc)
      expect(used.filter(input => !actionInputs.includes(input))).toEqual([])
    }
  )

  it('deploys on push to main with the deploy command and minimal permissions', () => {
    const workflow = readYaml('workflows/deploy.yml')

    expect(at(workflow, 'on', 'push', 'branches')).toEqual(['main'])
    expect(at(actionSteps(workflow)[0], 'with', 'command')).toBe('deploy')
    expect(at(workflow, 'permissions')).toEqual({ contents: 'read', deployments: 'write' })
  })

  it('never runs two promotions at once and never cancels one halfway', () => {
    const workflow = readYaml('workflows/promote.yml')

    expect(at(workflow, 'concurrency')).toEqual({
      group: 'canary-deploy-shop',
      'cancel-in-progress': false
    })
    expect(at(workflow, 'on', 'workflow_dispatch', 'inputs', 'command', 'options')).toEqual([
      'promote',
      'rollback'
    ])
    expect(at(workflow, 'on', 'workflow_dispatch', 'inputs', 'approve', 'type')).toBe('boolean')
    expect(at(workflow, 'jobs', 'promote', 'environment')).toBe('production')
  })

  it('diffs on pull_request, never pull_request_target, with a read-only token for the code', () => {
    const workflow = readYaml('workflows/diff.yml')

    expect(Object.keys(at(workflow, 'on') as Doc)).toEqual(['pull_request'])
    expect(at(workflow, 'permissions')).toEqual({ contents: 'read', 'pull-requests': 'write' })
  })
})

describe('examples/k8s', () => {
  const web = manifests('web.yaml').find(d => d.kind === 'Deployment')
  const worker = manifests('worker.yaml').find(d => d.kind === 'Deployment')
  const service = manifests('service.yaml').find(d => d.kind === 'Service')
  const webPod = at(web, 'spec', 'template', 'metadata', 'labels') as Doc
  const workerPod = at(worker, 'spec', 'template', 'metadata', 'labels') as Doc

  it('labels stable pods with their app and the stable track', () => {
    expect(webPod).toEqual({ [LABEL_APP]: 'shop-web', [LABEL_TRACK]: 'stable' })
    expect(workerPod).toEqual({ [LABEL_APP]: 'shop-worker', [LABEL_TRACK]: 'stable' })
  })

  it('lets the web Service reach stable and canary web pods, and no worker pod', () => {
    const selector = at(service, 'spec', 'selector')

    expect(matches(selector, webPod)).toBe(true)
    expect(matches(selector, { ...webPod, [LABEL_TRACK]: 'canary' })).toBe(true)
    expect(matches(selector, workerPod)).toBe(false)
  })

  it('keeps stable Deployments from claiming canary pods', () => {
    for (const [deployment, pod] of [
      [web, webPod],
      [worker, workerPod]
    ]) {
      const selector = at(deployment, 'spec', 'selector', 'matchLabels')
      expect(matches(selector, pod)).toBe(true)
      expect(matches(selector, { ...pod, [LABEL_TRACK]: 'canary' })).toBe(false)
    }
  })

  it('probes web readiness on /health and gives the pods DATABASE_URL from a Secret', () => {
    const container = (at(web, 'spec', 'template', 'spec', 'containers') as Doc[])[0]

    expect(at(container, 'readinessProbe', 'httpGet', 'path')).toBe('/health')
    const env = at(container, 'env') as Doc[]
    expect(env.find(e => e.name === 'DATABASE_URL')).toMatchObject({
      valueFrom: { secretKeyRef: { name: 'shop-secrets', key: 'DATABASE_URL' } }
    })
  })
})
