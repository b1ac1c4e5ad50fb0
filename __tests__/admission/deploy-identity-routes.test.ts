/**
 * The user's HTTPRoute under canary-deploy-cannot-promote, for the deploy identity: the gateway
 * strategy's own patches (src/release/routers/gateway) pass; anything that would send traffic
 * elsewhere than the backends the route had and canary Services, change where the route attaches or
 * which hosts it serves, or add a filter, is refused.
 */
import type { HTTPRoute, HTTPRouteRule } from '../../src/release/routers/gateway/http-route.js'
import { canaryPatch, revertPatch } from '../../src/release/routers/gateway/route-write.js'
import { mergePatch } from '../harness/patch.js'
import { backend, route, rule, SERVICES, stable } from '../gateway/fixtures.js'
import { asDeployer, json, refusal, request, type Json } from './fixtures.js'

const SOURCE = 'acme/shop@abcdef123456 run:42'
const HEADER = { name: 'X-Canary', value: 'always' }

/**
 * The user's route, as read: a rule with a rule-level filter, one whose stable backendRef has a
 * filter of its own (the canary's copy keeps it), and one shared with another backend.
 */
function userRoute(): HTTPRoute {
  const rewrite = { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch' } } }
  const tagged = {
    type: 'RequestHeaderModifier',
    requestHeaderModifier: { add: [{ name: 'x-backend', value: 'web' }] }
  }
  return route([
    rule([stable()], { name: 'v1', matches: [{ path: { type: 'PathPrefix', value: '/v1' } }] }),
    rule([stable(1, { filters: [tagged] })], {
      matches: [{ path: { type: 'Exact', value: '/old' } }],
      filters: [rewrite]
    }),
    rule([stable(3), backend('legacy', 1)])
  ])
}

/** The route after a merge patch, as the API server would store it. */
const patched = (before: HTTPRoute, body: unknown): Json =>
  mergePatch(json(before), json(body)) as Json

const update = (before: HTTPRoute | Json, after: Json) =>
  asDeployer(request('UPDATE', 'httproutes', { old: json(before), new: after }))

/** The route with its rules replaced, everything else as it was. */
function withRules(before: HTTPRoute, rules: HTTPRouteRule[]): Json {
  return patched(before, { spec: { rules } })
}

describe('the gateway strategy’s patches of the route', () => {
  it('puts the canary beside stable at a step', () => {
    const patch = canaryPatch(userRoute(), SERVICES, { percent: 10 }, SOURCE)
    expect(update(userRoute(), patched(userRoute(), patch)).allowed).toBe(true)
  })

  it('adds the canary-header rule', () => {
    const patch = canaryPatch(userRoute(), SERVICES, { percent: 0, header: HEADER }, SOURCE)
    expect(update(userRoute(), patched(userRoute(), patch)).allowed).toBe(true)
  })

  it('moves the canary on to the next step', () => {
    const step = { percent: 10, header: HEADER }
    const at10 = patched(userRoute(), canaryPatch(userRoute(), SERVICES, step, SOURCE))
    const next = canaryPatch(
      at10 as unknown as HTTPRoute,
      SERVICES,
      { ...step, percent: 50 },
      SOURCE
    )
    expect(update(at10, patched(at10 as unknown as HTTPRoute, next)).allowed).toBe(true)
  })

  it('takes the canary out again', () => {
    const step = { percent: 25, header: HEADER }
    const at25 = patched(userRoute(), canaryPatch(userRoute(), SERVICES, step, SOURCE))
    const revert = revertPatch(at25 as unknown as HTTPRoute, SERVICES) ?? {}
    expect(update(at25, patched(at25 as unknown as HTTPRoute, revert)).allowed).toBe(true)
  })
})

describe('the deploy identity may not, in the route', () => {
  it('send traffic to a Service that is not a canary', () => {
    const rules = userRoute().spec!.rules!.map(r => ({ ...r, backendRefs: [backend('admin')] }))
    expect(refusal(update(userRoute(), withRules(userRoute(), rules)))).toMatch(
      /^403 .*every backendRef is one the route had \(its weight aside\) or that one renamed to a Service <name>-canary/
    )
  })

  it('point a canary-named backendRef at something other than a Service', () => {
    const rules = userRoute().spec!.rules!.map(r => ({
      ...r,
      backendRefs: [...(r.backendRefs ?? []), backend('shop-canary', 1, { kind: 'ServiceImport' })]
    }))
    expect(refusal(update(userRoute(), withRules(userRoute(), rules)))).toMatch(/^403 /)
  })

  it('change the Gateways it attaches to', () => {
    const after = patched(userRoute(), {
      spec: { parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'other' }] }
    })
    expect(refusal(update(userRoute(), after))).toMatch(
      /^403 .*changes only spec\.rules of an HTTPRoute/
    )
  })

  it('change the hostnames it serves', () => {
    const after = patched(userRoute(), { spec: { hostnames: ['login.example.com'] } })
    expect(refusal(update(userRoute(), after))).toMatch(/^403 /)
  })

  it('add a filter, such as a redirect', () => {
    const redirect = {
      type: 'RequestRedirect',
      requestRedirect: { hostname: 'evil.example.net', statusCode: 302 }
    }
    const rules = userRoute().spec!.rules!.map(r => ({ ...r, filters: [redirect] }))
    expect(refusal(update(userRoute(), withRules(userRoute(), rules)))).toMatch(
      /^403 .*every rule is one the route had/
    )
  })

  it('add a rule of its own that sends to a stable backend', () => {
    const own = rule([stable()], { matches: [{ path: { type: 'PathPrefix', value: '/admin' } }] })
    const rules = [own, ...userRoute().spec!.rules!]
    expect(refusal(update(userRoute(), withRules(userRoute(), rules)))).toMatch(/^403 /)
  })

  it.each([
    ['create', 'CREATE' as const, { new: json(userRoute()) }],
    ['delete', 'DELETE' as const, { old: json(userRoute()) }]
  ])('%s an HTTPRoute', (_verb, operation, change) => {
    expect(refusal(asDeployer(request(operation, 'httproutes', change)))).toMatch(
      /^403 .*only patches an existing HTTPRoute/
    )
  })
})
