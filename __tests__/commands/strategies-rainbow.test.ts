import type { V1Deployment, V1Service } from '@kubernetes/client-node'
import {
  NAMESPACE,
  NEW_DIGEST,
  NEW_IMAGE,
  STABLE_IMAGE,
  stableDeployment,
  startShop,
  type Shop
} from './fixture.js'
import {
  failWriteAfter,
  get,
  PROMOTE,
  putWebService,
  serveImageTag,
  writesTo
} from './strategies-fixture.js'

const STRATEGY = { strategy: 'rainbow' }
const FIRST = { GITHUB_SHA: 'abcdef1234567890', GITHUB_REPOSITORY: 'acme/shop' }
const SECOND = { GITHUB_SHA: '1234567890abcdef', GITHUB_REPOSITORY: 'acme/shop' }
const V3_DIGEST = `sha256:${'3'.repeat(64)}`
const V3_IMAGE = `registry.example.com/shop@${V3_DIGEST}`
const RELEASE = 'canary-deploy.dev/release'
const TRACK = 'canary-deploy.dev/track'
let shop: Shop
let before: string

beforeEach(async () => {
  shop = await startShop()
  // Narrowed to the stable track, as rainbow needs it (see the README's rainbow section).
  putWebService(shop, { app: 'shop-web', [TRACK]: 'stable' })
  await shop.cluster.settle()
  before = shop.stableSpecs()
})
afterEach(() => shop.stop())

const deploy = (env = FIRST, inputs: Record<string, string> = {}) =>
  shop.run('deploy', { ...STRATEGY, ...inputs }, env)
const promote = (inputs: Record<string, string> = {}) =>
  shop.run('promote', { ...STRATEGY, ...PROMOTE, digest: NEW_DIGEST, ...inputs })
const selector = () => get.service(shop, 'shop-web')?.spec?.selector
const annotations = (name: string) => get.deployment(shop, name)?.metadata?.annotations ?? {}

