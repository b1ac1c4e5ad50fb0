import {
  routeHasCanary,
  rulesWithCanary,
  rulesWithoutCanary
} from '../../src/release/routers/gateway/canary-rules.js'
import {
  RouteError,
  type HTTPRoute,
  type HTTPRouteRule
} from '../../src/release/routers/gateway/http-route.js'
import { crdSchema, schemaAt, schemaErrors } from './crd-schema.js'
import { backend, canary, route, rule, SERVICES, stable } from './fixtures.js'
import { winningRule } from './precedence.js'

const HEADER = { name: 'X-Canary', value: 'always' }

/** The shop route: `/api` to the stable Service, `/static` to a bucket proxy, the rest to stable. */
function shop(): HTTPRoute {
  return route([
    rule([stable()], {
      name: 'api',
      matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
      filters: [
        {
          type: 'URLRewrite',
          urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } }
        }
      ],
      timeouts: { request: '10s' }
    }),
    rule([backend('static-proxy', 1)], {
      matches: [{ path: { type: 'PathPrefix', value: '/static' } }]
    }),
    rule([stable()])
  ])
}

const at = (r: HTTPRoute, rules: HTTPRouteRule[]): HTTPRoute => ({
  ...r,
  spec: { ...r.spec, rules }
})

describe('rulesWithCanary: weights', () => {
  it('adds the canary beside the stable Service in every rule that sends it traffic', () => {
    const rules = rulesWithCanary(shop(), SERVICES, { percent: 10 })

    expect(rules.map(r => r.backendRefs)).toEqual([
      [stable(9), canary(1)],
      [backend('static-proxy', 1)],
      [stable(9), canary(1)]
    ])
  })

  it('leaves rules that do not send the stable Service traffic exactly as they were', () => {
    expect(rulesWithCanary(shop(), SERVICES, { percent: 50 })[1]).toEqual(shop().spec?.rules?.[1])
  })

  it("keeps every other field of the user's rules: names, matches, filters, timeouts, fields it does not know", () => {
    const user = shop()
    const first = { ...(user.spec?.rules?.[0] as HTTPRouteRule), futureField: { kept: true } }
    const rules = rulesWithCanary(at(user, [first]), SERVICES, { percent: 25 })

    const { backendRefs: _changed, ...rest } = rules[0]
    const { backendRefs: _before, ...expected } = first
    expect(rest).toEqual(expected)
  })

  it("computes each step from the user's weights, not from the previous step's", () => {
    const user = shop()
    const at10 = at(user, rulesWithCanary(user, SERVICES, { percent: 10 }))

    expect(rulesWithCanary(at10, SERVICES, { percent: 50 })).toEqual(
      rulesWithCanary(user, SERVICES, { percent: 50 })
    )
  })

  it('refuses a route with no rule sending traffic to the stable Service, naming route and Service', () => {
    const other = route([rule([backend('shop-api', 1)]), rule([stable(0), backend('legacy', 1)])])

    expect(() => rulesWithCanary(other, SERVICES, { percent: 10 })).toThrow(RouteError)
    expect(() => rulesWithCanary(other, SERVICES, { percent: 10 })).toThrow(
      /^HTTPRoute shop\/shop-web has no rule sending traffic to Service shop-web/
    )
  })

  it('treats a backendRef to a Service of the same name in another namespace as not stable', () => {
    const elsewhere = route([rule([stable(1, { namespace: 'other' })])])
    expect(() => rulesWithCanary(elsewhere, SERVICES, { percent: 10 })).toThrow(
      /has no rule sending/
    )
  })
})

