import {
  routeHasCanary,
  rulesWithCanary as computeRules,
  rulesWithoutCanary,
  type CanaryStep
} from '../../src/release/routers/gateway/canary-rules.js'
import fc from 'fast-check'
import { ANNOTATION_ROUTE_WEIGHTS } from '../../src/k8s/labels.js'
import {
  RouteError,
  type BackendRef,
  type HTTPRoute,
  type HTTPRouteRule
} from '../../src/release/routers/gateway/http-route.js'
import { startSchemaCheck, type SchemaCheck } from './schema.js'
import { backend, canary, route, rule, SERVICES, stable } from './fixtures.js'
import { winningRule, type TestRequest } from './precedence.js'

const HEADER = { name: 'X-Canary', value: 'always' }

/** The rules at a step (what the route's patch carries in spec.rules). */
const rulesWithCanary = (r: HTTPRoute, services: typeof SERVICES, step: CanaryStep) =>
  computeRules(r, services, step).rules

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
      name: 'canary-deploy-header-0',
      matches: [
        { path: { type: 'PathPrefix', value: '/api' }, headers: [{ type: 'Exact', ...HEADER }] }
      ],
      filters: shop().spec?.rules?.[0].filters,
      timeouts: { request: '10s' },
      backendRefs: [canary(1)]
    })
    expect(rules[1]).toEqual({
      name: 'canary-deploy-header-1',
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

  it("at 0% adds the header rule only: the weighted rules keep the user's backends", () => {
    const rules = rulesWithCanary(shop(), SERVICES, { percent: 0, header: HEADER })
    expect(rules.slice(2)).toEqual(shop().spec?.rules)
  })

  it("names each header rule canary-deploy-header-<n>, and keeps the user's rule names", () => {
    const rules = rulesWithCanary(shop(), SERVICES, { percent: 10, header: HEADER })
    expect(rules.map(r => r.name)).toEqual([
      'canary-deploy-header-0',
      'canary-deploy-header-1',
      'api',
      undefined,
      undefined
    ])
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

describe('the header rule and Gateway API precedence', () => {
  /** `/` with these header matches (Exact), to `backends`. */
  const headerRule = (backends: BackendRef[], headers: Record<string, string>, extra = {}) =>
    rule(backends, {
      matches: [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: Object.entries(headers).map(([name, value]) => ({ type: 'Exact', name, value }))
        }
      ],
      ...extra
    })

  it('refuses a route where another rule has the same path and one header match more', () => {
    const user = route([headerRule([backend('beta')], { 'X-Beta': '1' }), rule([stable()])])
    expect(() => rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER })).toThrow(
      /^HTTPRoute shop\/shop-web spec\.rules\[0\]\.matches\[0\] would lose requests carrying X-Canary to the canary-header rule copied from spec\.rules\[1\]\.matches\[0\]: both PathPrefix \/, and it has one header match more than the copied match.*drop canary-header, or set spec\.rules\[0\] apart/
    )
  })

  it('refuses a route where another rule has the same path and headers and more query params', () => {
    const query = rule([backend('beta')], {
      matches: [
        {
          path: { type: 'PathPrefix', value: '/' },
          queryParams: [{ type: 'Exact', name: 'beta', value: '1' }]
        }
      ]
    })
    const user = route([rule([stable()]), query])
    expect(() => rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER })).toThrow(
      /spec\.rules\[1\]\.matches\[0\] would lose requests.*more query param matches/
    )
  })

  it('refuses a route where another rule of the same match comes before the stable one', () => {
    const user = route([rule([backend('maintenance')]), rule([stable()])])
    expect(() => rulesWithCanary(user, SERVICES, { percent: 10, header: HEADER })).toThrow(
      /spec\.rules\[0\]\.matches\[0\] would lose requests.*and it comes first/
    )
  })

  it('takes a route whose other rule can never match with the header (it wants another value)', () => {
    const beta = headerRule([backend('beta')], { 'X-Beta': '1', 'x-canary': 'never' })
    const rules = rulesWithCanary(route([beta, rule([stable()])]), SERVICES, {
      percent: 10,
      header: HEADER
    })
    expect(rules.map(r => r.name)).toEqual(['canary-deploy-header-0', undefined, undefined])
  })

  it('takes a route whose other rule outranks the header rule (two header matches more)', () => {
    const beta = headerRule([backend('beta')], { 'X-Beta': '1', 'X-Gamma': '1' })
    const rules = rulesWithCanary(route([beta, rule([stable()])]), SERVICES, {
      percent: 0,
      header: HEADER
    })
    const request = { path: '/', headers: { 'X-Beta': '1', 'X-Gamma': '1', 'X-Canary': 'always' } }
    expect(rules[winningRule(rules, request) ?? -1]?.backendRefs).toEqual([backend('beta')])
  })

  it("sends a request matching two stable rules to the header rule of the one that won, with that rule's filters", () => {
    const tagged = { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [] } }
    const user = route([
      headerRule([stable()], { 'X-Beta': '1' }, { filters: [tagged] }),
      rule([stable()])
    ])
    const rules = rulesWithCanary(user, SERVICES, { percent: 0, header: HEADER })
    const won =
      rules[
        winningRule(rules, { path: '/', headers: { 'X-Beta': '1', 'X-Canary': 'always' } }) ?? -1
      ]
    expect([won?.name, won?.filters]).toEqual(['canary-deploy-header-0', [tagged]])
  })

  describe('for any route it takes', () => {
    const PATHS = [
      { type: 'PathPrefix', value: '/' },
      { type: 'PathPrefix', value: '/api' },
      { type: 'Exact', value: '/api' }
    ]
    const HEADERS = [
      { type: 'Exact', name: 'X-Beta', value: '1' },
      { type: 'Exact', name: 'X-Gamma', value: '1' },
      { type: 'Exact', name: 'X-Canary', value: 'never' }
    ]
    const QUERY = { type: 'Exact', name: 'v', value: '2' }
    const match = fc.record({
      path: fc.constantFrom(...PATHS),
      method: fc.option(fc.constantFrom('GET', 'POST'), { nil: undefined }),
      headers: fc.subarray(HEADERS),
      query: fc.boolean()
    })
    const userRule = fc.record({
      matches: fc.array(match, { minLength: 1, maxLength: 2 }),
      to: fc.constantFrom('stable', 'beta', 'split')
    })
    const routes = fc.array(userRule, { minLength: 1, maxLength: 4 }).map(rules =>
      route(
        rules.map(r =>
          rule(
            r.to === 'stable'
              ? [stable()]
              : r.to === 'split'
                ? [stable(3), backend('legacy')]
                : [backend('beta')],
            {
              matches: r.matches.map(m => {
                // A stable rule matching on the canary header is refused outright: rarely drawn.
                const headers =
                  r.to === 'beta' ? m.headers : m.headers.filter(h => h.name !== 'X-Canary')
                return {
                  path: m.path,
                  ...(m.method ? { method: m.method } : {}),
                  ...(headers.length ? { headers } : {}),
                  ...(m.query ? { queryParams: [QUERY] } : {})
                }
              })
            }
          )
        )
      )
    )
    const request = fc.record({
      path: fc.constantFrom('/', '/api', '/api/x', '/other'),
      method: fc.constantFrom('GET', 'POST'),
      headers: fc.subarray(['X-Beta', 'X-Gamma']),
      never: fc.boolean(),
      query: fc.boolean()
    })

    it('sends a request with the header to the canary exactly where stable took it, and every other request where it went', () => {
      let taken = 0
      fc.assert(
        fc.property(routes, fc.array(request, { minLength: 1, maxLength: 8 }), (user, requests) => {
          let rules: HTTPRouteRule[]
          try {
            rules = rulesWithCanary(user, SERVICES, { percent: 0, header: HEADER })
          } catch (error) {
            if (error instanceof RouteError) return
            throw error
          }
          taken++
          const before = user.spec?.rules ?? []
          const stableRules = before.filter(r => r.backendRefs?.some(b => b.name === 'shop-web'))
          for (const r of requests) {
            const headers = Object.fromEntries(r.headers.map(h => [h, '1']))
            const plain: TestRequest = {
              path: r.path,
              method: r.method,
              headers: r.never ? { ...headers, 'X-Canary': 'never' } : headers,
              query: r.query ? { v: '2' } : undefined
            }
            const was = winningRule(before, plain)
            const wasRule = was === undefined ? undefined : before[was]
            const now = winningRule(rules, plain)
            expect(now === undefined ? undefined : rules[now]).toEqual(wasRule)
            const withHeader: TestRequest = {
              ...plain,
              headers: { ...headers, 'X-Canary': 'always' }
            }
            const wasWith = winningRule(before, withHeader)
            const nowWith = winningRule(rules, withHeader)
            const stableWon = wasWith !== undefined && stableRules.includes(before[wasWith])
            expect(nowWith === undefined ? undefined : rules[nowWith].name).toEqual(
              stableWon
                ? `canary-deploy-header-${stableRules.indexOf(before[wasWith as number])}`
                : wasWith === undefined
                  ? undefined
                  : before[wasWith].name
            )
          }
        }),
        { numRuns: 300 }
      )
      // Most routes are taken: the property is about them, not about refusals.
      expect(taken).toBeGreaterThan(150)
    })
  })
})