describe('rainbow: deploy', () => {
  it('starts each release as its own Deployment <deployment>-<sha6>, its pods labelled with that name as the release', async () => {
    const result = await deploy()
    expect(result.report.reason).toBeUndefined()
    for (const name of ['shop-web-abcdef', 'shop-worker-abcdef']) {
      const release = get.deployment(shop, name)
      expect(release?.spec?.template.spec?.containers[0].image).toBe(NEW_IMAGE)
      // The release label is the Deployment's own name (unique), so the deploy identity's policy
      // can hold every canary's pods to their own.
      expect(release?.spec?.template.metadata?.labels?.[RELEASE]).toBe(name)
      expect(release?.spec?.selector.matchLabels?.[RELEASE]).toBe(name)
      expect(release?.spec?.replicas).toBe(2)
    }
    expect(result.outputs.canary).toBe('shop-web-abcdef,shop-worker-abcdef')
  })

  it('records version, digest and source on each release', async () => {
    await deploy()
    expect(annotations('shop-web-abcdef')).toMatchObject({
      'canary-deploy.dev/version': 'v2',
      'canary-deploy.dev/image-digest': NEW_DIGEST
    })
    expect(annotations('shop-web-abcdef')['canary-deploy.dev/source']).toContain('acme/shop@abcdef')
  })

  it('keeps the release out of traffic until promotion without writing the Service', async () => {
    shop.cluster.resetRequests()
    expect((await deploy()).report.status).toBe('success')
    await shop.cluster.settle()
    expect(writesTo(shop, 'services')).toEqual([])
    expect(selector()).toEqual({ app: 'shop-web', [TRACK]: 'stable' })
    const pods = get.endpointPods(shop, 'shop-web')
    expect(pods).toHaveLength(2)
    expect(pods.some(name => name.startsWith('shop-web-abcdef-'))).toBe(false)
  })

  it('refuses, before anything is written, a release name too long to be its label', async () => {
    // The longest Deployment name the input takes, and no commit: the version names the release.
    const long = `shop-web-${'x'.repeat(47)}`
    shop.cluster.put(stableDeployment(long))
    await shop.cluster.settle()
    shop.cluster.resetRequests()
    const noCommit = { GITHUB_SHA: '', GITHUB_REPOSITORY: '' }
    const result = await deploy(noCommit, { deployments: long, version: 'release-2024' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(`would be named ${long}-release-2024, 69 characters`)
    expect(shop.cluster.writes().filter(w => w.resource !== 'leases')).toEqual([])
  })

  it('names the release after the version when there is no commit', async () => {
    await deploy({ GITHUB_SHA: '', GITHUB_REPOSITORY: '' })
    expect(get.deployment(shop, 'shop-web-v2')).toBeDefined()
  })

  it('deletes the release when its smoke check fails, leaving stable as it was', async () => {
    const result = await deploy(FIRST, { version: 'v2', 'expected-version': 'v9' })
    expect(result.report.status).toBe('failure')
    expect(get.deployment(shop, 'shop-web-abcdef')).toBeUndefined()
    expect(get.deployment(shop, 'shop-worker-abcdef')).toBeUndefined()
    expect(shop.stableSpecs()).toBe(before)
  })
})

describe('rainbow: deploy refuses what would reach live traffic before promotion', () => {
  it('refuses a Service that selects on app alone, naming it and the selector key to add', async () => {
    putWebService(shop, { app: 'shop-web' })
    shop.cluster.resetRequests()
    const result = await deploy()
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('Service shop-web')
    expect(result.report.reason).toContain('canary-deploy.dev/track: stable')
    expect(shop.cluster.writes().filter(w => w.resource !== 'leases')).toEqual([])
    expect(selector()).toEqual({ app: 'shop-web' })
  })

  describe('the commit of a release that went live', () => {
    beforeEach(async () => {
      expect((await deploy()).report.status).toBe('success')
      expect((await promote()).report.status).toBe('success')
    })
    const live = () => get.deployment(shop, 'shop-web-abcdef')

    it('is refused as another version, naming the release, which stays as it was', async () => {
      const was = JSON.stringify(live())
      const result = await deploy(FIRST, { version: 'v3', image: V3_IMAGE })
      expect(result.report.status).toBe('failure')
      expect(result.report.reason).toContain('shop-web-abcdef')
      expect(result.report.reason).toContain('v3')
      expect(JSON.stringify(live())).toBe(was)
    })

    it('is refused with another image digest given, before anything is written', async () => {
      shop.cluster.resetRequests()
      const result = await deploy(FIRST, { image: V3_IMAGE })
      expect(result.report.status).toBe('failure')
      expect(result.report.reason).toContain('shop-web-abcdef')
      expect(result.report.reason).toContain(V3_DIGEST)
      expect(writesTo(shop, 'deployments')).toEqual([])
      expect(live()?.spec?.template.spec?.containers[0].image).toBe(NEW_IMAGE)
    })

    it('is refused when the image resolves to another digest only after the build', async () => {
      const registry = await serveImageTag('shop', 'v2', V3_DIGEST)
      try {
        const result = await deploy(FIRST, { image: `${registry.host}/shop:v2` })
        expect(result.report.status).toBe('failure')
        expect(result.report.reason).toContain('shop-web-abcdef')
        expect(result.report.reason).toContain(V3_DIGEST)
        expect(live()?.spec?.template.spec?.containers[0].image).toBe(NEW_IMAGE)
      } finally {
        await registry.close()
      }
    })

    it('is deployed again as the identical release by writing nothing of it: already live', async () => {
      const was = JSON.stringify(live())
      shop.cluster.resetRequests()
      const result = await deploy()
      expect(result.report.reason).toBeUndefined()
      expect(result.report.status).toBe('no-op')
      expect(result.report.stages.find(s => s.name === 'canary')?.detail).toBe(
        'shop-web-abcdef, shop-worker-abcdef already live: not written again'
      )
      expect(shop.cluster.writes().filter(w => w.resource !== 'leases')).toEqual([])
      expect(JSON.stringify(live())).toBe(was)
      // Still live, so it is not promoted a second time.
      expect((await promote()).report.status).toBe('refused')
    })

    it('is refused when live beside one Deployment but not another, before anything is written', async () => {
      shop.cluster.put(stableDeployment('shop-extra'))
      await shop.cluster.settle()
      shop.cluster.resetRequests()
      const deployments = 'shop-web,shop-worker,shop-extra'
      const result = await shop.run('deploy', { ...STRATEGY, deployments }, FIRST)
      expect(result.report.status).toBe('failure')
      expect(result.report.reason).toContain(
        'shop-web-abcdef, shop-worker-abcdef of this commit already went live, but not beside every Deployment'
      )
      expect(shop.cluster.writes().filter(w => w.resource !== 'leases')).toEqual([])
    })

    it('is refused once replaced by a rollback, before anything is written', async () => {
      expect((await shop.run('rollback', STRATEGY)).report.status).toBe('success')
      shop.cluster.resetRequests()
      const result = await deploy()
      expect(result.report.status).toBe('failure')
      expect(result.report.reason).toContain(
        'shop-web-abcdef, shop-worker-abcdef went live and has been replaced since'
      )
      expect(shop.cluster.writes().filter(w => w.resource !== 'leases')).toEqual([])
    })
  })
})

describe('rainbow: promote', () => {
  beforeEach(async () => {
    expect((await deploy()).report.status).toBe('success')
    shop.cluster.resetRequests()
  })

  it('moves the Service selector to the release in exactly one PATCH', async () => {
    const result = await promote()
    expect(result.report.reason).toBeUndefined()
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'shop-web-abcdef' })
    expect(writesTo(shop, 'services')).toEqual(['patch services/shop-web'])
    await shop.cluster.settle()
    const pods = get.endpointPods(shop, 'shop-web')
    expect(pods.length).toBe(2)
    expect(pods.every(name => name.startsWith('shop-web-abcdef-'))).toBe(true)
  })

  it('leaves the earlier release running, untouched, to drain', async () => {
    await promote()
    expect(shop.stableSpecs()).toBe(before)
    expect(get.deployment(shop, 'shop-web')?.spec?.template.spec?.containers[0].image).toBe(
      STABLE_IMAGE
    )
  })

  it('records when the release went live', async () => {
    await promote()
    const at = Date.parse(annotations('shop-web-abcdef')['canary-deploy.dev/released-at'])
    expect(Number.isNaN(at)).toBe(false)
  })

  it('records replaced-at on the release it replaces, which keeps running', async () => {
    await promote()
    expect((await deploy(SECOND, { version: 'v3', image: V3_IMAGE })).report.status).toBe('success')
    const result = await promote({ version: 'v3', digest: V3_DIGEST })
    expect(result.report.reason).toBeUndefined()
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'shop-web-123456' })
    expect(annotations('shop-web-abcdef')['canary-deploy.dev/replaced-at']).toBeDefined()
    expect(annotations('shop-web-123456')['canary-deploy.dev/replaced-at']).toBeUndefined()
    expect(get.deployment(shop, 'shop-web-abcdef')?.spec?.replicas).toBe(2)
  })

  it('refuses a release that is already live', async () => {
    await promote()
    const again = await promote()
    expect(again.report.status).toBe('refused')
  })
})