describe('rulesWithCanary: the header rule', () => {
  it('puts one header rule per stable rule first, with its matches plus the header, all to the canary', () => {
    const rules = rulesWithCanary(shop(), SERVICES, { percent: 10, header: HEADER })

    expect(rules).toHaveLength(5)
    expect(rules[0]).toEqual({
      matches: [
        { path: { type: 'PathPrefix', value: '/api' }, headers: [{ type: 'Exact', ...HEADER }] }
      ],
      filters: shop().spec?.rules?.[0].filters,
      timeouts: { request: '10s' },
      backendRefs: [canary(1)]
    })
    expect(rules[1]).toEqual({
      matches: [
        { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', ...HEADER }] }
      ],
      backendRefs: [canary(1)]
    })
  })

  it('sends requests with the header to the canary and the rest as before, by Gateway API precedence', () => {
    const rules = rulesWithCanary(shop(), SERVICES, { percent: 0, header: HEADER })
    const backendOf = (path: string, headers?: Record<string, string>) => {
      const index = winningRule(rules, { path, headers })
      return index === undefined ? undefined : rules[index].backendRefs?.map(r => r.name)
    }

    expect(backendOf('/api/orders', { 'x-canary': 'always' })).toEqual(['shop-canary'])
    expect(backendOf('/', { 'X-Canary': 'always' })).toEqual(['shop-canary'])
    expect(backendOf('/api/orders')).toEqual(['shop-web'])
    expect(backendOf('/api/orders', { 'X-Canary': 'never' })).toEqual(['shop-web'])
    // A longer path to another backend still wins: the header only reaches what stable served.
    expect(backendOf('/static/logo.png', { 'X-Canary': 'always' })).toEqual(['static-proxy'])
  })

  it('wins a tie with a user rule of the same rank, being first in the list', () => {
    const user = route([
      rule([backend('beta', 1)], {
        matches: [
          {
            path: { type: 'PathPrefix', value: '/' },
            headers: [{ type: 'Exact', name: 'X-Beta', value: '1' }]
          }
        ]
      }),
      rule([stable()])
    ])
    const rules = rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER })
    const index = winningRule(rules, {
      path: '/',
      headers: { 'X-Beta': '1', 'X-Canary': 'always' }
    })

    expect(index === undefined ? undefined : rules[index].backendRefs).toEqual([canary(1)])
  })

  it("at 0% adds the header rule only: the weighted rules keep the user's backends", () => {
    const rules = rulesWithCanary(shop(), SERVICES, { percent: 0, header: HEADER })
    expect(rules.slice(2)).toEqual(shop().spec?.rules)
  })

  it('gives a header rule no name (rule names are unique in a route)', () => {
    const rules = rulesWithCanary(shop(), SERVICES, { percent: 10, header: HEADER })
    expect(rules[0]).not.toHaveProperty('name')
    expect(rules[2].name).toBe('api')
  })

  it("adds the header to each of a rule's matches, keeping their method and query params", () => {
    const user = route([
      rule([stable()], {
        matches: [
          { path: { type: 'Exact', value: '/login' }, method: 'POST' },
          {
            path: { type: 'PathPrefix', value: '/' },
            queryParams: [{ type: 'Exact', name: 'v', value: '2' }]
          }
        ]
      })
    ])
    const [header] = rulesWithCanary(user, SERVICES, { percent: 5, header: HEADER })

    expect(header.matches).toEqual([
      {
        path: { type: 'Exact', value: '/login' },
        method: 'POST',
        headers: [{ type: 'Exact', ...HEADER }]
      },
      {
        path: { type: 'PathPrefix', value: '/' },
        queryParams: [{ type: 'Exact', name: 'v', value: '2' }],
        headers: [{ type: 'Exact', ...HEADER }]
      }
    ])
  })

  it('replaces the header rule of an earlier run when the header changes', () => {
    const user = shop()
    const before = at(user, rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER }))
    const other = { name: 'X-Beta', value: '1' }

    expect(rulesWithCanary(before, SERVICES, { percent: 10, header: other })).toEqual(
      rulesWithCanary(user, SERVICES, { percent: 10, header: other })
    )
  })

  it('refuses a header the stable rule already matches on, in any letter case', () => {
    const user = route([
      rule([stable()], {
        matches: [
          {
            path: { type: 'PathPrefix', value: '/' },
            headers: [{ type: 'Exact', name: 'x-canary', value: 'no' }]
          }
        ]
      })
    ])
    expect(() => rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER })).toThrow(
      /spec\.rules\[0\]\.matches\[0\] already matches header x-canary.*choose another canary-header name/
    )
  })

  it('refuses a header rule when the route would pass 16 rules', () => {
    const user = route(
      Array.from({ length: 9 }, (_, i) =>
        rule([stable()], { matches: [{ path: { type: 'PathPrefix', value: `/p${i}` } }] })
      )
    )
    expect(() => rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER })).toThrow(
      /make 18 rules, more than the 16 the API allows/
    )
  })

  it('refuses a header rule when the route would pass 128 matches', () => {
    const many = Array.from({ length: 64 }, (_, i) => ({
      path: { type: 'PathPrefix', value: `/p${i}` }
    }))
    const user = route([
      rule([stable()], { matches: many }),
      rule([backend('legacy')], { matches: many.slice(0, 1) })
    ])
    expect(() => rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER })).toThrow(
      /129 matches, more than the 128/
    )
  })

  it('refuses a header rule when a match already has 16 header matches', () => {
    const headers = Array.from({ length: 16 }, (_, i) => ({
      type: 'Exact',
      name: `h${i}`,
      value: 'v'
    }))
    const user = route([
      rule([stable()], { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers }] })
    ])
    expect(() => rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER })).toThrow(
      /has 16 header matches, the most the API allows/
    )
  })
})

