import type { V1Deployment, V1Job } from '@kubernetes/client-node'
import { startGitHubApi } from '../harness/github.js'
import {
  exampleApp,
  NAMESPACE,
  NEW_DIGEST,
  NEW_IMAGE,
  releaseVersion,
  startShop,
  type Shop
} from './fixture.js'

const MIGRATE = '["bin/rails", "db:migrate"]'
let shop: Shop
let before: string

beforeEach(async () => {
  shop = await startShop()
  before = shop.stableSpecs()
})
afterEach(() => shop.stop())

const canary = (name: string) => shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, name)
const jobs = () => shop.cluster.list<V1Job>('Job', NAMESPACE)

/** What every failure must leave behind: stable exactly as it was, and no canary. */
function expectStableUntouchedAndNoCanary(): void {
  expect(shop.stableSpecs()).toBe(before)
  expect(canary('shop-web-canary')).toBeUndefined()
  expect(canary('shop-worker-canary')).toBeUndefined()
}

describe('deploy', () => {
  it('starts a smoke-checked canary beside web and worker, by digest, and says how to promote', async () => {
    const result = await shop.run('deploy', { 'migrate-command': MIGRATE })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    for (const name of ['shop-web-canary', 'shop-worker-canary']) {
      const d = canary(name)
      expect(d?.spec?.template.spec?.containers[0].image).toBe(NEW_IMAGE)
      expect(d?.metadata?.labels?.['canary-deploy.dev/track']).toBe('canary')
      expect(d?.metadata?.annotations?.['canary-deploy.dev/image-digest']).toBe(NEW_DIGEST)
      expect(d?.spec?.replicas).toBe(1)
    }
    expect(result.outputs).toMatchObject({
      version: 'v2',
      digest: NEW_DIGEST,
      image: NEW_IMAGE,
      status: 'success'
    })
    expect(result.outputs.canary).toBe('shop-web-canary,shop-worker-canary')
    expect(result.report.next?.markdown).toContain(`--digest ${NEW_DIGEST}`)
    expect(shop.stableSpecs()).toBe(before)
  })

  it('runs the migration once as a Job from the stable pod template before the canary', async () => {
    await shop.run('deploy', { 'migrate-command': MIGRATE })
    const [job] = jobs()
    expect(job.metadata?.name).toBe('shop-migrate-v2')
    const container = job.spec?.template.spec?.containers[0]
    expect(container?.command).toEqual(['bin/rails', 'db:migrate'])
    expect(container?.image).toBe(NEW_IMAGE)
    expect(container?.envFrom).toEqual([{ secretRef: { name: 'shop-db' } }])
    const order = shop.cluster.writes().map(w => `${w.resource}/${w.name}`)
    expect(order.indexOf('jobs/shop-migrate-v2')).toBeLessThan(
      order.indexOf('deployments/shop-web-canary')
    )
  })

  it('fails a failed migration with its logs, creates no canary and leaves stable untouched', async () => {
    shop.cluster.kubelet.behave(
      { pod: /migrate/ },
      { kind: 'fail', exitCode: 1, logs: ['PG::UndefinedTable: relation "users" does not exist'] }
    )
    const result = await shop.run('deploy', { 'migrate-command': MIGRATE })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('shop-migrate-v2')
    const details = result.report.sections.map(s => s.body).join('\n')
    expect(details).toContain('relation "users" does not exist')
    expect(shop.cluster.writes().filter(w => w.resource === 'deployments')).toEqual([])
    expectStableUntouchedAndNoCanary()
  })

  it('skips a migration this version already completed', async () => {
    await shop.run('deploy', { 'migrate-command': MIGRATE })
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', { 'migrate-command': MIGRATE })
    expect(result.report.status).toBe('success')
    expect(result.report.facts).toContainEqual([
      'migration',
      'already done by Job shop-migrate-v2 (skipped)'
    ])
    expect(shop.cluster.writes().filter(w => w.resource === 'jobs')).toEqual([])
  })

  it('skips the migration when its Job was collected but a finished retry of the version remains', async () => {
    shop.cluster.kubelet.behave({ pod: /migrate-v2-/ }, { kind: 'fail', logs: ['boom'] })
    await shop.run('deploy', { 'migrate-command': MIGRATE })
    shop.cluster.kubelet.behave({ pod: /migrate-v2-2-/ }, { kind: 'succeed' })
    await shop.run('deploy', { 'migrate-command': MIGRATE })
    shop.cluster.remove('Job', NAMESPACE, 'shop-migrate-v2')
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', { 'migrate-command': MIGRATE })
    expect(result.report.facts).toContainEqual([
      'migration',
      'already done by Job shop-migrate-v2-2 (skipped)'
    ])
    expect(shop.cluster.writes().filter(w => w.resource === 'jobs')).toEqual([])
  })

  it('retries a failed migration as a new Job, never patching the old one', async () => {
    shop.cluster.kubelet.behave({ pod: /migrate-v2-/ }, { kind: 'fail', logs: ['boom'] })
    await shop.run('deploy', { 'migrate-command': MIGRATE })
    shop.cluster.kubelet.behave({ pod: /migrate-v2-2-/ }, { kind: 'succeed' })
    const result = await shop.run('deploy', { 'migrate-command': MIGRATE })
    expect(result.report.status).toBe('success')
    expect(
      jobs()
        .map(j => j.metadata?.name)
        .sort()
    ).toEqual(['shop-migrate-v2', 'shop-migrate-v2-2'])
  })

  it('fails a crash-looping canary before the timeout, with the log excerpt', async () => {
    shop.cluster.kubelet.behave(
      { pod: /-canary-/ },
      { kind: 'crashloop', exitCode: 3, logs: ['booting', 'KeyError: SECRET_KEY_BASE'] }
    )
    const result = await shop.run('deploy', { timeout: '5m' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(/CrashLoopBackOff|crash/i)
    expect(JSON.stringify(result.report)).toContain('KeyError: SECRET_KEY_BASE')
    expectStableUntouchedAndNoCanary()
  })

  it('fails an image that cannot be pulled, asking whether it was pushed', async () => {
    shop.cluster.kubelet.behave({ pod: /-canary-/ }, { kind: 'imagepull' })
    const result = await shop.run('deploy', { timeout: '5m' })
    expect(result.report.status).toBe('failure')
    expect(JSON.stringify(result.report)).toMatch(/ImagePullBackOff|ErrImagePull/)
    expect(JSON.stringify(result.report)).toContain('pushed')
    expectStableUntouchedAndNoCanary()
  })

  it('fails when the canary /health answers 500, with the status in the reason', async () => {
    shop.cluster.kubelet.serve({ pod: /-canary-/ }, exampleApp(releaseVersion, 500))
    const result = await shop.run('deploy')
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('500')
    expectStableUntouchedAndNoCanary()
  })

  it('fails when the canary /version answers another version, naming both', async () => {
    shop.cluster.kubelet.serve(
      { pod: /-canary-/ },
      exampleApp(() => 'v1')
    )
    const result = await shop.run('deploy')
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('"v1"')
    expect(result.report.reason).toContain('"v2"')
    expectStableUntouchedAndNoCanary()
  })

  it('fails a canary that never becomes available at the timeout', async () => {
    shop.cluster.kubelet.behave({ pod: /-canary-/ }, { kind: 'hold' })
    const result = await shop.run('deploy', { timeout: '10s' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(/shop-(web|worker)-canary/)
    expect(result.report.reason).toMatch(/10 s|timed out|timeout/i)
    expectStableUntouchedAndNoCanary()
  }, 30_000)

  it('keeps the failed canary for inspection when rollback-on-failure is false', async () => {
    shop.cluster.kubelet.serve({ pod: /-canary-/ }, exampleApp(releaseVersion, 500))
    const result = await shop.run('deploy', { 'rollback-on-failure': 'false' })
    expect(result.report.status).toBe('failure')
    expect(canary('shop-web-canary')).toBeDefined()
    expect(shop.stableSpecs()).toBe(before)
  })

  it('calls the pod proxy with the port number of a named container port', async () => {
    expect((await shop.run('deploy')).report.status).toBe('success')
    const proxied = shop.cluster.requests.filter(
      r => r.resource === 'pods' && r.subresource === 'proxy'
    )
    expect(proxied.length).toBeGreaterThan(0)
    // kube-apiserver's pod proxy never resolves a port name: `pod:http` breaks the connection.
    for (const request of proxied) expect(request.name).toMatch(/^shop-web-canary-[^:]+:8080$/)
  })

  it('deploys the same version twice without change: idempotent', async () => {
    await shop.run('deploy', { 'migrate-command': MIGRATE })
    const spec = canary('shop-web-canary')?.spec
    const second = await shop.run('deploy', { 'migrate-command': MIGRATE })
    expect(second.report.status).toBe('success')
    // Not the generation: kube-apiserver bumps a Deployment's generation on annotation changes
    // too, and the deploy moves the canary's phase annotation. The spec must not change.
    expect(canary('shop-web-canary')?.spec).toEqual(spec)
    expect(jobs()).toHaveLength(1)
    expect(shop.stableSpecs()).toBe(before)
  })

  it('records a transient GitHub deployment of the canary when a token is given', async () => {
    const github = await startGitHubApi()
    try {
      const result = await shop.run(
        'deploy',
        { 'github-token': github.token },
        { GITHUB_REPOSITORY: 'acme/shop', GITHUB_SHA: 'abcdef1234567', GITHUB_API_URL: github.url }
      )
      expect(result.report.status).toBe('success')
      expect(github.state.deployments.map(d => d.environment)).toEqual(['production-canary'])
      expect(github.state.statuses.map(s => s.state)).toEqual(['in_progress', 'success'])
    } finally {
      await github.stop()
    }
  })

  it('stops a GitHub call when the run is cancelled, and still marks its deployment failed', async () => {
    const github = await startGitHubApi()
    const run = new AbortController()
    // The API takes the in_progress status and never answers; the run is cancelled meanwhile.
    github.state.faults.push({
      method: 'POST',
      path: /\/statuses$/,
      hang: () => {
        github.state.faults.length = 0
        run.abort(new Error('the run was cancelled (SIGTERM)'))
      }
    })
    try {
      const result = await shop.run(
        'deploy',
        { 'github-token': github.token },
        { GITHUB_REPOSITORY: 'acme/shop', GITHUB_SHA: 'abcdef1234567', GITHUB_API_URL: github.url },
        { signal: run.signal }
      )
      expect(result.report.status).toBe('failure')
      expect(result.report.reason).toMatch(/^cancelled: /)
      const [deployment] = github.state.deployments
      expect(result.logs).toContainEqual(
        `warning: Could not set GitHub deployment ${deployment.id} to in_progress: ` +
          `GitHub API request to ${new URL(github.url).host} was cancelled`
      )
      expect(github.state.statuses.map(s => s.state)).toEqual(['failure'])
      expectStableUntouchedAndNoCanary()
    } finally {
      await github.stop()
    }
  })

  it('refuses a stable Deployment that does not exist before building anything', async () => {
    const result = await shop.run('deploy', { deployments: 'shop-web,shop-admin' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('Deployment shop-admin not found in namespace shop')
    expect(shop.cluster.writes()).toEqual([])
  })
})
