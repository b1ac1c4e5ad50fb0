/**
 * The gateway strategy end to end, on a test cluster serving the official Gateway API v1.6.1 CRDs
 * with a gateway controller writing route status: deploy through the weight steps, promote, roll
 * back, a route the Gateway refuses, a route others own in part, the header rule, and diff.
 */
import type { V1Service } from '@kubernetes/client-node'
import type { HTTPRoute } from '../../src/release/routers/gateway/http-route.js'
import {
  ANNOTATION_ROUTE_WEIGHTS,
  ANNOTATION_SOURCE,
  HEADER_RULE_PREFIX
} from '../../src/k8s/labels.js'
import {
  exampleApp,
  NAMESPACE,
  NEW_IMAGE,
  releaseVersion,
  startShop,
  type Shop
} from '../commands/fixture.js'
import { get, PROMOTE, putWebService } from '../commands/strategies-fixture.js'
import { winningRule } from './precedence.js'
import {
  applyAs,
  GATEWAY,
  liveRoute,
  startGatewayShop,
  userRoute,
  weights,
  weightsSeen
} from './shop.js'

const STEPS = { ...GATEWAY, steps: '10,50', 'step-interval': '1s' }
const HEADER = { ...GATEWAY, 'canary-weight': '0', 'canary-header': 'X-Canary: always' }
const ORIGINAL = ['shop-web=1']

let shop: Shop
/** The stable Deployments' specs, and the route as stored (defaults applied), before any release. */
let before: string
let stored: HTTPRoute
beforeEach(async () => {
  shop = await startGatewayShop()
  before = shop.stableSpecs()
  stored = structuredClone(liveRoute(shop))
})
afterEach(() => shop.stop())

/** `verb resource/name` of the writes since the last reset, leases left out, in order. */
const writes = () =>
  shop.cluster
    .writes()
    .filter(w => w.resource !== 'leases')
    .map(w => `${w.verb} ${w.resource}/${w.name}`)

/** Index of the first write matching, to compare orders. */
const at = (all: string[], write: string) => {
  const index = all.indexOf(write)
  if (index < 0) throw new Error(`no write ${write} in ${all.join(', ')}`)
  return index
}

