/**
 * The user's HTTPRoute rules with the canary in them, or taken out again. Pure: computed from the
 * route as read, so every step, a re-run and a rollback start from what the cluster holds. Each step
 * first removes every trace of an earlier canary (a previous step, an interrupted run, another
 * header), then adds the canary afresh.
 */
import { headerRule, isHeaderRule, type CanaryHeader } from './header-rule.js'
import {
  type HTTPRoute,
  type HTTPRouteRule,
  LIMITS,
  RouteError,
  routeName,
  rulePath
} from './http-route.js'
import {
  isCanary,
  mergeCanaryIntoStable,
  splitStable,
  stableBackend,
  type SplitServices
} from './weights.js'

export interface CanaryStep {
  /** The canary's percentage of the stable Service's traffic in each rule that sends it some: 0 to 100. */
  percent: number
  /** A rule sending requests with this header to the canary, whatever the percentage. */
  header?: CanaryHeader
}

/** The route's rules with no canary: its backendRefs and header rules removed, stable weights restored. */
export function rulesWithoutCanary(route: HTTPRoute, services: SplitServices): HTTPRouteRule[] {
  return (route.spec?.rules ?? [])
    .filter(rule => !isHeaderRule(rule, services))
    .map(rule =>
      rule.backendRefs
        ? { ...rule, backendRefs: mergeCanaryIntoStable(rule.backendRefs, services) }
        : rule
    )
}

/** True while the route holds any canary backendRef (a weighted one, or a header rule). */
export function routeHasCanary(route: HTTPRoute, services: SplitServices): boolean {
  return (route.spec?.rules ?? []).some(rule =>
    (rule.backendRefs ?? []).some(ref => isCanary(ref, services))
  )
}

/**
 * The route's rules with the canary at `step`: in every rule that sends the stable Service traffic,
 * the canary beside it at `step.percent` of that traffic; with a header, one header rule per such
 * rule, first in the list. Refuses (RouteError, before anything is written) a route where no rule
 * sends the stable Service traffic, or where the result would break the API's limits.
 */
export function rulesWithCanary(
  route: HTTPRoute,
  services: SplitServices,
  step: CanaryStep
): HTTPRouteRule[] {
  const name = routeName(route)
  const rules = rulesWithoutCanary(route, services)
  const stableRules = rules.flatMap((rule, index) => {
    // The backend a header rule copies (port, filters): the first stable one that takes traffic.
    const stableRef = stableBackend(rule.backendRefs ?? [], services)
    return stableRef ? [{ rule, index, stableRef }] : []
  })
  if (stableRules.length === 0) {
    throw new RouteError(
      `${name} has no rule sending traffic to Service ${services.stableService} (a backendRef with weight above 0 in spec.rules[].backendRefs): the gateway strategy puts the canary beside it; point the route at that Service, or set \`route\` to the route that does`
    )
  }
  const weighted = rules.map((rule, index) =>
    stableRules.some(s => s.index === index)
      ? {
          ...rule,
          backendRefs: splitStable(
            rule.backendRefs ?? [],
            services,
            step.percent,
            `${name} ${rulePath(rule, index)}`
          )
        }
      : rule
  )
  const { header } = step
  const headerRules = header
    ? stableRules.map(({ rule, index, stableRef }) =>
        headerRule(rule, stableRef, header, services, `${name} ${rulePath(rule, index)}`)
      )
    : []
  const all = [...headerRules, ...weighted]
  checkRouteLimits(name, all, headerRules.length)
  return all
}

/** The CRD's limits on the whole rules list, said in terms of what the canary added. */
function checkRouteLimits(name: string, rules: HTTPRouteRule[], added: number): void {
  if (rules.length > LIMITS.rules) {
    throw new RouteError(
      `${name}: the canary-header rules (${added}, one per rule sending traffic to the stable Service) make ${rules.length} rules, more than the ${LIMITS.rules} the API allows; drop canary-header, or merge the route's rules`
    )
  }
  const matches = rules.reduce((sum, rule) => sum + Math.max(rule.matches?.length ?? 0, 1), 0)
  if (matches > LIMITS.matchesPerRoute) {
    throw new RouteError(
      `${name}: with the canary-header rules the route has ${matches} matches, more than the ${LIMITS.matchesPerRoute} the API allows across all rules; drop canary-header, or use fewer matches`
    )
  }
}
