/**
 * promote and rollback take the canary out of the user's HTTPRoute, then wait until every parent
 * Gateway accepts the route without it (Accepted and ResolvedRefs True for that generation) before
 * the canary Service and Deployment go: until the Gateway has taken the withdrawal, it still sends
 * the canary its share. On the test cluster with the official Gateway API CRDs, its gateway
 * controller held (a real one writes status asynchronously) or refusing.
 */
import type { HTTPRoute } from '../../src/release/routers/gateway/http-route.js'
import type { Shop } from '../commands/fixture.js'
import { NEW_IMAGE } from '../commands/fixture.js'
import { get, PROMOTE } from '../commands/strategies-fixture.js'
import { GATEWAY, liveRoute, startGatewayShop, weights } from './shop.js'

const INPUTS = { ...GATEWAY, 'canary-weight': '20' }
const PROMOTING = { ...INPUTS, ...PROMOTE, digest: NEW_IMAGE.split('@')[1] }
const ORIGINAL = ['shop-web=1']
const ROUTE = { name: 'shop-web' }
const REFUSAL: [string, string] = [
  'NotAllowedByListeners',
  'No listener of Gateway public allows this route'
]
const REFUSED =
  'HTTPRoute shop/shop-web refused by Gateway shop/public listener http: Accepted False (NotAllowedByListeners): No listener of Gateway public allows this route'
const KEPT =
  'so Service shop/shop-canary and the canary Deployments are kept: fix what the Gateway reports (or let it catch up), then run rollback to remove them'

/** The route's generation, its weights, and its status conditions as `type=status@generation`. */
function standing(route: HTTPRoute) {
  return {
    generation: route.metadata?.generation,
    weights: weights(route),
    conditions: (route.status?.parents ?? []).flatMap(parent =>
      (parent.conditions ?? []).map(c => `${c.type}=${c.status}@${c.observedGeneration}`)
    )
  }
}

/** What a withdrawal looked like from the cluster while a command ran. */
interface Seen {
  /** When the command began waiting on the route (its watch): the canary Service was there. */
  serviceWhileHeld?: boolean
  /** The route when the canary Service's delete came in. */
  atDelete?: ReturnType<typeof standing>
}

/**
 * Runs `run` with the gateway controller held from the route's withdrawal patch until the command
 * watches the route: no status for the new generation until then, as from a busy controller.
 */
async function withHeldController<T>(run: () => Promise<T>): Promise<{ result: T; seen: Seen }> {
  const seen: Seen = {}
  let held = false
  const stop = shop.cluster.onRequest(record => {
    if (record.resource === 'httproutes' && record.verb === 'patch' && !held) {
      held = true
      shop.cluster.gateway?.hold(ROUTE)
    } else if (held && record.resource === 'httproutes' && record.verb === 'watch') {
      seen.serviceWhileHeld ??= get.service(shop, 'shop-canary') !== undefined
      shop.cluster.gateway?.release(ROUTE)
    } else if (
      record.verb === 'delete' &&
      record.resource === 'services' &&
      record.name === 'shop-canary'
    ) {
      seen.atDelete = standing(liveRoute(shop))
    }
  })
  try {
    return { result: await run(), seen }
  } finally {
    stop()
    shop.cluster.gateway?.release(ROUTE)
  }
}

/** The route's status names this generation, Accepted and ResolvedRefs, and nothing older. */
const acceptedAt = (generation: number | undefined) => [
  `Accepted=True@${generation}`,
  `ResolvedRefs=True@${generation}`
]

/** `command`, run while the Gateway refuses the route from its next patch (the withdrawal) on. */
async function runRefused(command: string, inputs: Record<string, string>) {
  const stop = shop.cluster.onRequest(record => {
    if (record.resource === 'httproutes' && record.verb === 'patch')
      shop.cluster.gateway?.refuse(ROUTE, ...REFUSAL)
  })
  try {
    return await shop.run(command, inputs)
  } finally {
    stop()
  }
}

/** The Gateway accepts the route again, and its status says so. */
async function acceptAgain(): Promise<void> {
  shop.cluster.gateway?.accept(ROUTE)
  await shop.cluster.settle()
}

/** Whether the canary Service and Deployment are still there, each. */
const canary = () => [
  get.service(shop, 'shop-canary') !== undefined,
  get.deployment(shop, 'shop-web-canary') !== undefined
]
const KEPT_BOTH = [true, true]
const GONE = [false, false]

let shop: Shop
let before: string
beforeEach(async () => {
  shop = await startGatewayShop()
  before = shop.stableSpecs()
  expect((await shop.run('deploy', INPUTS)).report.reason).toBeUndefined()
}, 30_000)
afterEach(() => shop.stop())

describe('gateway: promote withdraws the canary, then waits for the Gateway', () => {
  it('deletes the canary Service only once the Gateway accepts the route without it', async () => {
    const { result, seen } = await withHeldController(() => shop.run('promote', PROMOTING))
    expect(result.report.reason).toBeUndefined()
    expect(seen.serviceWhileHeld).toBe(true)
    expect(seen.atDelete?.weights).toEqual(ORIGINAL)
    expect(seen.atDelete?.conditions).toEqual(acceptedAt(seen.atDelete?.generation))
    expect(canary()).toEqual(GONE)
  }, 30_000)

  it('keeps the canary Service and Deployment when the Gateway refuses, saying stable is promoted and what to do', async () => {
    const result = await runRefused('promote', PROMOTING)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(
      `v2 is promoted, but its canary was not removed: ${REFUSED}`
    )
    expect(result.report.reason).toContain(KEPT)
    expect(get.deployment(shop, 'shop-web')?.spec?.template.spec?.containers[0].image).toBe(
      NEW_IMAGE
    )
    expect(weights(liveRoute(shop))).toEqual(ORIGINAL)
    expect(canary()).toEqual(KEPT_BOTH)
  }, 30_000)
})

