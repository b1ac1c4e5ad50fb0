import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'
import { NAMESPACE, NEW_DIGEST, NEW_IMAGE, STABLE_IMAGE, startShop, type Shop } from './fixture.js'

let shop: Shop
let github: GitHubApi
let before: string

beforeEach(async () => {
  shop = await startShop()
  github = await startGitHubApi({
    permissions: { maintainer: 'write', reader: 'read', owner: 'admin' },
    teams: { 'acme/release': ['teamie'] }
  })
  const deployed = await shop.run('deploy')
  expect(deployed.report.status).toBe('success')
  before = shop.stableSpecs()
  shop.cluster.resetRequests()
})
afterEach(async () => {
  await shop.stop()
  await github.stop()
})

function promote(inputs: Record<string, string> = {}, actor = 'maintainer') {
  return shop.run(
    'promote',
    { approve: 'true', version: 'v2', digest: NEW_DIGEST, 'github-token': github.token, ...inputs },
    {
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'abcdef1234567',
      GITHUB_RUN_ID: '7',
      GITHUB_ACTOR: actor,
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.example.com'
    }
  )
}

const deployment = (name: string) => shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, name)
const imageOf = (name: string) => deployment(name)?.spec?.template.spec?.containers[0].image

/** A refusal changes nothing: not one write reached the cluster. */
async function expectRefusedWithoutWrites(
  result: Awaited<ReturnType<typeof promote>>,
  reason: RegExp | string
) {
  expect(result.report.status).toBe('refused')
  expect(result.report.reason).toMatch(reason)
  expect(shop.cluster.writes()).toEqual([])
  expect(shop.stableSpecs()).toBe(before)
}