describe('gateway: deploy', () => {
  it('moves the canary through the steps on the route, and leaves it at the last', async () => {
    const { result, seen } = await weightsSeen(shop, () => shop.run('deploy', STEPS))
    expect(result.report.reason).toBeUndefined()
    expect(seen).toEqual([ORIGINAL, ['shop-web=9 shop-canary=1'], ['shop-web=1 shop-canary=1']])
    expect(get.service(shop, 'shop-canary')?.spec?.selector).toEqual({
      app: 'shop-web',
      'canary-deploy.dev/track': 'canary'
    })
    expect(shop.stableSpecs()).toBe(before)
  }, 30_000)

  it('waits after each route write until the Gateway accepts its generation, then judges the canary', async () => {
    const result = await shop.run('deploy', STEPS)
    const parents = liveRoute(shop).status?.parents ?? []
    expect(
      parents.map(p => p.conditions?.map(c => [c.type, c.status, c.observedGeneration]))
    ).toEqual([
      [
        ['Accepted', 'True', liveRoute(shop).metadata?.generation],
        ['ResolvedRefs', 'True', liveRoute(shop).metadata?.generation]
      ]
    ])
    expect(result.report.sections.filter(s => s.title === 'Smoke checks')).toHaveLength(2)
    const expose = result.report.stages.find(s => s.name === 'expose')
    expect(expose?.detail).toBe('Service shop-canary, HTTPRoute shop-web at 50%')
  }, 30_000)

  it('writes the route as one merge patch of its rules per step, under the canary-deploy manager', async () => {
    shop.cluster.resetRequests()
    await shop.run('deploy', STEPS)
    const patches = shop.cluster.writes().filter(w => w.resource === 'httproutes')
    expect(patches.map(w => [w.verb, w.contentType, w.fieldManager, w.status])).toEqual([
      ['patch', 'application/merge-patch+json', 'canary-deploy', 200],
      ['patch', 'application/merge-patch+json', 'canary-deploy', 200]
    ])
    expect(liveRoute(shop).metadata?.annotations?.[ANNOTATION_SOURCE]).toMatch(/ run:/)
  }, 30_000)

  it('reads the route again and recomputes when someone wrote it in between, keeping their change', async () => {
    let interfered = false
    shop.cluster.resetRequests()
    const stop = shop.cluster.onRequest(record => {
      if (interfered || record.resource !== 'httproutes' || record.verb !== 'patch') return
      interfered = true
      // Their write lands between our read and our patch: the patch's resourceVersion is stale.
      const route = liveRoute(shop)
      shop.cluster.put({
        ...route,
        spec: { ...route.spec, hostnames: ['www.example.com'] }
      } as HTTPRoute)
    })
    const result = await shop.run('deploy', { ...GATEWAY, 'canary-weight': '20' })
    stop()
    expect(result.report.reason).toBeUndefined()
    const patches = shop.cluster.writes().filter(w => w.resource === 'httproutes')
    expect(patches.map(w => w.status)).toEqual([409, 200])
    expect(liveRoute(shop).spec?.hostnames).toEqual(['www.example.com'])
    expect(weights(liveRoute(shop))).toEqual(['shop-web=4 shop-canary=1'])
  }, 30_000)

  it('stops at the step whose smoke check fails: the canary leaves the route first, then goes', async () => {
    // The canary turns unhealthy once it takes half of shop-web's traffic.
    const atHalf = () => weights(liveRoute(shop))[0] === 'shop-web=1 shop-canary=1'
    shop.cluster.kubelet.serve(
      { pod: /-canary-/ },
      exampleApp(releaseVersion, () => (atHalf() ? 503 : 200))
    )
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', STEPS)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('at 50% (steps 10,50)')
    const done = writes()
    const revert = done.lastIndexOf('patch httproutes/shop-web')
    expect(revert).toBeLessThan(at(done, 'delete services/shop-canary'))
    expect(at(done, 'delete services/shop-canary')).toBeLessThan(
      at(done, 'delete deployments/shop-web-canary')
    )
    expect(weights(liveRoute(shop))).toEqual(ORIGINAL)
    expect(shop.stableSpecs()).toBe(before)
  }, 30_000)

  it('refuses, writing nothing, on a cluster that does not serve HTTPRoute, saying what to install', async () => {
    await shop.stop()
    shop = await startShop()
    putWebService(shop)
    await shop.cluster.settle()
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', STEPS)
    expect(result.report.reason).toContain(
      'the cluster does not serve HTTPRoute in gateway.networking.k8s.io/v1: the gateway strategy needs the Gateway API CRDs'
    )
    expect(writes()).toEqual([])
  })

  it('refuses, writing nothing, when the route does not exist', async () => {
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', { ...GATEWAY, route: 'storefront' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(
      'HTTPRoute shop/storefront not found: the gateway strategy adds the canary to the HTTPRoute that sends Service shop-web its traffic'
    )
    expect(writes()).toEqual([])
  })

  it('refuses, writing nothing, a route with no rule sending the stable Service traffic', async () => {
    const route = userRoute()
    route.spec!.rules![0].backendRefs = [{ name: 'shop-legacy', port: 80 }]
    await applyAs(shop, 'kubectl', route)
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', STEPS)
    expect(result.report.reason).toContain(
      'HTTPRoute shop/shop-web has no rule sending traffic to Service shop-web'
    )
    expect(writes()).toEqual([])
  })
})

