/**
 * Did the Gateway take our write? Read from `status.parents[]`: each parent's controller sets the
 * conditions Accepted (the route is attached) and ResolvedRefs (every backendRef resolved), with
 * `observedGeneration` saying which generation of the route they describe. Only conditions for our
 * write's generation (or a later one) count: older ones describe the route before it.
 *
 * - accepted: every parent in spec.parentRefs has an entry with Accepted True and ResolvedRefs True.
 * - refused: a parent said no for our generation: Accepted False, ResolvedRefs False (other than
 *   BackendNotFound, below), or PartiallyInvalid True (the controller dropped rules or fell back to
 *   an older generation: the canary's rules may be among them).
 * - pending: otherwise, with what is awaited. ResolvedRefs False with BackendNotFound stays pending:
 *   a controller that saw the route before the canary Service re-checks when the Service appears, so
 *   only a timeout makes it final (the waiter reports the last pending reason).
 */
import type { HTTPRoute, ParentReference, RouteCondition, RouteParentStatus } from './http-route.js'
import { routeName } from './http-route.js'

export type RouteVerdict =
  | { state: 'accepted'; summary: string }
  | {
      state: 'refused'
      /** `Gateway shop/public listener https` */
      parent: string
      condition: string
      reason: string
      message: string
      summary: string
    }
  | { state: 'pending'; waitingFor: string[]; summary: string }

type ParentVerdict =
  | { state: 'accepted' }
  | { state: 'refused'; condition: RouteCondition }
  | { state: 'pending'; why: string }

const GATEWAY_GROUP = 'gateway.networking.k8s.io'

/** The route's standing with its parents for `generation` (default: the route's own, as read). */
export function routeVerdict(
  route: HTTPRoute,
  generation: number | undefined = route.metadata?.generation
): RouteVerdict {
  const name = routeName(route)
  const namespace = route.metadata?.namespace ?? ''
  const parents = route.spec?.parentRefs ?? []
  if (parents.length === 0) {
    const message = 'spec.parentRefs is empty, so no Gateway serves this route'
    return {
      state: 'refused',
      parent: '(none)',
      condition: 'parentRefs',
      reason: 'NoParentRefs',
      message,
      summary: `${name}: ${message}; add the Gateway to spec.parentRefs`
    }
  }
  const waitingFor: string[] = []
  for (const ref of parents) {
    const parent = describeParent(ref, namespace)
    const entries = (route.status?.parents ?? []).filter(
      entry => parentKey(entry.parentRef, namespace) === parentKey(ref, namespace)
    )
    const verdicts = entries.map(entry => entryVerdict(entry, generation))
    const refusal = verdicts.find(v => v.state === 'refused')
    if (refusal) {
      const { type, reason, message } = refusal.condition
      return {
        state: 'refused',
        parent,
        condition: type,
        reason,
        message,
        summary: `${name} refused by ${parent}: ${type} ${refusal.condition.status} (${reason})${message ? `: ${message}` : ''}`
      }
    }
    if (verdicts.some(v => v.state === 'accepted')) continue
    const pending = verdicts.flatMap(v => (v.state === 'pending' ? [v.why] : []))
    waitingFor.push(
      `${parent}: ${pending.length ? pending.join('; ') : 'no status from its controller yet'}`
    )
  }
  if (waitingFor.length > 0) {
    return {
      state: 'pending',
      waitingFor,
      summary: `${name} generation ${generation ?? '?'} not yet accepted: ${waitingFor.join('; ')}`
    }
  }
  return {
    state: 'accepted',
    summary: `${name} generation ${generation ?? '?'} accepted by ${parents.map(ref => describeParent(ref, namespace)).join(', ')}`
  }
}

function entryVerdict(entry: RouteParentStatus, generation: number | undefined): ParentVerdict {
  const conditions = entry.conditions ?? []
  const current = (type: string) => {
    const condition = conditions.find(c => c.type === type)
    const fresh =
      condition?.observedGeneration !== undefined &&
      (generation === undefined || condition.observedGeneration >= generation)
    return { condition, fresh }
  }
  const accepted = current('Accepted')
  const resolved = current('ResolvedRefs')
  const partial = current('PartiallyInvalid')
  if (
    accepted.fresh &&
    accepted.condition?.status === 'False' &&
    accepted.condition.reason !== 'Pending'
  ) {
    return { state: 'refused', condition: accepted.condition }
  }
  if (partial.fresh && partial.condition?.status === 'True') {
    return { state: 'refused', condition: partial.condition }
  }
  if (
    resolved.fresh &&
    resolved.condition?.status === 'False' &&
    resolved.condition.reason !== 'BackendNotFound'
  ) {
    return { state: 'refused', condition: resolved.condition }
  }
  if (accepted.fresh && accepted.condition?.status === 'True') {
    if (resolved.fresh && resolved.condition?.status === 'True') return { state: 'accepted' }
    return { state: 'pending', why: notYet('ResolvedRefs', resolved.condition, generation) }
  }
  return { state: 'pending', why: notYet('Accepted', accepted.condition, generation) }
}

/** Why a condition does not count yet, in a person's words. */
function notYet(
  type: string,
  condition: RouteCondition | undefined,
  generation: number | undefined
): string {
  if (!condition) return `no ${type} condition yet`
  const observed = condition.observedGeneration
  if (observed === undefined) return `${type} has no observedGeneration`
  if (generation !== undefined && observed < generation) {
    return `${type} is for generation ${observed}, waiting for ${generation}`
  }
  const said = `${type} ${condition.status} (${condition.reason})${condition.message ? `: ${condition.message}` : ''}`
  return condition.reason === 'BackendNotFound'
    ? `${said}; waiting for its controller to see the Service`
    : said
}

/** Parents are the same when group, kind, namespace, name, section and port are (defaults applied). */
function parentKey(ref: ParentReference, namespace: string): string {
  return JSON.stringify([
    ref.group ?? GATEWAY_GROUP,
    ref.kind ?? 'Gateway',
    ref.namespace ?? namespace,
    ref.name,
    ref.sectionName ?? '',
    ref.port ?? 0
  ])
}

/** `Gateway shop/public listener https`, `Service shop/web port 8080`. */
export function describeParent(ref: ParentReference, namespace: string): string {
  const kind = ref.kind ?? 'Gateway'
  const section = ref.sectionName
    ? ` ${kind === 'Gateway' ? 'listener' : 'section'} ${ref.sectionName}`
    : ''
  return `${kind} ${ref.namespace ?? namespace}/${ref.name}${section}${ref.port ? ` port ${ref.port}` : ''}`
}
