/**
 * The route write: a merge patch of spec.rules with the read resourceVersion as precondition.
 * Ownership is checked with the test cluster's field-management model (server-side apply and
 * update tracking), the same code that answers the commands' writes.
 */
import { rulesWithCanary } from '../../src/release/routers/gateway/canary-rules.js'
import type { HTTPRoute } from '../../src/release/routers/gateway/http-route.js'
import { canaryPatch, revertPatch } from '../../src/release/routers/gateway/route-write.js'
import { ANNOTATION_ROUTE_WEIGHTS, ANNOTATION_SOURCE } from '../../src/k8s/labels.js'
import { fromFieldsV1, serverSideApply, trackUpdate } from '../harness/apply.js'
import { mergePatch } from '../harness/patch.js'
import type { ResourceType } from '../harness/resources.js'
import { StatusError } from '../harness/status.js'
import type { KObject } from '../harness/types.js'
import { backend, route, rule, SERVICES, stable } from './fixtures.js'

const SOURCE = 'acme/shop@abcdef123456 run:42'
const HEADER = { name: 'X-Canary', value: 'always' }

const HTTPROUTES: ResourceType = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  resource: 'httproutes',
  singular: 'httproute',
  kind: 'HTTPRoute',
  namespaced: true,
  subresources: ['status'],
  generation: true,
  statusSubresource: true,
  model: '',
  unconditionalUpdate: false
}

function userRoute(): HTTPRoute {
  return route([
    rule([stable()], {
      name: 'api',
      matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
      filters: [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { set: [{ name: 'x-tier', value: 'web' }] }
        }
      ]
    }),
    rule([stable(3), backend('legacy', 1)])
  ])
}

describe('canaryPatch and revertPatch', () => {
  it('carry spec.rules and our annotations, nothing else', () => {
    const patch = canaryPatch(userRoute(), SERVICES, { percent: 10, header: HEADER }, SOURCE)

    expect(patch).toEqual({
      metadata: {
        annotations: { [ANNOTATION_SOURCE]: SOURCE, [ANNOTATION_ROUTE_WEIGHTS]: null }
      },
      spec: {
        rules: rulesWithCanary(userRoute(), SERVICES, { percent: 10, header: HEADER }).rules
      }
    })
  })

  it('keep the weights a step had to divide on the route, and give them back exactly', () => {
    const big = route([rule([stable(600_000), backend('legacy', 300_000)])])
    const during = mergePatch(big, canaryPatch(big, SERVICES, { percent: 10 }, SOURCE)) as HTTPRoute

    expect(during.metadata?.annotations?.[ANNOTATION_ROUTE_WEIGHTS]).toBe('{"0":[600000,300000]}')
    const after = mergePatch(during, revertPatch(during, SERVICES) ?? {}) as HTTPRoute
    expect(after).toEqual(big)
  })

  it('revert sends the rules without the canary and deletes our annotations', () => {
    const live = mergePatch(
      userRoute(),
      canaryPatch(userRoute(), SERVICES, { percent: 50, header: HEADER }, SOURCE)
    ) as HTTPRoute

    expect(revertPatch(live, SERVICES)).toEqual({
      metadata: { annotations: { [ANNOTATION_SOURCE]: null } },
      spec: { rules: userRoute().spec?.rules }
    })
  })

  it('revert of a route holding nothing of ours writes nothing', () => {
    expect(revertPatch(userRoute(), SERVICES)).toBeUndefined()
  })

  it('does not share objects with the route it was computed from', () => {
    const read = userRoute()
    const patch = canaryPatch(read, SERVICES, { percent: 10 }, SOURCE)
    const [first] = patch.spec.rules[0].backendRefs ?? []
    first.weight = 99
    expect(read).toEqual(userRoute())
  })
})

