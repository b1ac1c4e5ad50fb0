/** The example app's HTTPRoute as the API server returns it (defaults filled in), to build tests on. */
import type {
  BackendRef,
  HTTPRoute,
  HTTPRouteRule,
  RouteParentStatus
} from '../../src/release/routers/gateway/http-route.js'
import type { SplitServices } from '../../src/release/routers/gateway/weights.js'

export const SERVICES: SplitServices = {
  namespace: 'shop',
  stableService: 'shop-web',
  canaryService: 'shop-canary'
}

/** A Service backendRef as read: group, kind and weight defaulted by the API. */
export function backend(name: string, weight = 1, extra: Partial<BackendRef> = {}): BackendRef {
  return { group: '', kind: 'Service', name, port: 80, weight, ...extra }
}

export const stable = (weight = 1, extra: Partial<BackendRef> = {}) =>
  backend('shop-web', weight, extra)
export const canary = (weight = 1, extra: Partial<BackendRef> = {}) =>
  backend('shop-canary', weight, extra)

/** A rule with the API's default match (every path) and these backends. */
export function rule(backendRefs: BackendRef[], extra: Partial<HTTPRouteRule> = {}): HTTPRouteRule {
  return { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs, ...extra }
}

export function route(
  rules: HTTPRouteRule[],
  status?: RouteParentStatus[],
  generation = 3
): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: 'shop-web',
      namespace: 'shop',
      resourceVersion: '4711',
      generation,
      labels: { app: 'shop-web' },
      annotations: { 'team.example.com/owner': 'shop' }
    },
    spec: {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }],
      hostnames: ['shop.example.com'],
      rules
    },
    ...(status ? { status: { parents: status } } : {})
  }
}

/** `weight / sum` of a rule's backends, per backend name (the API's definition of a share). */
export function shares(refs: readonly BackendRef[]): Record<string, number> {
  const total = refs.reduce((sum, ref) => sum + (ref.weight ?? 1), 0)
  const out: Record<string, number> = {}
  for (const ref of refs) out[ref.name] = (out[ref.name] ?? 0) + (ref.weight ?? 1) / total
  return out
}