describe('rulesWithoutCanary', () => {
  it("gives back the user's rules exactly, header rules and canary backends removed", () => {
    const user = shop()
    const withCanary = at(user, rulesWithCanary(user, SERVICES, { percent: 25, header: HEADER }))

    expect(rulesWithoutCanary(withCanary, SERVICES)).toEqual(user.spec?.rules)
  })

  it('leaves a route without a canary as it is', () => {
    expect(rulesWithoutCanary(shop(), SERVICES)).toEqual(shop().spec?.rules)
  })
})

describe('routeHasCanary', () => {
  it('sees a weighted canary and a header rule, and none once removed', () => {
    const user = shop()
    const weighted = at(user, rulesWithCanary(user, SERVICES, { percent: 10 }))
    const headerOnly = at(user, rulesWithCanary(user, SERVICES, { percent: 0, header: HEADER }))

    expect([weighted, headerOnly, user].map(r => routeHasCanary(r, SERVICES))).toEqual([
      true,
      true,
      false
    ])
    expect(routeHasCanary(at(user, rulesWithoutCanary(weighted, SERVICES)), SERVICES)).toBe(false)
  })
})

describe('the rules written fit the official HTTPRoute schema (v1.6.1)', () => {
  const rulesSchema = schemaAt(crdSchema('httproutes'), 'spec', 'rules')

  it('catches what the API server would refuse or prune (the check is not empty)', () => {
    const bad = [{ ...rule([stable(1_000_001)]), surprise: true }]
    expect(schemaErrors(rulesSchema, bad, '.spec.rules')).toEqual([
      '.spec.rules[0].backendRefs[0].weight: 1000001 > 1000000',
      '.spec.rules[0].surprise: unknown field (the API server would prune it)'
    ])
  })

  it.each([
    ['a 10% step', { percent: 10 }],
    ['a 100% step', { percent: 100 }],
    ['a header rule at 0%', { percent: 0, header: HEADER }],
    ['a 33% step with a header rule', { percent: 33, header: HEADER }]
  ])('%s', (_name, step) => {
    expect(
      schemaErrors(rulesSchema, rulesWithCanary(shop(), SERVICES, step), '.spec.rules')
    ).toEqual([])
  })
})