describe('rainbow: a promotion that fails part way', () => {
  // Promotion marks the releases live, then moves each Service: web's first, then worker's.
  const WEB_SWITCH = { verb: 'patch', resource: 'services', name: 'shop-web' }
  const WORKER_SWITCH = { verb: 'patch', resource: 'services', name: 'shop-worker' }
  const metadataOf = (name: string) => {
    const found = get.deployment(shop, name)
    // The phase is promote's own record of how far it got, not part of the release.
    const { 'canary-deploy.dev/phase': _phase, ...annotations } = found?.metadata?.annotations ?? {}
    return { labels: found?.metadata?.labels, annotations }
  }
  const serviceMetadata = (name: string) => {
    const service = get.service(shop, name)
    return { annotations: service?.metadata?.annotations ?? {}, selector: service?.spec?.selector }
  }
  /** A Service for the worker too, narrowed to the stable track, so promotion moves two. */
  const putWorkerService = () =>
    shop.cluster.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shop-worker', namespace: NAMESPACE },
      spec: {
        selector: { app: 'shop-worker', [TRACK]: 'stable' },
        ports: [{ port: 80, targetPort: 8080 }]
      }
    } as V1Service)

  it('puts back the labels, annotations and selector it wrote, so the release can be promoted again', async () => {
    putWorkerService()
    expect((await deploy()).report.status).toBe('success')
    const releases = ['shop-web-abcdef', 'shop-worker-abcdef'].map(metadataOf)
    const services = ['shop-web', 'shop-worker'].map(serviceMetadata)
    failWriteAfter(shop, WEB_SWITCH, WORKER_SWITCH)
    const failed = await promote()
    expect(failed.report.status).toBe('failure')
    expect(['shop-web-abcdef', 'shop-worker-abcdef'].map(metadataOf)).toEqual(releases)
    expect(['shop-web', 'shop-worker'].map(serviceMetadata)).toEqual(services)
    expect((await promote()).report.status).toBe('success')
  })

  it('puts back replaced-at on the release that stays live', async () => {
    putWorkerService()
    expect((await deploy()).report.status).toBe('success')
    expect((await promote()).report.status).toBe('success')
    expect((await deploy(SECOND, { version: 'v3', image: V3_IMAGE })).report.status).toBe('success')
    const first = metadataOf('shop-web-abcdef')
    const second = metadataOf('shop-web-123456')
    failWriteAfter(shop, WEB_SWITCH, WORKER_SWITCH)
    const failed = await promote({ version: 'v3', digest: V3_DIGEST })
    expect(failed.report.status).toBe('failure')
    expect(metadataOf('shop-web-abcdef')).toEqual(first)
    expect(metadataOf('shop-web-123456')).toEqual(second)
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'shop-web-abcdef' })
  })
})

