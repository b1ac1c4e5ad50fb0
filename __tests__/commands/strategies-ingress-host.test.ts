import { NEW_DIGEST, NEW_IMAGE, startShop, type Shop } from './fixture.js'
import {
  CANARY_HOST,
  get,
  PROMOTE,
  putWebIngress,
  putWebService,
  TLS_SECRET,
  writesTo
} from './strategies-fixture.js'

const STRATEGY = { strategy: 'ingress-host', 'canary-host': CANARY_HOST }
let shop: Shop
let before: string

beforeEach(async () => {
  shop = await startShop()
  putWebService(shop)
  putWebIngress(shop)
  await shop.cluster.settle()
  before = shop.stableSpecs()
})
afterEach(() => shop.stop())

describe('ingress-host: deploy', () => {
  it('gives the web canary its own Service, selecting only canary pods on the stable ports', async () => {
    const result = await shop.run('deploy', STRATEGY)
    expect(result.report.reason).toBeUndefined()
    const service = get.service(shop, 'shop-canary')
    expect(service?.spec?.selector).toEqual({
      app: 'shop-web',
      'canary-deploy.dev/track': 'canary'
    })
    expect(service?.spec?.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }
    ])
    await shop.cluster.settle()
    const pods = get.endpointPods(shop, 'shop-canary')
    expect(pods.length).toBe(1)
    expect(pods.every(name => name.startsWith('shop-web-canary-'))).toBe(true)
  })

  it('routes canary-host to that Service with the stable Ingress class and TLS secret', async () => {
    await shop.run('deploy', STRATEGY)
    const ingress = get.ingress(shop, 'shop-canary')
    expect(ingress?.spec?.ingressClassName).toBe('nginx')
    expect(ingress?.spec?.tls).toEqual([{ hosts: [CANARY_HOST], secretName: TLS_SECRET }])
    expect(ingress?.spec?.rules).toEqual([
      {
        host: CANARY_HOST,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'shop-canary', port: { name: 'http' } } }
            }
          ]
        }
      }
    ])
  })

  it('labels the canary Service and Ingress with app, track canary, version and source', async () => {
    await shop.run('deploy', STRATEGY, { GITHUB_REPOSITORY: 'acme/shop', GITHUB_SHA: 'abc1234567' })
    for (const object of [get.service(shop, 'shop-canary'), get.ingress(shop, 'shop-canary')]) {
      expect(object?.metadata?.labels).toMatchObject({
        app: 'shop',
        'canary-deploy.dev/track': 'canary',
        'canary-deploy.dev/version': 'v2'
      })
      expect(object?.metadata?.annotations?.['canary-deploy.dev/source']).toContain('acme/shop')
    }
  })

  it('leaves the stable Deployments, Service and Ingress untouched', async () => {
    await shop.run('deploy', STRATEGY)
    expect(shop.stableSpecs()).toBe(before)
    expect(writesTo(shop, 'services', 'shop-web')).toEqual([])
    expect(writesTo(shop, 'ingresses', 'shop-web')).toEqual([])
  })

  it('says where the canary answers', async () => {
    const result = await shop.run('deploy', STRATEGY)
    expect(result.report.facts).toContainEqual(['canary url', `https://${CANARY_HOST}`])
  })

  it('smoke-checks each canary pod through the pod proxy (no DNS needed for canary-host)', async () => {
    const result = await shop.run('deploy', STRATEGY)
    const smoke = result.report.sections.find(s => s.title === 'Smoke checks')?.body ?? ''
    expect(smoke).toContain('shop-web-canary-')
    expect(smoke).not.toContain(CANARY_HOST)
  })

  it('refuses, writing nothing, when no Service selects the web pods', async () => {
    shop.cluster.remove('Service', 'shop', 'shop-web')
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', STRATEGY)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('no Service selects the pods of shop-web')
    expect(shop.cluster.writes().filter(w => w.resource !== 'leases')).toEqual([])
  })

  it('exposes nothing when the canary fails its smoke check: no canary, Service or Ingress left', async () => {
    shop.canaryHealth.status = 500
    const result = await shop.run('deploy', STRATEGY)
    expect(result.report.status).toBe('failure')
    expect(get.deployment(shop, 'shop-web-canary')).toBeUndefined()
    expect(get.service(shop, 'shop-canary')).toBeUndefined()
    expect(get.ingress(shop, 'shop-canary')).toBeUndefined()
  })
})

describe('ingress-host: promote and rollback', () => {
  beforeEach(async () => {
    const deployed = await shop.run('deploy', STRATEGY)
    expect(deployed.report.status).toBe('success')
    shop.cluster.resetRequests()
  })

  it('promote puts the image on stable, then removes the canary Service and Ingress', async () => {
    const result = await shop.run('promote', { ...STRATEGY, ...PROMOTE, digest: NEW_DIGEST })
    expect(result.report.reason).toBeUndefined()
    expect(get.deployment(shop, 'shop-web')?.spec?.template.spec?.containers[0].image).toBe(
      NEW_IMAGE
    )
    expect(get.deployment(shop, 'shop-web-canary')).toBeUndefined()
    expect(get.service(shop, 'shop-canary')).toBeUndefined()
    expect(get.ingress(shop, 'shop-canary')).toBeUndefined()
    expect(writesTo(shop, 'ingresses', 'shop-web')).toEqual([])
  })

  it('rollback removes the canaries, their Service and Ingress, and nothing stable', async () => {
    const result = await shop.run('rollback', STRATEGY)
    expect(result.report.status).toBe('success')
    expect(
      shop.cluster
        .writes()
        .filter(w => w.resource !== 'leases')
        .map(w => `${w.verb} ${w.resource}/${w.name}`)
        .sort()
    ).toEqual([
      'delete deployments/shop-web-canary',
      'delete deployments/shop-worker-canary',
      'delete ingresses/shop-canary',
      'delete services/shop-canary'
    ])
    expect(shop.stableSpecs()).toBe(before)
  })

  it('a second rollback has nothing to remove', async () => {
    await shop.run('rollback', STRATEGY)
    const second = await shop.run('rollback', STRATEGY)
    expect(second.report.status).toBe('no-op')
  })
})