describe('gateway: a route the Gateway refuses', () => {
  const REFUSAL: [string, string] = [
    'NotAllowedByListeners',
    'No listener of Gateway public allows this route'
  ]

  it('fails the step naming the Gateway, listener, reason and message, and takes the canary out', async () => {
    let refused = false
    const stop = shop.cluster.onRequest(record => {
      if (refused || record.resource !== 'httproutes' || record.verb !== 'patch') return
      refused = true
      shop.cluster.gateway?.refuse({ name: 'shop-web' }, ...REFUSAL)
    })
    const result = await shop.run('deploy', STEPS)
    stop()
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(
      'HTTPRoute shop/shop-web refused by Gateway shop/public listener http: Accepted False (NotAllowedByListeners): No listener of Gateway public allows this route'
    )
    expect(weights(liveRoute(shop))).toEqual(ORIGINAL)
    expect(get.service(shop, 'shop-canary')).toBeUndefined()
    expect(get.deployment(shop, 'shop-web-canary')).toBeUndefined()
    expect(shop.stableSpecs()).toBe(before)
  }, 30_000)

  it('refuses before writing anything when the Gateway refuses the route already', async () => {
    shop.cluster.gateway?.refuse({ name: 'shop-web' }, ...REFUSAL)
    await shop.cluster.settle()
    shop.cluster.resetRequests()
    const result = await shop.run('deploy', STEPS)
    expect(result.report.reason).toContain(
      'refused by Gateway shop/public listener http: Accepted False (NotAllowedByListeners)'
    )
    expect(writes()).toEqual([])
  })

  it('times out naming what it waited for when no controller reports on the route', async () => {
    await shop.stop()
    shop = await startGatewayShop({ controller: false })
    const result = await shop.run('deploy', { ...GATEWAY, timeout: '10s' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(
      'timed out after 10 s waiting for HTTPRoute shop/shop-web generation 2 to be accepted; last seen: HTTPRoute shop/shop-web generation 2 not yet accepted: Gateway shop/public listener http: no status from its controller yet'
    )
    expect(weights(liveRoute(shop))).toEqual(ORIGINAL)
  }, 30_000)
})

describe('gateway: promote', () => {
  it('gives stable the new image, then takes the canary out of the route, then deletes it', async () => {
    expect((await shop.run('deploy', STEPS)).report.reason).toBeUndefined()
    shop.cluster.resetRequests()
    const result = await shop.run('promote', {
      ...STEPS,
      ...PROMOTE,
      digest: NEW_IMAGE.split('@')[1]
    })
    expect(result.report.reason).toBeUndefined()
    const done = writes()
    expect(at(done, 'patch deployments/shop-web')).toBeLessThan(
      at(done, 'patch httproutes/shop-web')
    )
    expect(at(done, 'patch httproutes/shop-web')).toBeLessThan(
      at(done, 'delete services/shop-canary')
    )
    expect(at(done, 'delete services/shop-canary')).toBeLessThan(
      at(done, 'delete deployments/shop-web-canary')
    )
    expect(get.deployment(shop, 'shop-web')?.spec?.template.spec?.containers[0].image).toBe(
      NEW_IMAGE
    )
    expect(liveRoute(shop).spec).toEqual(stored.spec)
    expect(liveRoute(shop).metadata?.annotations ?? {}).not.toHaveProperty(ANNOTATION_SOURCE)
    expect(get.service(shop, 'shop-canary')).toBeUndefined()
    expect(get.deployment(shop, 'shop-web-canary')).toBeUndefined()
  }, 30_000)
})

describe('gateway: the route in the manifests', () => {
  it('is left to its owner by promote: not applied over the canary, only the canary taken out', async () => {
    const inputs = { ...GATEWAY, manifests: 'examples/k8s-gateway' }
    expect((await shop.run('deploy', inputs)).report.reason).toBeUndefined()
    shop.cluster.resetRequests()
    const promoted = await shop.run('promote', {
      ...inputs,
      ...PROMOTE,
      digest: NEW_IMAGE.split('@')[1]
    })
    expect(promoted.report.reason).toBeUndefined()
    expect(
      shop.cluster
        .writes()
        .filter(w => w.resource === 'httproutes')
        .map(w => w.contentType)
    ).toEqual(['application/merge-patch+json'])
    expect(weights(liveRoute(shop))).toEqual(ORIGINAL)
  }, 30_000)
})

describe('gateway: rollback', () => {
  it('takes the canary out of the route first, then deletes its Service and Deployments', async () => {
    expect((await shop.run('deploy', STEPS)).report.reason).toBeUndefined()
    shop.cluster.resetRequests()
    const result = await shop.run('rollback', STEPS)
    expect(result.report.status).toBe('success')
    const done = writes()
    expect(at(done, 'patch httproutes/shop-web')).toBeLessThan(
      at(done, 'delete services/shop-canary')
    )
    expect(at(done, 'delete services/shop-canary')).toBeLessThan(
      at(done, 'delete deployments/shop-web-canary')
    )
    expect(liveRoute(shop).spec).toEqual(stored.spec)
    expect(liveRoute(shop).metadata?.annotations).toEqual(stored.metadata?.annotations)
    expect(get.deployment(shop, 'shop-web-canary')).toBeUndefined()
    expect(shop.stableSpecs()).toBe(before)
  }, 30_000)

  it('with nothing to roll back, leaves the route alone and says so', async () => {
    shop.cluster.resetRequests()
    const result = await shop.run('rollback', STEPS)
    expect(result.report.status).toBe('no-op')
    expect(writes().filter(w => w.includes('httproutes'))).toEqual([])
  })
})

describe('gateway: a route owned in part by others', () => {
  /** The managers of the route and the fields each owns, spec.rules aside. */
  const ownership = () =>
    Object.fromEntries(
      (liveRoute(shop).metadata?.managedFields ?? [])
        .filter(entry => entry.manager !== 'gateway-controller')
        .map(entry => {
          const fields = structuredClone(entry.fieldsV1) as { 'f:spec'?: Record<string, unknown> }
          delete fields['f:spec']?.['f:rules']
          return [entry.manager, JSON.stringify(fields)]
        })
    )

  it('keeps their fields and their ownership through deploy and promote; their re-apply needs no force', async () => {
    const bot = await applyAs(shop, 'platform-bot', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: {
        name: 'shop-web',
        annotations: { 'platform.example.com/tier': 'gold' },
        labels: { 'platform.example.com/team': 'shop' }
      }
    })
    expect(bot.status).toBe(200)
    const owners = ownership()
    const { metadata, spec } = liveRoute(shop)

    expect((await shop.run('deploy', STEPS)).report.reason).toBeUndefined()
    expect(liveRoute(shop).metadata?.labels).toEqual(metadata?.labels)
    expect(liveRoute(shop).spec?.parentRefs).toEqual(spec?.parentRefs)
    expect(ownership()['platform-bot']).toBe(owners['platform-bot'])
    expect(ownership().kubectl).toBe(owners.kubectl)

    const promoted = await shop.run('promote', {
      ...STEPS,
      ...PROMOTE,
      digest: NEW_IMAGE.split('@')[1]
    })
    expect(promoted.report.reason).toBeUndefined()
    expect(liveRoute(shop).spec).toEqual(spec)
    expect(liveRoute(shop).metadata?.annotations).toEqual(metadata?.annotations)
    expect(ownership()['platform-bot']).toBe(owners['platform-bot'])
    // spec.rules was last written by canary-deploy: their unchanged rules apply without a conflict.
    expect((await applyAs(shop, 'kubectl', userRoute())).status).toBe(200)
  }, 30_000)

  it('gives back weights a step had to divide exactly', async () => {
    const route = userRoute()
    route.spec!.rules![0].backendRefs = [
      { name: 'shop-web', port: 80, weight: 600_000 },
      { name: 'shop-legacy', port: 80, weight: 300_000 }
    ]
    await applyAs(shop, 'kubectl', route)
    shop.cluster.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shop-legacy', namespace: NAMESPACE },
      spec: { selector: { app: 'legacy' }, ports: [{ port: 80 }] }
    } as V1Service)
    await shop.cluster.settle()
    const { seen } = await weightsSeen(shop, () => shop.run('deploy', STEPS))
    expect(seen.at(-1)).toEqual(['shop-web=2 shop-canary=2 shop-legacy=2'])
    expect(liveRoute(shop).metadata?.annotations?.[ANNOTATION_ROUTE_WEIGHTS]).toBe(
      '{"0":[600000,300000]}'
    )
    await shop.run('rollback', STEPS)
    expect(weights(liveRoute(shop))).toEqual(['shop-web=600000 shop-legacy=300000'])
  }, 30_000)
})

