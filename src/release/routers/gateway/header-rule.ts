/**
 * The header rule (`canary-header`): requests carrying one header go to the canary at every step,
 * even at 0%, so people can try it before any user does.
 *
 * What Gateway API (v1.6.1, HTTPRouteRule `matches`) guarantees: across the routes of a listener, a
 * request goes to the match with an Exact path, then the longest PathPrefix, then a method, then the
 * most header matches, then the most query param matches; a tie goes to the older route, then the
 * first by namespace/name, and within a route to the first rule in list order. The header rule of a
 * stable rule copies each of its matches M and adds the header: same path, method and query params,
 * one header more. For a request carrying the header, then:
 * - where M won before, its copy wins now: it outranks M and everything M outranked;
 * - where a match M' of another rule of this route won before, M' still wins, unless it outranked M
 *   by no more than the header adds (same path and method, and one header more than M with no more
 *   query params, or as many headers with more query params, or an exact tie placed before M). The
 *   copy would take those requests from M', so such a route is refused (checkHeaderPrecedence);
 * - matches in other routes on the same listener are not read: one with M's path and method and one
 *   header more (no more query params) ties with the copy, and the older route wins the tie;
 * - RegularExpression paths rank as the implementation decides.
 * So in the route as written, requests with the header reach the canary exactly where they reached
 * the stable rule, and requests without it go where they went. The header rules come first, in the
 * order of the rules they copy, and are named `canary-deploy-header-<n>`: that name marks them as
 * ours, and only rules so named are ever taken out again.
 */
import { HEADER_RULE_PREFIX } from '../../../k8s/labels.js'
import {
  type BackendRef,
  type HTTPHeaderMatch,
  type HTTPRouteMatch,
  type HTTPRouteRule,
  LIMITS,
  RouteError,
  rulePath
} from './http-route.js'
import type { SplitServices } from './weights.js'

/** `canary-header` as settings parse it: `X-Canary: always`. */
export interface CanaryHeader {
  name: string
  value: string
}

/** What a rule without matches matches (the API's default). */
const DEFAULT_MATCHES: HTTPRouteMatch[] = [{ path: { type: 'PathPrefix', value: '/' } }]

const matchesOf = (rule: HTTPRouteRule): HTTPRouteMatch[] =>
  rule.matches?.length ? rule.matches : DEFAULT_MATCHES

/** `canary-deploy-header-0`: the name of our n-th header rule. */
export function headerRuleName(n: number): string {
  return `${HEADER_RULE_PREFIX}${n}`
}

/** True for a header rule of ours: one named `canary-deploy-header-<n>`, whatever it sends where. */
export function isHeaderRule(rule: HTTPRouteRule): boolean {
  const name = rule.name ?? ''
  return name.startsWith(HEADER_RULE_PREFIX) && /^\d+$/.test(name.slice(HEADER_RULE_PREFIX.length))
}

/**
 * The n-th header rule, for `rule`, a rule sending traffic to `stableRef`: the rule's matches each
 * with the header added, its filters and other settings, and the canary as its one backend; named
 * `canary-deploy-header-<n>`. `where` names the rule in errors.
 */
export function headerRule(
  rule: HTTPRouteRule,
  stableRef: BackendRef,
  header: CanaryHeader,
  services: SplitServices,
  where: string,
  n: number
): HTTPRouteRule {
  const matches = matchesOf(rule).map((match, i): HTTPRouteMatch => {
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
    name: headerRuleName(n),
    ...settings,
    matches,
    backendRefs: [{ ...stableRef, name: services.canaryService, weight: 1 }]
  }
}

/**
 * Refuses (RouteError) a route where a header rule would take requests from a rule that does not
 * send the stable Service traffic (see the file comment). `rules`: the user's rules; `stable`: the
 * indexes of those that send the stable Service traffic; `route` names the route in the message.
 */
export function checkHeaderPrecedence(
  rules: HTTPRouteRule[],
  stable: ReadonlySet<number>,
  header: CanaryHeader,
  route: string
): void {
  rules.forEach((stableRule, i) => {
    if (!stable.has(i)) return
    matchesOf(stableRule).forEach((match, k) => {
      rules.forEach((other, j) => {
        if (stable.has(j)) return
        matchesOf(other).forEach((otherMatch, l) => {
          const why = outrankedByCopy(match, otherMatch, j < i, header)
          if (!why) return
          throw new RouteError(
            `${route} ${rulePath(other, j)}.matches[${l}] would lose requests carrying ${header.name} to the canary-header rule copied from ${rulePath(stableRule, i)}.matches[${k}]: ${why}, so Gateway API ranks the copy at or above it; drop canary-header, or set ${rulePath(other, j)} apart by path, method or a header match on ${header.name}`
          )
        })
      })
    })
  })
}

/**
 * Why `other` outranks `match` (or ties it, placed first) but not its copy with the header added,
 * when one request can match both the copy and `other`; undefined when that cannot happen.
 */
function outrankedByCopy(
  match: HTTPRouteMatch,
  other: HTTPRouteMatch,
  otherFirst: boolean,
  header: CanaryHeader
): string | undefined {
  const path = (m: HTTPRouteMatch) =>
    `${m.path?.type ?? 'PathPrefix'} ${m.path?.value ?? '/'}${m.method ? `, method ${m.method}` : ''}`
  if (path(match) !== path(other)) return undefined
  const copyHeaders = [
    ...(match.headers ?? []),
    { type: 'Exact', name: header.name, value: header.value }
  ]
  if (
    !satisfiable(copyHeaders, other.headers ?? [], name => name.toLowerCase()) ||
    !satisfiable(queryParams(match), queryParams(other), name => name)
  ) {
    return undefined
  }
  const [headers, otherHeaders] = [match.headers?.length ?? 0, other.headers?.length ?? 0]
  const [queries, otherQueries] = [queryParams(match).length, queryParams(other).length]
  const same = `both ${path(match)}`
  if (otherHeaders === headers + 1 && otherQueries <= queries)
    return `${same}, and it has one header match more than the copied match, as the copy has, and no more query param matches`
  if (otherHeaders === headers && otherQueries > queries)
    return `${same}, and it has as many header matches as the copied match and more query param matches, but the copy has one header match more`
  if (otherHeaders === headers && otherQueries === queries && otherFirst)
    return `${same}, with as many header and query param matches as the copied match, and it comes first`
  return undefined
}

interface ValueMatch {
  name: string
  value: string
  type?: string
}

const queryParams = (match: HTTPRouteMatch): ValueMatch[] =>
  (match.queryParams ?? []) as ValueMatch[]

/** False when an exact match in `a` and one in `b` on the same name want different values. */
function satisfiable(a: ValueMatch[], b: ValueMatch[], key: (name: string) => string): boolean {
  const exact = (m: ValueMatch) => (m.type ?? 'Exact') === 'Exact'
  return a.every(x =>
    b.every(y => key(x.name) !== key(y.name) || !exact(x) || !exact(y) || x.value === y.value)
  )
}