describe('gateway: rollback withdraws the canary, then waits for the Gateway', () => {
  it('deletes the canary Service only once the Gateway accepts the route without it', async () => {
    const { result, seen } = await withHeldController(() => shop.run('rollback', INPUTS))
    expect(result.report.status).toBe('success')
    expect(seen.serviceWhileHeld).toBe(true)
    expect(seen.atDelete?.weights).toEqual(ORIGINAL)
    expect(seen.atDelete?.conditions).toEqual(acceptedAt(seen.atDelete?.generation))
    expect(canary()).toEqual(GONE)
    expect(shop.stableSpecs()).toBe(before)
  }, 30_000)

  it('keeps the canary Service and Deployment when the Gateway refuses, naming the Gateway and reason', async () => {
    const result = await runRefused('rollback', INPUTS)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(`${REFUSED}; until the Gateway accepts the route`)
    expect(result.report.reason).toContain(KEPT)
    expect(weights(liveRoute(shop))).toEqual(ORIGINAL)
    expect(canary()).toEqual(KEPT_BOTH)
    expect(shop.stableSpecs()).toBe(before)
  }, 30_000)

  it('run again, keeps the canary while the Gateway still refuses the withdrawn route', async () => {
    await runRefused('rollback', INPUTS)
    shop.cluster.resetRequests()
    const again = await shop.run('rollback', INPUTS)
    expect(again.report.status).toBe('failure')
    expect(again.report.reason).toContain(REFUSED)
    const deletes = shop.cluster
      .writes()
      .filter(w => w.verb === 'delete' && w.resource !== 'leases')
    expect(deletes).toEqual([])
    expect(canary()).toEqual(KEPT_BOTH)
  }, 30_000)

  const stableImage = () =>
    get.deployment(shop, 'shop-web')?.spec?.template.spec?.containers[0].image
  it.each([
    ['rollback', INPUTS, () => expect(shop.stableSpecs()).toBe(before)],
    ['promote', PROMOTING, () => expect(stableImage()).toBe(NEW_IMAGE)]
  ])(
    'after a %s that kept its canary, removes it once the Gateway accepts the withdrawn route',
    async (command, inputs, stableAsLeft) => {
      await runRefused(command, inputs)
      await acceptAgain()
      const again = await shop.run('rollback', INPUTS)
      expect(again.report.status).toBe('success')
      expect(canary()).toEqual(GONE)
      stableAsLeft()
    },
    30_000
  )

  it('gives up at the timeout, saying which generation it waited for, and keeps the canary', async () => {
    shop.cluster.onRequest(record => {
      if (record.resource === 'httproutes' && record.verb === 'patch')
        shop.cluster.gateway?.hold(ROUTE)
    })
    const result = await shop.run('rollback', { ...INPUTS, timeout: '10s' })
    const generation = liveRoute(shop).metadata?.generation ?? 0
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(
      `timed out after 10 s waiting for HTTPRoute shop/shop-web generation ${generation} to be accepted; last seen: HTTPRoute shop/shop-web generation ${generation} not yet accepted: Gateway shop/public listener http: Accepted is for generation ${generation - 1}, waiting for ${generation}`
    )
    expect(result.report.reason).toContain(KEPT)
    expect(canary()).toEqual(KEPT_BOTH)
  }, 30_000)

  it('stops waiting when cancelled, and keeps the canary', async () => {
    const cancel = new AbortController()
    shop.cluster.onRequest(record => {
      if (record.resource === 'httproutes' && record.verb === 'patch')
        shop.cluster.gateway?.hold(ROUTE)
      if (record.resource === 'httproutes' && record.verb === 'watch') cancel.abort()
    })
    const result = await shop.run('rollback', INPUTS, {}, { signal: cancel.signal })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(/^cancelled: stopped waiting for HTTPRoute shop\/shop-web/)
    expect(canary()).toEqual(KEPT_BOTH)
  }, 30_000)
})

describe.each([
  ['promote', PROMOTING],
  ['rollback', INPUTS]
])('gateway: %s without the route deploy put the canary in', (command, inputs) => {
  it('is refused before any write, naming the route that still sends the canary traffic', async () => {
    shop.cluster.resetRequests()
    // The route input left out: it defaults to the app's name, `shop`, which no route has.
    const { route: _route, ...withoutRoute } = inputs as Record<string, string>
    const result = await shop.run(command, withoutRoute)
    expect(result.report.status).not.toBe('success')
    expect(result.report.reason).toContain(
      'Service shop/shop-canary is a backend of HTTPRoute shop/shop-web, which `route` (shop) does not name'
    )
    expect(result.report.reason).toContain('run again with route: shop-web')
    expect(shop.cluster.writes().filter(w => w.resource !== 'leases')).toEqual([])
    expect(weights(liveRoute(shop))).toEqual(['shop-web=4 shop-canary=1'])
    expect(canary()).toEqual(KEPT_BOTH)
    expect(shop.stableSpecs()).toBe(before)
  }, 30_000)
})