describe('another field manager on the route', () => {
  /** The route as the API stores it after `kubectl apply --server-side` and a platform bot's apply. */
  function shared(): KObject {
    const user = userRoute() as unknown as KObject
    const applied = serverSideApply({
      live: undefined,
      applied: user,
      manager: 'kubectl',
      force: false,
      resource: HTTPROUTES
    })
    return serverSideApply({
      live: applied,
      applied: {
        apiVersion: user.apiVersion,
        kind: user.kind,
        metadata: {
          name: 'shop-web',
          namespace: 'shop',
          annotations: { 'platform.example.com/tier': 'gold' }
        }
      },
      manager: 'platform-bot',
      force: false,
      resource: HTTPROUTES
    })
  }

  /** What the API server does with our merge patch: apply it, record what changed under canary-deploy. */
  function write(live: KObject, body: object): KObject {
    const next = mergePatch(live, body as Record<string, unknown>) as KObject
    trackUpdate(live, next, 'canary-deploy', HTTPROUTES)
    return next
  }

  function owned(obj: KObject, manager: string): string[] {
    const entry = obj.metadata.managedFields?.find(e => e.manager === manager)
    return [...fromFieldsV1(entry?.fieldsV1)].map(p => p.replaceAll('\n', ' ')).sort()
  }

  it('keeps their fields and their ownership; only spec.rules and our annotation become ours', () => {
    const live = shared()
    const next = write(live, canaryPatch(live as HTTPRoute, SERVICES, { percent: 10 }, SOURCE))

    const { rules: _rules, ...spec } = next.spec as Record<string, unknown>
    const { rules: _before, ...specBefore } = live.spec as Record<string, unknown>
    expect(spec).toEqual(specBefore)
    expect(next.metadata.labels).toEqual(live.metadata.labels)
    expect(next.metadata.annotations).toEqual({
      ...live.metadata.annotations,
      [ANNOTATION_SOURCE]: SOURCE
    })
    expect(owned(next, 'canary-deploy')).toEqual([
      `f:metadata f:annotations f:${ANNOTATION_SOURCE}`,
      'f:spec f:rules'
    ])
    expect(owned(next, 'kubectl')).toEqual(
      owned(live, 'kubectl').filter(path => path !== 'f:spec f:rules')
    )
    expect(owned(next, 'platform-bot')).toEqual(owned(live, 'platform-bot'))
  })

  it('keeps the values of their fields inside the rules (filters, names, other backends)', () => {
    const live = shared()
    const next = write(
      live,
      canaryPatch(live as HTTPRoute, SERVICES, { percent: 25, header: HEADER }, SOURCE)
    )
    const rules = (next as HTTPRoute).spec?.rules ?? []
    const api = rules.find(r => r.name === 'api')

    expect(api?.filters).toEqual(userRoute().spec?.rules?.[0].filters)
    expect(rules.at(-1)?.backendRefs?.find(r => r.name === 'legacy')).toEqual(backend('legacy', 4))
  })

  it('after revert the route holds their rules again and no annotation of ours', () => {
    const live = shared()
    const during = write(
      live,
      canaryPatch(live as HTTPRoute, SERVICES, { percent: 50, header: HEADER }, SOURCE)
    )
    const after = write(during, revertPatch(during as HTTPRoute, SERVICES) ?? {})

    expect(after.spec).toEqual(live.spec)
    expect(after.metadata.annotations).toEqual(live.metadata.annotations)
  })

  it('a server-side apply of only the rules could not add the canary: spec.rules is one atomic field', () => {
    const live = shared()
    const apply = () =>
      serverSideApply({
        live,
        applied: {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'shop-web', namespace: 'shop' },
          spec: { rules: rulesWithCanary(live as HTTPRoute, SERVICES, { percent: 10 }).rules }
        },
        manager: 'canary-deploy',
        force: false,
        resource: HTTPROUTES
      })

    expect(apply).toThrow(StatusError)
    expect(apply).toThrow('Apply failed with 1 conflict: conflict with "kubectl": .spec.rules')
  })
})
