import type {
  HTTPRoute,
  ParentReference,
  RouteCondition,
  RouteParentStatus
} from '../../src/release/routers/gateway/http-route.js'
import { routeVerdict } from '../../src/release/routers/gateway/route-status.js'
import { startSchemaCheck } from './schema.js'
import { route, rule, stable } from './fixtures.js'

const GATEWAY: ParentReference = {
  group: 'gateway.networking.k8s.io',
  kind: 'Gateway',
  namespace: 'shop',
  name: 'public'
}
const CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller'

function condition(
  type: string,
  status: string,
  reason: string,
  observedGeneration = 3,
  message = ''
): RouteCondition {
  return {
    type,
    status,
    reason,
    message,
    observedGeneration,
    lastTransitionTime: '2026-05-01T10:00:00Z'
  }
}

const accepted = (generation = 3) => condition('Accepted', 'True', 'Accepted', generation)
const resolved = (generation = 3) => condition('ResolvedRefs', 'True', 'ResolvedRefs', generation)

function parent(
  conditions: RouteCondition[],
  parentRef: ParentReference = GATEWAY
): RouteParentStatus {
  return { parentRef, controllerName: CONTROLLER, conditions }
}

/** The shop route at generation 3 with this status, one parent (Gateway public) unless given. */
function withStatus(parents: RouteParentStatus[], parentRefs?: ParentReference[]): HTTPRoute {
  const r = route([rule([stable()])], parents)
  if (parentRefs && r.spec) r.spec.parentRefs = parentRefs
  return r
}