describe('promote', () => {
  it('puts the canary image on web and worker, annotated with who approved, and removes the canaries', async () => {
    const result = await promote()
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    for (const name of ['shop-web', 'shop-worker']) {
      expect(imageOf(name)).toBe(NEW_IMAGE)
      const annotations = deployment(name)?.metadata?.annotations ?? {}
      expect(annotations['canary-deploy.dev/version']).toBe('v2')
      expect(annotations['canary-deploy.dev/image-digest']).toBe(NEW_DIGEST)
      expect(annotations['canary-deploy.dev/approved-by']).toBe('maintainer')
      expect(annotations['canary-deploy.dev/source']).toContain('acme/shop')
    }
    expect(deployment('shop-web-canary')).toBeUndefined()
    expect(deployment('shop-worker-canary')).toBeUndefined()
    expect(result.report.facts).toContainEqual(['approved by', 'maintainer'])
    const table = result.report.sections.find(s => s.title === 'Promotion')?.body
    expect(table).toContain(`image \`${STABLE_IMAGE}\` -> \`${NEW_IMAGE}\``)
  })

  it("adds no GitHub deployment record: the workflow job's environment makes the one", async () => {
    const result = await promote()
    expect(result.report.status).toBe('success')
    expect(github.state.deployments).toEqual([])
  })

  it('refuses a version the canary does not run', async () => {
    await expectRefusedWithoutWrites(await promote({ version: 'v3' }), /runs version v2, not v3/)
  })

  it('refuses a digest the canary does not run', async () => {
    await expectRefusedWithoutWrites(
      await promote({ digest: `sha256:${'9'.repeat(64)}` }),
      /not the approved sha256:9/
    )
  })

  it('refuses without a digest, saying where the digest comes from', async () => {
    const result = await promote({ digest: '' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(
      /digest.*the deploy run prints it in its summary and its `digest` output/
    )
    expect(shop.cluster.writes()).toEqual([])
    expect(shop.stableSpecs()).toBe(before)
  })

  it('rolls back without a digest', async () => {
    const result = await shop.run('rollback', { version: 'v2' })
    expect(result.report.status).toBe('success')
  })

  it('refuses without approve', async () => {
    await expectRefusedWithoutWrites(
      await promote({ approve: '' }),
      /approve must be exactly "true"/
    )
  })

  it('refuses approve: yes', async () => {
    await expectRefusedWithoutWrites(await promote({ approve: 'yes' }), /got "yes"/)
  })

  it('refuses an actor with read permission', async () => {
    await expectRefusedWithoutWrites(await promote({}, 'reader'), /reader has read permission/)
  })

  it('allows an actor listed through a team in approvers', async () => {
    const result = await promote({ approvers: 'acme/release' }, 'teamie')
    expect(result.report.status).toBe('success')
    expect(imageOf('shop-web')).toBe(NEW_IMAGE)
  })

  it('refuses an actor missing from approvers even with write permission', async () => {
    await expectRefusedWithoutWrites(
      await promote({ approvers: 'owner' }, 'maintainer'),
      /maintainer/
    )
  })

  it('refuses when the canary is unhealthy at promotion time', async () => {
    shop.canaryHealth.status = 503
    await expectRefusedWithoutWrites(await promote(), /not healthy right now/)
  })

  it('checks the canary again when it waited long for the lock, and refuses if it went bad', async () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'shop-canary-deploy', namespace: NAMESPACE },
      spec: {
        holderIdentity: 'acme/shop run:other',
        leaseDurationSeconds: 60,
        renewTime: new Date().toISOString()
      }
    }
    shop.cluster.put(lease as never)
    const running = promote({ 'lock-timeout': '30s' })
    // The first smoke check passes; while this run waits for the lock, the canary goes bad.
    while (!shop.cluster.requests.some(r => r.verb === 'proxy'))
      await new Promise(r => setTimeout(r, 50))
    shop.canaryHealth.status = 503
    await new Promise(r => setTimeout(r, 5_500))
    shop.cluster.remove('Lease', NAMESPACE, 'shop-canary-deploy')
    const result = await running
    expect(result.report.status).toBe('refused')
    expect(result.report.reason).toContain('not healthy right now')
    expect(shop.stableSpecs()).toBe(before)
  }, 60_000)

  it('refuses when there is no canary', async () => {
    await shop.run('rollback')
    shop.cluster.resetRequests()
    await expectRefusedWithoutWrites(await promote(), /no canary shop-web-canary/)
  })

  it('restores web when the worker rollout fails mid-promotion, and keeps the canary', async () => {
    shop.cluster.kubelet.behave(
      { pod: /^shop-worker-(?!canary)/, image: NEW_IMAGE },
      { kind: 'crashloop', logs: ['worker: boom'] }
    )
    const result = await promote({ timeout: '20s' })
    expect(result.report.status).toBe('failure')
    expect(JSON.stringify(result.report)).toContain('worker: boom')
    expect(imageOf('shop-web')).toBe(STABLE_IMAGE)
    expect(imageOf('shop-worker')).toBe(STABLE_IMAGE)
    // A restored Deployment does not claim the release it no longer runs.
    expect(
      deployment('shop-web')?.metadata?.annotations?.['canary-deploy.dev/version']
    ).toBeUndefined()
    expect(deployment('shop-web-canary')).toBeDefined()
    expect(deployment('shop-worker-canary')).toBeDefined()
  }, 60_000)

  it('puts back every write of a failed promotion, newest first, whatever rollback-on-failure says', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'promote-'))
    const config = (greeting: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'shop-config', namespace: NAMESPACE },
      data: { GREETING: greeting }
    })
    shop.cluster.put(config('hello'))
    writeFileSync(join(workspace, 'config.yaml'), JSON.stringify(config('bonjour')))
    shop.cluster.kubelet.behave(
      { pod: /^shop-worker-(?!canary)/, image: NEW_IMAGE },
      { kind: 'crashloop', logs: ['worker: boom'] }
    )
    try {
      const result = await shop.run(
        'promote',
        {
          approve: 'true',
          digest: NEW_DIGEST,
          manifests: 'config.yaml',
          'rollback-on-failure': 'false'
        },
        { GITHUB_WORKSPACE: workspace }
      )
      expect(result.report.status).toBe('failure')
    } finally {
      rmSync(workspace, { recursive: true, force: true })
    }
    expect([imageOf('shop-web'), imageOf('shop-worker')]).toEqual([STABLE_IMAGE, STABLE_IMAGE])
    expect(shop.cluster.get<V1ConfigMap>('ConfigMap', NAMESPACE, 'shop-config')?.data).toEqual({
      GREETING: 'hello'
    })
    const writes = shop.cluster
      .writes()
      .filter(w => ['shop-config', 'shop-web', 'shop-worker'].includes(w.name ?? ''))
      .map(w => `${w.contentType?.includes('apply') ? 'apply' : 'put back'} ${w.name}`)
    expect(writes).toEqual([
      'apply shop-config',
      'apply shop-web',
      'apply shop-worker',
      'put back shop-worker',
      'put back shop-web',
      'put back shop-config'
    ])
  }, 60_000)
})

describe('rollback', () => {
  it('removes the canaries and leaves stable untouched', async () => {
    const result = await shop.run('rollback')
    expect(result.report.status).toBe('success')
    expect(deployment('shop-web-canary')).toBeUndefined()
    expect(deployment('shop-worker-canary')).toBeUndefined()
    expect(shop.stableSpecs()).toBe(before)
    const writes = shop.cluster.writes().filter(w => w.resource !== 'leases')
    expect(writes.map(w => `${w.verb} ${w.name}`).sort()).toEqual([
      'delete shop-web-canary',
      'delete shop-worker-canary'
    ])
  })

  it('succeeds a second time, saying there was nothing to remove', async () => {
    await shop.run('rollback')
    const second = await shop.run('rollback')
    expect(second.report.status).toBe('no-op')
    expect(second.report.reason).toContain('no canary of shop to remove')
    expect(shop.stableSpecs()).toBe(before)
  })
})