describe('gateway: the header rule', () => {
  it('sends requests with the header to the canary at 0%, and the rest to stable', async () => {
    const result = await shop.run('deploy', HEADER)
    expect(result.report.reason).toBeUndefined()
    const rules = liveRoute(shop).spec?.rules ?? []
    expect(weights(liveRoute(shop))).toEqual([
      `${HEADER_RULE_PREFIX}0: shop-canary=1`,
      'shop-web=1'
    ])
    const backend = (headers: Record<string, string>) =>
      rules[winningRule(rules, { path: '/cart', headers }) ?? -1]?.backendRefs?.map(r => r.name)
    expect(backend({ 'X-Canary': 'always' })).toEqual(['shop-canary'])
    expect(backend({})).toEqual(['shop-web'])
    expect(result.report.facts).toContainEqual(['canary header', 'X-Canary: always'])
  }, 30_000)

  it('is taken out on rollback, and a rule of the user to the canary Service stays', async () => {
    const route = userRoute()
    const preview = {
      matches: [{ path: { type: 'PathPrefix', value: '/preview' } }],
      backendRefs: [{ name: 'shop-canary', port: 80 }]
    }
    route.spec!.rules = [preview, ...(route.spec?.rules ?? [])]
    await applyAs(shop, 'kubectl', route)
    await shop.cluster.settle()
    const userRules = liveRoute(shop).spec?.rules
    expect((await shop.run('deploy', HEADER)).report.reason).toBeUndefined()
    await shop.run('rollback', HEADER)
    expect(liveRoute(shop).spec?.rules).toEqual(userRules)
  }, 30_000)
})

describe('gateway: diff', () => {
  it('shows the route as deploy leaves it, and writes nothing', async () => {
    shop.cluster.resetRequests()
    const result = await shop.run('diff', { ...STEPS, comment: 'false' })
    expect(result.report.reason).toBeUndefined()
    expect(shop.cluster.writes()).toEqual([])
    const section = result.report.sections.find(s => s.title.startsWith('HTTPRoute shop/shop-web'))
    expect(section?.title).toBe('HTTPRoute shop/shop-web: changed')
    expect(section?.body).toContain('shown as deploy leaves it; promote puts it back as it was')
    expect(section?.body).toContain(
      "Deploy patches it (10% of shop-web's traffic); deploy patches it (50% of shop-web's traffic); promote patches it (canary backendRef removed)."
    )
    expect(section?.body).toMatch(/\+\s+name: shop-canary/)
    expect(section?.body).toMatch(/\+\s+weight: 1\n/)
    expect(result.report.sections.map(s => s.title)).toContain('Service shop/shop-canary: created')
  }, 30_000)
})