describe('routeVerdict', () => {
  it('is accepted when every parent has Accepted and ResolvedRefs True for our generation', () => {
    const verdict = routeVerdict(withStatus([parent([accepted(), resolved()])]))
    expect(verdict).toEqual({
      state: 'accepted',
      summary: 'HTTPRoute shop/shop-web generation 3 accepted by Gateway shop/public'
    })
  })

  it("matches status to spec.parentRefs with the API's defaults (group, kind, namespace)", () => {
    const verdict = routeVerdict(
      withStatus([parent([accepted(), resolved()])], [{ name: 'public' }])
    )
    expect(verdict.state).toBe('accepted')
  })

  it('waits while the conditions describe an older generation, saying which', () => {
    const verdict = routeVerdict(withStatus([parent([accepted(2), resolved(2)])]))
    expect(verdict).toMatchObject({
      state: 'pending',
      waitingFor: ['Gateway shop/public: Accepted is for generation 2, waiting for 3']
    })
  })

  it('counts conditions for a later generation than ours', () => {
    expect(routeVerdict(withStatus([parent([accepted(4), resolved(4)])]), 3).state).toBe('accepted')
  })

  it('waits for our write: the generation it produced, not the one read before it', () => {
    expect(routeVerdict(withStatus([parent([accepted(3), resolved(3)])]), 4)).toMatchObject({
      state: 'pending'
    })
  })

  it('waits while a parent has no status entry from its controller', () => {
    expect(routeVerdict(withStatus([]))).toMatchObject({
      state: 'pending',
      waitingFor: ['Gateway shop/public: no status from its controller yet']
    })
  })

  it('waits on Accepted Unknown with reason Pending (the controller has not reconciled yet)', () => {
    const verdict = routeVerdict(
      withStatus([
        parent([condition('Accepted', 'Unknown', 'Pending', 3, 'Waiting for controller')])
      ])
    )
    expect(verdict).toMatchObject({
      state: 'pending',
      waitingFor: ['Gateway shop/public: Accepted Unknown (Pending): Waiting for controller']
    })
  })

  it('is refused on Accepted False, naming the gateway and listener, reason and message', () => {
    const listener = { ...GATEWAY, sectionName: 'https' }
    const verdict = routeVerdict(
      withStatus(
        [
          parent(
            [
              condition(
                'Accepted',
                'False',
                'NotAllowedByListeners',
                3,
                'No listener allows routes from namespace shop'
              ),
              resolved()
            ],
            listener
          )
        ],
        [listener]
      )
    )
    expect(verdict).toEqual({
      state: 'refused',
      parent: 'Gateway shop/public listener https',
      condition: 'Accepted',
      reason: 'NotAllowedByListeners',
      message: 'No listener allows routes from namespace shop',
      summary:
        'HTTPRoute shop/shop-web refused by Gateway shop/public listener https: Accepted False (NotAllowedByListeners): No listener allows routes from namespace shop'
    })
  })

  it('is refused on ResolvedRefs False for a reason that does not heal (RefNotPermitted)', () => {
    const verdict = routeVerdict(
      withStatus([
        parent([
          accepted(),
          condition('ResolvedRefs', 'False', 'RefNotPermitted', 3, 'no ReferenceGrant')
        ])
      ])
    )
    expect(verdict).toMatchObject({
      state: 'refused',
      condition: 'ResolvedRefs',
      reason: 'RefNotPermitted'
    })
  })

  it('waits on ResolvedRefs False BackendNotFound: the controller re-checks once it sees the Service', () => {
    const verdict = routeVerdict(
      withStatus([
        parent([
          accepted(),
          condition(
            'ResolvedRefs',
            'False',
            'BackendNotFound',
            3,
            'service shop/shop-canary not found'
          )
        ])
      ])
    )
    expect(verdict).toMatchObject({
      state: 'pending',
      waitingFor: [
        'Gateway shop/public: ResolvedRefs False (BackendNotFound): service shop/shop-canary not found; waiting for its controller to see the Service'
      ]
    })
  })

  it('is refused when the controller dropped rules or fell back (PartiallyInvalid True)', () => {
    const verdict = routeVerdict(
      withStatus([
        parent([
          accepted(2),
          resolved(2),
          condition(
            'PartiallyInvalid',
            'True',
            'UnsupportedValue',
            3,
            'Fall Back: header match not supported'
          )
        ])
      ])
    )
    expect(verdict).toMatchObject({ state: 'refused', condition: 'PartiallyInvalid' })
  })

  it('ignores a refusal about an older generation (ours may have fixed it)', () => {
    const verdict = routeVerdict(
      withStatus([parent([condition('Accepted', 'False', 'NoMatchingParent', 2), resolved(2)])])
    )
    expect(verdict.state).toBe('pending')
  })

  it('waits for every parent, naming the ones not yet accepted', () => {
    const internal: ParentReference = { ...GATEWAY, name: 'internal' }
    const verdict = routeVerdict(
      withStatus(
        [parent([accepted(), resolved()]), parent([accepted(2)], internal)],
        [GATEWAY, internal]
      )
    )
    expect(verdict).toMatchObject({
      state: 'pending',
      waitingFor: ['Gateway shop/internal: Accepted is for generation 2, waiting for 3']
    })
  })

  it('is refused for a route with no parentRefs: nothing would ever accept it', () => {
    expect(routeVerdict(withStatus([], []))).toMatchObject({
      state: 'refused',
      reason: 'NoParentRefs'
    })
  })

  it('is tested with status shaped as the official schema defines it, as the API server checks it', async () => {
    const schema = await startSchemaCheck()
    try {
      const { metadata, ...rest } = route([rule([stable()])])
      const creatable = {
        ...rest,
        metadata: { name: metadata?.name, namespace: metadata?.namespace }
      }
      const status = { parents: [parent([accepted(1), resolved(1)])] }
      expect(await schema.statusRefusal(creatable, status)).toBe('')
      // The check is not empty: a condition without its reason is refused.
      const { reason: _reason, ...noReason } = accepted(1)
      expect(
        await schema.statusRefusal(creatable, { parents: [parent([noReason as RouteCondition])] })
      ).toMatch(/^422 .*reason: Required value/)
    } finally {
      await schema.stop()
    }
  })
})