describe('what is ours in a route, and only that, is taken out', () => {
  it("keeps a user's own rule that sends everything to the canary Service", () => {
    const preview = rule([canary()], {
      matches: [{ path: { type: 'PathPrefix', value: '/preview' } }]
    })
    const user = route([preview, rule([stable()])])
    const withCanary = at(user, rulesWithCanary(user, SERVICES, { percent: 25, header: HEADER }))

    expect(rulesWithoutCanary(withCanary, SERVICES)).toEqual(user.spec?.rules)
    expect(routeHasCanary(user, SERVICES)).toBe(false)
  })

  it('takes out a header rule of ours by its name, whatever it sends where', () => {
    const user = route([rule([stable()])])
    const edited = rule([backend('beta')], { name: 'canary-deploy-header-0' })
    expect(rulesWithoutCanary(at(user, [edited, ...(user.spec?.rules ?? [])]), SERVICES)).toEqual(
      user.spec?.rules
    )
  })
})

describe('weights a step had to divide', () => {
  const big = () => route([rule([stable(600_000), backend('legacy', 300_000)])])

  it('are kept beside the rules while the canary is in the route', () => {
    expect(computeRules(big(), SERVICES, { percent: 10 })).toEqual({
      rules: [rule([stable(18), canary(2), backend('legacy', 10)])],
      kept: { '0': [600_000, 300_000] }
    })
  })

  it('come back exactly when the canary leaves, and each step starts from them', () => {
    const { rules, kept } = computeRules(big(), SERVICES, { percent: 10 })
    const during = at(big(), rules)
    during.metadata = {
      ...during.metadata,
      annotations: { [ANNOTATION_ROUTE_WEIGHTS]: JSON.stringify(kept) }
    }
    expect(rulesWithoutCanary(during, SERVICES)).toEqual(big().spec?.rules)
    expect(computeRules(during, SERVICES, { percent: 50 })).toEqual(
      computeRules(big(), SERVICES, { percent: 50 })
    )
  })
})

