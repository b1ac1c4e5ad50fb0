/**
 * Which rule of one HTTPRoute takes a request, by Gateway API's matching precedence (HTTPRouteRule
 * `matches`, v1.6.1): an Exact path match, then the longest PathPrefix, then a method match, then the
 * most header matches, then the most query param matches; a remaining tie goes to the first rule in
 * list order. Exact header and query matches only (what the router writes and the tests use).
 */
import type { HTTPRouteMatch, HTTPRouteRule } from '../../src/release/routers/gateway/http-route.js'

export interface TestRequest {
  path: string
  method?: string
  headers?: Record<string, string>
  query?: Record<string, string>
}

function pathMatches(match: HTTPRouteMatch, path: string): boolean {
  const type = match.path?.type ?? 'PathPrefix'
  const value = match.path?.value ?? '/'
  if (type === 'Exact') return path === value
  // PathPrefix matches whole path elements: /api matches /api and /api/x, not /apix.
  const prefix = value.replace(/\/$/, '')
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`)
}

function matches(match: HTTPRouteMatch, request: TestRequest): boolean {
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])
  )
  const query = (match.queryParams ?? []) as { name: string; value: string }[]
  return (
    pathMatches(match, request.path) &&
    (!match.method || match.method === (request.method ?? 'GET')) &&
    (match.headers ?? []).every(h => headers[h.name.toLowerCase()] === h.value) &&
    query.every(q => request.query?.[q.name] === q.value)
  )
}

/** Bigger wins, compared left to right. */
function rank(match: HTTPRouteMatch): number[] {
  const exact = match.path?.type === 'Exact'
  return [
    exact ? 1 : 0,
    exact ? 0 : (match.path?.value ?? '/').length,
    match.method ? 1 : 0,
    (match.headers ?? []).length,
    ((match.queryParams ?? []) as unknown[]).length
  ]
}

function outranks(a: number[], b: number[]): boolean {
  const i = a.findIndex((x, k) => x !== b[k])
  return i >= 0 && a[i] > b[i]
}

/** The index of the rule that takes `request`, or undefined (a 404). */
export function winningRule(rules: HTTPRouteRule[], request: TestRequest): number | undefined {
  let best: { index: number; rank: number[] } | undefined
  rules.forEach((rule, index) => {
    for (const match of rule.matches ?? [{}]) {
      if (!matches(match, request)) continue
      const r = rank(match)
      if (!best || outranks(r, best.rank)) best = { index, rank: r }
    }
  })
  return best?.index
}
