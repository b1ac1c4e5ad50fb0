/**
 * HTTPRoute (gateway.networking.k8s.io/v1, Gateway API v1.6.1 standard channel) as the gateway router
 * reads it: only the fields it looks at are typed; every other field is kept as read (`[field]:
 * unknown`), because the route's rules are written back whole (see route-write.ts) and a field this
 * code does not know (a filter, a timeout, a newer API field) must survive the write unchanged.
 */
import type { KubernetesObject } from '@kubernetes/client-node'

export const HTTP_ROUTE_API_VERSION = 'gateway.networking.k8s.io/v1'
export const HTTP_ROUTE_KIND = 'HTTPRoute'

/** A backend of a rule. The API defaults group to '' (core), kind to Service and weight to 1. */
export interface BackendRef {
  group?: string
  kind?: string
  name: string
  namespace?: string
  port?: number
  weight?: number
  [field: string]: unknown
}

export interface HTTPHeaderMatch {
  name: string
  value: string
  /** Exact (the default) or RegularExpression. */
  type?: string
}

export interface HTTPRouteMatch {
  path?: { type?: string; value?: string }
  headers?: HTTPHeaderMatch[]
  method?: string
  [field: string]: unknown
}

export interface HTTPRouteRule {
  name?: string
  matches?: HTTPRouteMatch[]
  backendRefs?: BackendRef[]
  [field: string]: unknown
}

/** A parent (usually a Gateway). The API defaults group to gateway.networking.k8s.io, kind to Gateway. */
export interface ParentReference {
  group?: string
  kind?: string
  namespace?: string
  name: string
  sectionName?: string
  port?: number
}

/** metav1.Condition, as route status carries it. */
export interface RouteCondition {
  type: string
  status: string
  reason: string
  message: string
  observedGeneration?: number
  lastTransitionTime?: string
}

export interface RouteParentStatus {
  parentRef: ParentReference
  controllerName: string
  conditions?: RouteCondition[]
}

export interface HTTPRoute extends KubernetesObject {
  spec?: {
    parentRefs?: ParentReference[]
    hostnames?: string[]
    rules?: HTTPRouteRule[]
    [field: string]: unknown
  }
  status?: { parents?: RouteParentStatus[] }
}

/** The API's limits on lists the router grows (the CRD's maxItems), checked before any write. */
export const LIMITS = {
  rules: 16,
  backendRefs: 16,
  headers: 16,
  /** The CEL rule on spec.rules: matches across all rules. */
  matchesPerRoute: 128,
  weight: 1_000_000
} as const

/** The weight the API gives a backendRef: absent means 1. */
export function weightOf(ref: BackendRef): number {
  return ref.weight ?? 1
}

/** True when ref is the Service `service` in `namespace` (a backendRef without namespace means the route's). */
export function refersToService(ref: BackendRef, service: string, namespace: string): boolean {
  return (
    (ref.group ?? '') === '' &&
    (ref.kind ?? 'Service') === 'Service' &&
    ref.name === service &&
    (ref.namespace ?? namespace) === namespace
  )
}

/** `spec.rules[2]`, or `spec.rules[2] (name "api")`: how messages point at a rule. */
export function rulePath(rule: HTTPRouteRule, index: number): string {
  return `spec.rules[${index}]${rule.name ? ` (name "${rule.name}")` : ''}`
}

/** What a route names in messages: `HTTPRoute shop/shop-web`. */
export function routeName(route: HTTPRoute): string {
  return `${HTTP_ROUTE_KIND} ${route.metadata?.namespace ?? ''}/${route.metadata?.name ?? ''}`
}

/** A route that cannot take the canary as asked; says what is wrong and what to change. */
export class RouteError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RouteError'
  }
}
