/**
 * The release plan's contract, under every strategy: the objects diff shows are exactly the
 * objects deploy and then promote write (the test cluster's write log), for a first release and
 * for the next one, with a migration and a manifest beside the Deployments.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CommandResult } from '../../src/commands/types.js'
import { NAMESPACE, NEW_DIGEST, NEW_IMAGE, startShop, type Shop } from './fixture.js'
import { CANARY_HOST, putWebIngress, putWebService } from './strategies-fixture.js'

const V3_DIGEST = `sha256:${'3'.repeat(64)}`
const V3_IMAGE = `registry.example.com/shop@${V3_DIGEST}`
const KINDS: Record<string, string> = {
  deployments: 'Deployment',
  services: 'Service',
  ingresses: 'Ingress',
  jobs: 'Job',
  configmaps: 'ConfigMap'
}

interface Release {
  version: string
  image: string
  digest: string
  sha: string
}
const RELEASES: Release[] = [
  { version: 'v2', image: NEW_IMAGE, digest: NEW_DIGEST, sha: 'abcdef1234567890' },
  { version: 'v3', image: V3_IMAGE, digest: V3_DIGEST, sha: '1234567890abcdef' }
]

const COMMON = ['ConfigMap shop/shop-config', 'Job shop/shop-migrate-v2']
const IN_PLACE = [
  'Deployment shop/shop-web',
  'Deployment shop/shop-web-canary',
  'Deployment shop/shop-worker',
  'Deployment shop/shop-worker-canary'
]
const CANARY_ROUTE = ['Ingress shop/shop-canary', 'Service shop/shop-canary']

/** Each strategy, and the objects its first release writes (the README's strategy tables). */
const STRATEGIES: [string, Record<string, string>, string[]][] = [
  ['replicas', { strategy: 'replicas' }, [...COMMON, ...IN_PLACE]],
  [
    'ingress-host',
    { strategy: 'ingress-host', 'canary-host': CANARY_HOST },
    [...COMMON, ...IN_PLACE, ...CANARY_ROUTE]
  ],
  [
    'ingress-weight',
    { strategy: 'ingress-weight', steps: '10,50', 'step-interval': '1s' },
    [...COMMON, ...IN_PLACE, ...CANARY_ROUTE]
  ],
  [
    'rainbow',
    { strategy: 'rainbow' },
    [
      ...COMMON,
      'Deployment shop/shop-web-abcdef',
      'Deployment shop/shop-worker-abcdef',
      'Service shop/shop-web'
    ]
  ]
]

/** `Kind namespace/name` of every object a diff report shows, changed or unchanged. */
function shownBy(result: CommandResult): string[] {
  const shown = new Set<string>()
  for (const section of result.report.sections) {
    const changed = /^(\w+ [\w.-]+\/[\w.-]+): /.exec(section.title)
    if (changed) shown.add(changed[1])
    if (section.title.startsWith('Unchanged ('))
      for (const line of section.body.split('\n')) shown.add(line.replace(/^- /, ''))
  }
  return [...shown].sort()
}

/** `Kind namespace/name` of every object the commands since the last reset wrote (its lock aside). */
function written(shop: Shop): string[] {
  const objects = shop.cluster
    .writes()
    .filter(w => w.resource !== 'leases')
    .map(w => `${KINDS[w.resource] ?? w.resource} ${w.namespace}/${w.name}`)
  return [...new Set(objects)].sort()
}

describe.each(STRATEGIES)('the %s plan', (_name, strategy, firstRelease) => {
  let shop: Shop
  let workspace: string

  beforeEach(async () => {
    shop = await startShop()
    // Narrowed to the stable track: every strategy can take it (rainbow needs it).
    putWebService(shop)
    putWebIngress(shop)
    workspace = mkdtempSync(join(tmpdir(), 'plan-contract-'))
    writeFileSync(
      join(workspace, 'config.yaml'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shop-config', namespace: NAMESPACE },
        data: { GREETING: 'hello' }
      })
    )
    await shop.cluster.settle()
  })
  afterEach(async () => {
    await shop.stop()
    rmSync(workspace, { recursive: true, force: true })
  })

  it('shows in diff exactly the objects deploy and promote then write, release after release', async () => {
    const seen: string[][] = []
    for (const release of RELEASES) {
      const inputs = {
        ...strategy,
        version: release.version,
        image: release.image,
        manifests: 'config.yaml',
        'migrate-command': 'bin/migrate'
      }
      const env = {
        GITHUB_SHA: release.sha,
        GITHUB_REPOSITORY: 'acme/shop',
        GITHUB_WORKSPACE: workspace
      }
      shop.cluster.resetRequests()
      const diff = await shop.run('diff', { ...inputs, comment: 'false' }, env)
      expect(diff.report.reason).toBeUndefined()
      expect(shop.cluster.writes()).toEqual([])

      const deployed = await shop.run('deploy', inputs, env)
      expect(deployed.report.reason).toBeUndefined()
      const promoted = await shop.run(
        'promote',
        { ...inputs, approve: 'true', digest: release.digest },
        env
      )
      expect(promoted.report.reason).toBeUndefined()
      expect({ release: release.version, objects: shownBy(diff) }).toEqual({
        release: release.version,
        objects: written(shop)
      })
      seen.push(written(shop))
    }
    expect(seen[0]).toEqual([...firstRelease].sort())
  }, 90_000)
})

describe('the migration in the plan', () => {
  const MIGRATE = { 'migrate-command': 'bin/migrate' }
  let shop: Shop
  beforeEach(async () => {
    shop = await startShop()
  })
  afterEach(() => shop.stop())

  /** The Jobs a diff shows, and then the Jobs the deploy after it writes. */
  async function diffThenDeploy(): Promise<{ shown: string[]; written: string[] }> {
    shop.cluster.resetRequests()
    const diff = await shop.run('diff', { ...MIGRATE, comment: 'false' })
    expect(diff.report.reason).toBeUndefined()
    const deployed = await shop.run('deploy', MIGRATE)
    expect(deployed.report.reason).toBeUndefined()
    return {
      shown: shownBy(diff).filter(object => object.startsWith('Job ')),
      written: written(shop).filter(object => object.startsWith('Job '))
    }
  }

  it('shows no Job, and deploy writes none, once stable runs the version and its Job is gone', async () => {
    expect((await shop.run('deploy', MIGRATE)).report.status).toBe('success')
    const promoted = await shop.run('promote', { approve: 'true', digest: NEW_DIGEST })
    expect(promoted.report.status).toBe('success')
    shop.cluster.remove('Job', NAMESPACE, 'shop-migrate-v2')
    expect(await diffThenDeploy()).toEqual({ shown: [], written: [] })
  })

  it('shows the retry that deploy then creates, after the first attempt failed', async () => {
    shop.cluster.kubelet.behave({ pod: /migrate-v2-/ }, { kind: 'fail', logs: ['boom'] })
    expect((await shop.run('deploy', MIGRATE)).report.status).toBe('failure')
    shop.cluster.kubelet.behave({ pod: /migrate-v2-2-/ }, { kind: 'succeed' })
    expect(await diffThenDeploy()).toEqual({
      shown: ['Job shop/shop-migrate-v2-2'],
      written: ['Job shop/shop-migrate-v2-2']
    })
  })
})