describe('the rules written fit the official HTTPRoute schema (v1.6.1), as the API server checks it', () => {
  let schema: SchemaCheck
  beforeAll(async () => {
    schema = await startSchemaCheck()
  })
  afterAll(() => schema.stop())

  /** The shop route with these rules, as a create would send it. */
  const creatable = (rules: HTTPRouteRule[]): HTTPRoute => {
    const { metadata, spec } = shop()
    return {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: metadata?.name, namespace: metadata?.namespace },
      spec: { ...spec, rules }
    }
  }

  it('is asked of the API server, which refuses a weight over the maximum', async () => {
    expect(await schema.refusal(creatable([rule([stable(1_000_001)])]))).toMatch(
      /^422 .*spec\.rules\[0\]\.backendRefs\[0\]\.weight: Invalid value: 1000001/
    )
  })

  it('is asked of the API server, which refuses a field it would prune', async () => {
    expect(await schema.refusal(creatable([{ ...rule([stable()]), surprise: true }]))).toMatch(
      /^400 .*unknown field "spec\.rules\[0\]\.surprise"/
    )
  })

  it.each([
    ['a 10% step', { percent: 10 }],
    ['a 100% step', { percent: 100 }],
    ['a header rule at 0%', { percent: 0, header: HEADER }],
    ['a 33% step with a header rule', { percent: 33, header: HEADER }]
  ])('%s', async (_name, step) => {
    expect(await schema.refusal(creatable(rulesWithCanary(shop(), SERVICES, step)))).toBe('')
  })
})
