/**
 * How the canary gets into the user's HTTPRoute and out again: one JSON merge patch of `spec.rules`
 * (fieldManager canary-deploy), computed from the route as read and carrying its
 * `metadata.resourceVersion` as a precondition (the `modify` object verb adds it, and on 409 reads
 * and computes again). Why not server-side apply of only our fields:
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
 *   it; the route is read again and the patch computed again (the rules are computed from the route
 *   as read, see canary-rules.ts) instead of overwriting their change.
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
 * While the canary is in the route, `canary-deploy.dev/source` on it says which run put it there,
 * and `canary-deploy.dev/route-weights` keeps the user's weights a step had to divide; removing the
 * canary removes both (null in a merge patch deletes the key).
 */
import { ANNOTATION_ROUTE_WEIGHTS, ANNOTATION_SOURCE } from '../../../k8s/labels.js'
import {
  type CanaryStep,
  routeHasCanary,
  rulesWithCanary,
  rulesWithoutCanary
} from './canary-rules.js'
import type { HTTPRoute, HTTPRouteRule } from './http-route.js'
import type { SplitServices } from './weights.js'

/** One write of the route: a JSON merge patch of its spec.rules and our annotations. */
export interface RoutePatch {
  metadata: { annotations: Record<string, string | null> }
  spec: { rules: HTTPRouteRule[] }
}

/** The patch that puts the canary into `route` (as read) at `step`; `source` is this run. */
export function canaryPatch(
  route: HTTPRoute,
  services: SplitServices,
  step: CanaryStep,
  source: string
): RoutePatch {
  const { rules, kept } = rulesWithCanary(route, services, step)
  return {
    metadata: {
      annotations: {
        [ANNOTATION_SOURCE]: source,
        [ANNOTATION_ROUTE_WEIGHTS]: Object.keys(kept).length > 0 ? JSON.stringify(kept) : null
      }
    },
    spec: { rules: structuredClone(rules) }
  }
}

/**
 * The patch that takes every canary backendRef and header rule of ours out of `route` (as read), and
 * our annotations with them; undefined when there is nothing of ours in it.
 */
export function revertPatch(route: HTTPRoute, services: SplitServices): RoutePatch | undefined {
  const annotations = route.metadata?.annotations ?? {}
  const ours = [ANNOTATION_SOURCE, ANNOTATION_ROUTE_WEIGHTS].filter(key => key in annotations)
  if (!routeHasCanary(route, services) && ours.length === 0) return undefined
  return {
    metadata: { annotations: Object.fromEntries(ours.map(key => [key, null])) },
    spec: { rules: structuredClone(rulesWithoutCanary(route, services)) }
  }
}
