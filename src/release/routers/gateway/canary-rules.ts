/**
 * The user's HTTPRoute rules with the canary in them, or taken out again. Pure: computed from the
 * route as read, so every step, a re-run and a rollback start from what the cluster holds. Each step
 * first removes every trace of an earlier canary (a previous step, an interrupted run, another
 * header), then adds the canary afresh.
 *
 * What is ours in a route: backendRefs to the canary Service (`<app>-canary`, which canary-deploy
 * creates and deletes) beside a stable backendRef, rules named `canary-deploy-header-<n>` (header-rule.ts), and the annotation
 * canary-deploy.dev/route-weights, which keeps the user's weights of the rules whose weights a step
 * had to divide (weights.ts): rule index (among the user's rules) -> weights.
 */
import { ANNOTATION_ROUTE_WEIGHTS } from '../../../k8s/labels.js'
import {
  checkHeaderPrecedence,
  headerRule,
  isHeaderRule,
  type CanaryHeader
} from './header-rule.js'
import {
  type HTTPRoute,
  type HTTPRouteRule,
  LIMITS,
  RouteError,
  routeName,
  rulePath,
  weightOf
} from './http-route.js'
import {
  hasOurCanary,
  mergeCanaryIntoStable,
  splitDivides,
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

/** The user's weights of rules a step divided, by the rule's index among the user's rules. */
export type KeptWeights = Record<string, number[]>

/** The route's rules at a step, and the user's weights the route must keep meanwhile. */
export interface CanaryRules {
  rules: HTTPRouteRule[]
  kept: KeptWeights
}

/** The user's weights the route keeps (its route-weights annotation); {} when none, or unreadable. */
export function keptWeights(route: HTTPRoute): KeptWeights {
  const text = route.metadata?.annotations?.[ANNOTATION_ROUTE_WEIGHTS]
  if (!text) return {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {}
    const kept: KeptWeights = {}
    for (const [index, weights] of Object.entries(parsed)) {
      // Someone else's edit is not trusted: mergeCanaryIntoStable also checks the ratios.
      if (Array.isArray(weights) && weights.every(w => Number.isInteger(w))) kept[index] = weights
    }
    return kept
  } catch {
    return {}
  }
}

/**
 * The route's rules with no canary: header rules of ours removed, canary backendRefs merged back
 * into stable, and the user's weights restored (exactly, where the route kept them).
 */
export function rulesWithoutCanary(route: HTTPRoute, services: SplitServices): HTTPRouteRule[] {
  const kept = keptWeights(route)
  return (route.spec?.rules ?? [])
    .filter(rule => !isHeaderRule(rule))
    .map((rule, index) =>
      rule.backendRefs
        ? {
            ...rule,
            backendRefs: mergeCanaryIntoStable(rule.backendRefs, services, kept[String(index)])
          }
        : rule
    )
}

/** True while the route holds anything of ours: a canary backendRef beside stable, or a header rule. */
export function routeHasCanary(route: HTTPRoute, services: SplitServices): boolean {
  return (route.spec?.rules ?? []).some(
    rule => isHeaderRule(rule) || hasOurCanary(rule.backendRefs ?? [], services)
  )
}

/**
 * The route's rules with the canary at `step`: in every rule that sends the stable Service traffic,
 * the canary beside it at `step.percent` of that traffic; with a header, one header rule per such
 * rule, first in the list. Refuses (RouteError, before anything is written) a route where no rule
 * sends the stable Service traffic, where a header rule would take requests from another rule, or
 * where the result would break the API's limits.
 */
export function rulesWithCanary(
  route: HTTPRoute,
  services: SplitServices,
  step: CanaryStep
): CanaryRules {
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
  const stableIndexes = new Set(stableRules.map(s => s.index))
  const kept: KeptWeights = {}
  const weighted = rules.map((rule, index) => {
    if (!stableIndexes.has(index)) return rule
    const refs = rule.backendRefs ?? []
    if (splitDivides(refs, services, step.percent)) kept[String(index)] = refs.map(weightOf)
    const where = `${name} ${rulePath(rule, index)}`
    return { ...rule, backendRefs: splitStable(refs, services, step.percent, where) }
  })
  const { header } = step
  if (header) checkHeaderPrecedence(rules, stableIndexes, header, name)
  const headerRules = header
    ? stableRules.map(({ rule, index, stableRef }, n) =>
        headerRule(rule, stableRef, header, services, `${name} ${rulePath(rule, index)}`, n)
      )
    : []
  const all = [...headerRules, ...weighted]
  checkRouteLimits(name, all, headerRules.length)
  return { rules: all, kept }
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
