import type { V1Ingress, V1Pod } from '@kubernetes/client-node'
import {
  exampleApp,
  NAMESPACE,
  NEW_DIGEST,
  NEW_IMAGE,
  releaseVersion,
  startShop,
  type Shop
} from './fixture.js'
import {
  get,
  PROMOTE,
  putWebIngress,
  putWebService,
  STABLE_HOST,
  TLS_SECRET,
  writesTo
} from './strategies-fixture.js'

const STRATEGY = { strategy: 'ingress-weight' }
const STEPS = { ...STRATEGY, steps: '10,25,50', 'step-interval': '1s' }
const CANARY = 'nginx.ingress.kubernetes.io/canary'
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight'
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

const canaryIngress = () => get.ingress(shop, 'shop-canary')
const weightNow = () =>
  Number(
    shop.cluster.get<V1Ingress>('Ingress', NAMESPACE, 'shop-canary')?.metadata?.annotations?.[
      WEIGHT
    ] ?? 0
  )

describe('ingress-weight: deploy', () => {
  it('puts an NGINX canary Ingress at canary-weight beside the stable one, without steps', async () => {
    const result = await shop.run('deploy', { ...STRATEGY, 'canary-weight': '15' })
    expect(result.report.reason).toBeUndefined()
    expect(canaryIngress()?.metadata?.annotations).toMatchObject({
      [CANARY]: 'true',
      [WEIGHT]: '15'
    })
  })

  it('copies the stable hosts, paths, class and TLS, with the canary Service as backend', async () => {
    await shop.run('deploy', STRATEGY)
    const spec = canaryIngress()?.spec
    expect(spec?.ingressClassName).toBe('nginx')
    expect(spec?.tls).toEqual([{ hosts: [STABLE_HOST], secretName: TLS_SECRET }])
    expect(spec?.rules).toEqual([
      {
        host: STABLE_HOST,
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
    expect(get.service(shop, 'shop-canary')?.spec?.selector).toEqual({
      app: 'shop-web',
      'canary-deploy.dev/track': 'canary'
    })
    expect(writesTo(shop, 'ingresses', 'shop-web')).toEqual([])
    expect(shop.stableSpecs()).toBe(before)
  })

  it('moves through the steps one merge PATCH of the weight at a time, ending at the last', async () => {
    const result = await shop.run('deploy', STEPS)
    expect(result.report.reason).toBeUndefined()
    expect(weightNow()).toBe(50)
    const patches = shop.cluster.requests.filter(
      r => r.resource === 'ingresses' && r.name === 'shop-canary' && r.verb === 'patch'
    )
    // One apply (the Ingress at 10%), then one merge patch per later step.
    expect(patches.map(p => p.contentType)).toEqual([
      'application/apply-patch+yaml',
      'application/merge-patch+json',
      'application/merge-patch+json'
    ])
  }, 30_000)

  it('re-runs the smoke checks after each step', async () => {
    const result = await shop.run('deploy', STEPS)
    expect(result.report.sections.filter(s => s.title === 'Smoke checks')).toHaveLength(3)
  }, 30_000)

  it('stops at the step whose smoke check fails, and removes the canary Ingress, Service and Deployments', async () => {
    const seen: number[] = []
    shop.cluster.kubelet.serve(
      { pod: /-canary-/ },
      exampleApp(releaseVersion, (_pod: V1Pod) => {
        seen.push(weightNow())
        return weightNow() >= 25 ? 503 : 200
      })
    )
    const result = await shop.run('deploy', STEPS)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('at 25%')
    expect(seen).not.toContain(50)
    expect(canaryIngress()).toBeUndefined()
    expect(get.service(shop, 'shop-canary')).toBeUndefined()
    expect(get.deployment(shop, 'shop-web-canary')).toBeUndefined()
    expect(get.deployment(shop, 'shop-worker-canary')).toBeUndefined()
    expect(shop.stableSpecs()).toBe(before)
  }, 30_000)

  it('keeps the canary at the failed step when rollback-on-failure is false', async () => {
    shop.cluster.kubelet.serve(
      { pod: /-canary-/ },
      exampleApp(releaseVersion, () => (weightNow() >= 25 ? 503 : 200))
    )
    const result = await shop.run('deploy', { ...STEPS, 'rollback-on-failure': 'false' })
    expect(result.report.status).toBe('failure')
    expect(weightNow()).toBe(25)
  }, 30_000)

  it('refuses, writing nothing, when no Ingress routes to the stable Service', async () => {
    shop.cluster.remove('Ingress', NAMESPACE, 'shop-web')
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', STRATEGY)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('no Ingress routes to Service shop-web')
    expect(shop.cluster.writes().filter(w => w.resource !== 'leases')).toEqual([])
  })
})

describe('ingress-weight: promote and rollback', () => {
  beforeEach(async () => {
    const deployed = await shop.run('deploy', STRATEGY)
    expect(deployed.report.status).toBe('success')
    shop.cluster.resetRequests()
  })

  it('promote takes the image to stable, then removes the canary Ingress and Service', async () => {
    const result = await shop.run('promote', { ...STRATEGY, ...PROMOTE, digest: NEW_DIGEST })
    expect(result.report.reason).toBeUndefined()
    expect(get.deployment(shop, 'shop-web')?.spec?.template.spec?.containers[0].image).toBe(
      NEW_IMAGE
    )
    expect(canaryIngress()).toBeUndefined()
    expect(get.service(shop, 'shop-canary')).toBeUndefined()
    const order = shop.cluster.writes().map(w => `${w.verb} ${w.resource}/${w.name}`)
    expect(order.indexOf('delete ingresses/shop-canary')).toBeGreaterThan(
      order.indexOf('patch deployments/shop-worker')
    )
  })

  it('rollback removes the canary Ingress, Service and Deployments', async () => {
    const result = await shop.run('rollback', STRATEGY)
    expect(result.report.status).toBe('success')
    expect(canaryIngress()).toBeUndefined()
    expect(get.service(shop, 'shop-canary')).toBeUndefined()
    expect(get.deployment(shop, 'shop-web-canary')).toBeUndefined()
    expect(shop.stableSpecs()).toBe(before)
  })
})
