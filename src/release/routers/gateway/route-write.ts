/**
 * How the canary gets into the user's HTTPRoute and out again: one JSON merge patch of `spec.rules`
 * (fieldManager canary-deploy) carrying `metadata.resourceVersion` as a precondition. Why not
 * server-side apply of only our fields:
 *
 * - In the v1.6.1 CRD, `spec.rules`, `rules[].backendRefs` and `rules[].matches` are all
 *   `x-kubernetes-list-type: atomic`. Server-side apply treats an atomic list as one value with one
 *   set of owners: it cannot merge a single backendRef into the user's list. An apply adding the
 *   canary must send the whole rules list, conflicts with the manager that owns it (the user's
 *   kubectl, Flux, Argo CD) and so needs force, which moves all of spec.rules to our manager. And an
 *   applier's fields are removed when a later apply of its stops sending them: every apply of ours to
 *   the route would have to carry spec.rules forever, or delete the route's rules.
 * - So an apply would be a read-modify-write anyway, without its benefits. A merge patch says exactly
 *   that: JSON merge patch replaces a list whole (an atomic list's own meaning), and the
 *   resourceVersion makes the write fail with 409 Conflict if anyone changed the route since we read
 *   it; the caller re-reads and recomputes (the rules are computed from the route as read, see
 *   canary-rules.ts) instead of overwriting their change.
 *
 * What the patch leaves to its owners: every field outside spec.rules (parentRefs, hostnames, labels,
 * other annotations) is not in the patch, so its value and its managedFields entry stay as they are.
 * Inside spec.rules every field is sent back exactly as read (matches, filters, timeouts, rule names,
 * fields this code does not know), so their values survive. Ownership of the spec.rules list itself
 * moves to canary-deploy (operation Update), as it would for any writer of an atomic list. After the
 * canary is removed the list holds the user's rules again, but canary-deploy stays its recorded
 * writer: a later server-side apply by the user that changes the rules reports a conflict on
 * spec.rules with canary-deploy (`--force-conflicts` takes it back; Flux forces by default).
 *
 * While the canary is in the route, `canary-deploy.dev/source` on it says which run put it there;
 * removing the canary removes that annotation too (null in a merge patch deletes the key).
 */
import { ANNOTATION_SOURCE } from '../../../k8s/labels.js'
import { rulesWithCanary, rulesWithoutCanary, type CanaryStep } from './canary-rules.js'
import {
  HTTP_ROUTE_API_VERSION,
  HTTP_ROUTE_KIND,
  type HTTPRoute,
  type HTTPRouteRule,
  routeName
} from './http-route.js'
import type { SplitServices } from './weights.js'

export const MERGE_PATCH = 'application/merge-patch+json'

/** One write of the route: a merge patch (content type MERGE_PATCH) of the named HTTPRoute. */
export interface RoutePatch {
  apiVersion: typeof HTTP_ROUTE_API_VERSION
  kind: typeof HTTP_ROUTE_KIND
  namespace: string
  name: string
  body: {
    metadata: { resourceVersion: string; annotations: Record<string, string | null> }
    spec: { rules: HTTPRouteRule[] }
  }
}

/** The patch that puts the canary into `route` (as read) at `step`; `source` is this run. */
export function canaryPatch(
  route: HTTPRoute,
  services: SplitServices,
  step: CanaryStep,
  source: string
): RoutePatch {
  return routePatch(route, rulesWithCanary(route, services, step), source)
}

/** The patch that takes every canary backendRef and header rule out of `route` (as read). */
export function revertPatch(route: HTTPRoute, services: SplitServices): RoutePatch {
  return routePatch(route, rulesWithoutCanary(route, services), null)
}

function routePatch(route: HTTPRoute, rules: HTTPRouteRule[], source: string | null): RoutePatch {
  const { name, namespace, resourceVersion } = route.metadata ?? {}
  if (!name || !namespace || !resourceVersion) {
    // Only a route read from the cluster can be written: the precondition is its resourceVersion.
    throw new Error(
      `${routeName(route)} was not read from the cluster (no name, namespace or resourceVersion)`
    )
  }
  return {
    apiVersion: HTTP_ROUTE_API_VERSION,
    kind: HTTP_ROUTE_KIND,
    namespace,
    name,
    body: {
      metadata: { resourceVersion, annotations: { [ANNOTATION_SOURCE]: source } },
      spec: { rules: structuredClone(rules) }
    }
  }
}
