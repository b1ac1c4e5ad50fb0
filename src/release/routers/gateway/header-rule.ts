/**
 * The header rule (`canary-header`): requests carrying one header go to the canary at every step,
 * even at 0%, so people can try it before any user does.
 *
 * Gateway API ranks matches across a Gateway's routes by: Exact path, then longest prefix path,
 * then method, then most header matches, then most query param matches; a tie within one route goes
 * to the first rule in list order. The header rule of a stable rule copies each of its matches and
 * adds the header: same path, method and query params, one header more, so it outranks the match it
 * copies wherever that match would win, and nowhere else (a longer path on another rule still wins,
 * as it did for stable). It is placed before the route's own rules, so it also wins an exact tie.
 * RegularExpression paths rank by implementation, so there the order is the implementation's.
 */
import {
  type BackendRef,
  type HTTPHeaderMatch,
  type HTTPRouteMatch,
  type HTTPRouteRule,
  LIMITS,
  RouteError
} from './http-route.js'
import { isCanary, type SplitServices } from './weights.js'

/** `canary-header` as settings parse it: `X-Canary: always`. */
export interface CanaryHeader {
  name: string
  value: string
}

/** What a rule without matches matches (the API's default). */
const DEFAULT_MATCHES: HTTPRouteMatch[] = [{ path: { type: 'PathPrefix', value: '/' } }]

/**
 * The header rule for `rule`, a rule sending traffic to `stableRef`: the rule's matches each with the
 * header added, its filters and other settings, and the canary as its one backend. Not its name
 * (rule names are unique in a route). `where` names the rule in errors.
 */
export function headerRule(
  rule: HTTPRouteRule,
  stableRef: BackendRef,
  header: CanaryHeader,
  services: SplitServices,
  where: string
): HTTPRouteRule {
  const own = rule.matches?.length ? rule.matches : DEFAULT_MATCHES
  const matches = own.map((match, i): HTTPRouteMatch => {
    const headers = match.headers ?? []
    // Header names match case-insensitively, and only the first of equal names counts.
    const same = headers.find(h => h.name.toLowerCase() === header.name.toLowerCase())
    if (same) {
      throw new RouteError(
        `${where}.matches[${i}] already matches header ${same.name}, so a canary-header rule on ${header.name} cannot outrank it; choose another canary-header name`
      )
    }
    if (headers.length >= LIMITS.headers) {
      throw new RouteError(
        `${where}.matches[${i}] has ${headers.length} header matches, the most the API allows, so the canary-header rule cannot add ${header.name}`
      )
    }
    const added: HTTPHeaderMatch = { type: 'Exact', name: header.name, value: header.value }
    return { ...match, headers: [...headers, added] }
  })
  const { name: _name, backendRefs: _backendRefs, ...settings } = rule
  return {
    ...settings,
    matches,
    backendRefs: [{ ...stableRef, name: services.canaryService, weight: 1 }]
  }
}

/** True for a rule that sends everything to the canary: a header rule (ours), never a user's rule. */
export function isHeaderRule(rule: HTTPRouteRule, services: SplitServices): boolean {
  const refs = rule.backendRefs ?? []
  return refs.length > 0 && refs.every(ref => isCanary(ref, services))
}
