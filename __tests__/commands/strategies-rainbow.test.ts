import { NEW_DIGEST, NEW_IMAGE, STABLE_IMAGE, startShop, type Shop } from './fixture.js'
import { get, PROMOTE, putWebService, writesTo } from './strategies-fixture.js'

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
  // As DESIGN.md has it: the Service selects on `app` alone.
  putWebService(shop, { app: 'shop-web' })
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
  it('starts each release as its own Deployment <deployment>-<sha6>, labelled with the release', async () => {
    const result = await deploy()
    expect(result.report.reason).toBeUndefined()
    for (const name of ['shop-web-abcdef', 'shop-worker-abcdef']) {
      const release = get.deployment(shop, name)
      expect(release?.spec?.template.spec?.containers[0].image).toBe(NEW_IMAGE)
      expect(release?.spec?.template.metadata?.labels?.[RELEASE]).toBe('abcdef')
      expect(release?.spec?.selector.matchLabels?.[RELEASE]).toBe('abcdef')
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

  it('keeps the release out of traffic until promotion: the Service is narrowed to track=stable', async () => {
    await deploy()
    await shop.cluster.settle()
    expect(selector()).toEqual({ app: 'shop-web', [TRACK]: 'stable' })
    const pods = get.endpointPods(shop, 'shop-web')
    expect(pods).toHaveLength(2)
    expect(pods.some(name => name.startsWith('shop-web-abcdef-'))).toBe(false)
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

describe('rainbow: promote', () => {
  beforeEach(async () => {
    expect((await deploy()).report.status).toBe('success')
    shop.cluster.resetRequests()
  })

  it('moves the Service selector to the release in exactly one PATCH', async () => {
    const result = await promote()
    expect(result.report.reason).toBeUndefined()
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'abcdef' })
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
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: '123456' })
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
    expect(selector()).toEqual({ app: 'shop-web', [RELEASE]: 'abcdef' })
    expect(annotations('shop-web-abcdef')['canary-deploy.dev/replaced-at']).toBeUndefined()
    expect(annotations('shop-web-123456')['canary-deploy.dev/replaced-at']).toBeDefined()
  })

  it('a second rollback has nothing to do', async () => {
    await promote()
    await shop.run('rollback', STRATEGY)
    const second = await shop.run('rollback', STRATEGY)
    expect(second.report.status).toBe('no-op')
    expect(selector()).toEqual({ app: 'shop-web', [TRACK]: 'stable' })
  })
})