describe('rainbow: rollback', () => {
  beforeEach(async () => {
    expect((await deploy()).report.status).toBe('success')
  })

  it('deletes a release that was never promoted, and touches no Service', async () => {
    shop.cluster.resetRequests()
    const result = await shop.run('rollback', STRATEGY)
    expect(result.report.status).toBe('success')
    expect(get.deployment(shop, 'shop-web-abcdef')).toBeUndefined()
    expect(get.deployment(shop, 'shop-worker-abcdef')).toBeUndefined()
    expect(writesTo(shop, 'services')).toEqual([])
  })

  it('switches the Service back to the release it selected before the promotion', async () => {
    expect((await promote()).report.status).toBe('success')
    const result = await shop.run('rollback', STRATEGY)
    expect(result.report.status).toBe('success')
    expect(selector()).toEqual({ app: 'shop-web', [TRACK]: 'stable' })
    expect(annotations('shop-web-abcdef')['canary-deploy.dev/replaced-at']).toBeDefined()
    // Switched back, not deleted: it drains like any replaced release.
    expect(get.deployment(shop, 'shop-web-abcdef')).toBeDefined()
  })

  it('switches back to the previous rainbow release, which becomes live again', async () => {
    await promote()
    await deploy(SECOND, { version: 'v3', image: V3_IMAGE })
    await promote({ version: 'v3', digest: V3_DIGEST })
    const result = await shop.run('rollback', { ...STRATEGY, version: 'v3' })
    expect(result.report.status).toBe('success')
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'shop-web-abcdef' })
    expect(annotations('shop-web-abcdef')['canary-deploy.dev/replaced-at']).toBeUndefined()
    expect(annotations('shop-web-123456')['canary-deploy.dev/replaced-at']).toBeDefined()
  })

  it('says which stable Deployment is missing when it is gone', async () => {
    await promote()
    shop.cluster.remove('Deployment', NAMESPACE, 'shop-web')
    const result = await shop.run('rollback', STRATEGY)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('Deployment shop-web not found in namespace shop')
    expect(get.deployment(shop, 'shop-web-abcdef')).toBeDefined()
  })

  it('a second rollback has nothing to do', async () => {
    await promote()
    await shop.run('rollback', STRATEGY)
    const second = await shop.run('rollback', STRATEGY)
    expect(second.report.status).toBe('no-op')
    expect(selector()).toEqual({ app: 'shop-web', [TRACK]: 'stable' })
  })
})

describe('rainbow: releases made before the release label was the Deployment name', () => {
  /** Deploys, then puts each release back as an earlier version left it: labelled `abcdef`. */
  async function deployAsBefore(): Promise<void> {
    expect((await deploy()).report.status).toBe('success')
    for (const name of ['shop-web-abcdef', 'shop-worker-abcdef']) {
      const made = get.deployment(shop, name)!
      const labels = (from: Record<string, string> | undefined) => ({
        ...from,
        [RELEASE]: 'abcdef'
      })
      shop.cluster.remove('Deployment', NAMESPACE, name)
      shop.cluster.put({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name,
          namespace: NAMESPACE,
          labels: labels(made.metadata?.labels),
          annotations: made.metadata?.annotations
        },
        spec: {
          ...made.spec!,
          selector: { matchLabels: labels(made.spec?.selector.matchLabels) },
          template: {
            ...made.spec!.template,
            metadata: { labels: labels(made.spec?.template.metadata?.labels) }
          }
        }
      } as V1Deployment)
    }
    await shop.cluster.settle()
  }
  beforeEach(deployAsBefore)

  it('deploys the same commit again, keeping its label (a selector cannot change)', async () => {
    const result = await deploy()
    expect(result.report.reason).toBeUndefined()
    expect(get.deployment(shop, 'shop-web-abcdef')?.spec?.selector.matchLabels?.[RELEASE]).toBe(
      'abcdef'
    )
  })

  it('promotes it by its own label, and rolls it back', async () => {
    expect((await promote()).report.reason).toBeUndefined()
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'abcdef' })
    expect(get.endpointPods(shop, 'shop-web').every(n => n.startsWith('shop-web-abcdef-'))).toBe(
      true
    )
    expect((await shop.run('rollback', STRATEGY)).report.status).toBe('success')
    expect(selector()).toEqual({ app: 'shop-web', [TRACK]: 'stable' })
  })

  it('is replaced by a release of the new kind, and a rollback selects it again by its label', async () => {
    expect((await promote()).report.reason).toBeUndefined()
    expect((await deploy(SECOND, { version: 'v3', image: V3_IMAGE })).report.status).toBe('success')
    expect((await promote({ version: 'v3', digest: V3_DIGEST })).report.reason).toBeUndefined()
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'shop-web-123456' })
    const rolledBack = await shop.run('rollback', { ...STRATEGY, version: 'v3' }, SECOND)
    expect(rolledBack.report.reason).toBeUndefined()
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'abcdef' })
  })
})
