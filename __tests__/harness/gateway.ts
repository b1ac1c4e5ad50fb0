/**
 * A small Gateway API controller, as Envoy Gateway or Istio report route status: GatewayClasses
 * naming its controllerName are Accepted, their Gateways Accepted and Programmed, and every
 * HTTPRoute whose parentRefs name a Gateway that exists (of one of its classes, or of a class
 * nobody declared) gets, per such parent, a `status.parents[]` entry with its controllerName, the
 * parentRef and the conditions Accepted and ResolvedRefs for the route's generation:
 * ResolvedRefs False / BackendNotFound when a backendRef's Service is missing, RefNotPermitted for
 * another namespace's Service without a ReferenceGrant, InvalidKind for a backend that is not a
 * Service. A test can make it refuse routes (Accepted False with its reason and message), or hold
 * them: a real controller writes status asynchronously, a backlogged one long after the write, and
 * until it does, the status describes an older generation.
 * https://gateway-api.sigs.k8s.io/reference/spec/#httproute
 */
import type { Api } from './api.js'
import { deepEqual } from './patch.js'
import type { ResourceType } from './resources.js'
import type { StoreEvent } from './store.js'
import { isRecord, now, type KObject } from './types.js'

export const GATEWAY_GROUP = 'gateway.networking.k8s.io'
/** Envoy Gateway's controllerName, the default. */
export const DEFAULT_CONTROLLER_NAME = 'gateway.envoyproxy.io/gatewayclass-controller'
const MANAGER = 'gateway-controller'

export interface RouteMatch {
  name?: string | RegExp
  namespace?: string
}

export interface GatewayController {
  /** the controllerName written into route status and matched against GatewayClasses */
  readonly controllerName: string
  /** matching routes are refused from now on: Accepted False with this reason and message */
  refuse(match: RouteMatch, reason: string, message: string): void
  /** matching routes are accepted again */
  accept(match: RouteMatch): void
  /** matching routes get no status from now on (their changes wait, unreconciled) */
  hold(match: RouteMatch): void
  /** matching routes are reconciled again, their waiting changes included */
  release(match: RouteMatch): void
}

type Rec = Record<string, unknown>

interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  observedGeneration?: number
  lastTransitionTime: string
}

function rec(v: unknown): Rec {
  return isRecord(v) ? v : {}
}

function list(v: unknown): Rec[] {
  return Array.isArray(v) ? v.filter(isRecord) : []
}

function matches(m: RouteMatch, route: KObject): boolean {
  const name = route.metadata.name ?? ''
  if (m.namespace !== undefined && m.namespace !== route.metadata.namespace) return false
  if (m.name === undefined) return true
  return typeof m.name === 'string' ? m.name === name : m.name.test(name)
}

/** Removes the entries given for `match` (the same match, as a test gave it). */
function removeMatch<T extends RouteMatch | { match: RouteMatch }>(
  entries: T[],
  match: RouteMatch
): void {
  const key = (entry: T) => JSON.stringify('match' in entry ? entry.match : entry)
  for (let i = entries.length - 1; i >= 0; i--)
    if (key(entries[i]) === JSON.stringify(match)) entries.splice(i, 1)
}

/** Conditions with lastTransitionTime kept where status did not change. */
function withTimes(next: Omit<Condition, 'lastTransitionTime'>[], prev: Rec[]): Condition[] {
  const at = now()
  return next.map(c => {
    const old = prev.find(p => p.type === c.type)
    const keep = old && old.status === c.status && typeof old.lastTransitionTime === 'string'
    return { ...c, lastTransitionTime: keep ? String(old.lastTransitionTime) : at }
  })
}

export class GatewayApiController implements GatewayController {
  private readonly refusals: { match: RouteMatch; reason: string; message: string }[] = []
  private readonly holds: RouteMatch[] = []
  private scheduled = false
  private unsubscribe: () => void = () => {}

  constructor(
    private readonly api: Api,
    readonly controllerName: string = DEFAULT_CONTROLLER_NAME
  ) {}

  /** A pass is queued and not run yet (for settle()). */
  get idle(): boolean {
    return !this.scheduled
  }

  start(): void {
    this.unsubscribe = this.api.store.subscribe(e => this.onChange(e))
    this.schedule()
  }

  stop(): void {
    this.unsubscribe()
  }

  refuse(match: RouteMatch, reason: string, message: string): void {
    this.refusals.push({ match, reason, message })
    this.schedule()
  }

  accept(match: RouteMatch): void {
    removeMatch(this.refusals, match)
    this.schedule()
  }

  hold(match: RouteMatch): void {
    this.holds.push(match)
  }

  release(match: RouteMatch): void {
    removeMatch(this.holds, match)
    this.schedule()
  }

  private onChange(e: StoreEvent): void {
    const t = e.resource
    if (t.group === GATEWAY_GROUP || (t.group === '' && t.resource === 'services')) this.schedule()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      try {
        this.reconcile()
      } catch (err) {
        if (process.env.HARNESS_DEBUG) console.error('gateway controller:', err)
      }
    })
  }

  private type(plural: string): ResourceType | undefined {
    return this.api.registry.all().find(t => t.group === GATEWAY_GROUP && t.resource === plural)
  }

  private reconcile(): void {
    const classes = this.type('gatewayclasses')
    const gateways = this.type('gateways')
    const routes = this.type('httproutes')
    if (!classes || !gateways || !routes) return
    const allClasses = this.api.store.list(classes)
    const ours = new Set(
      allClasses
        .filter(c => rec(c.spec).controllerName === this.controllerName)
        .map(c => c.metadata.name)
    )
    const declared = new Set(allClasses.map(c => c.metadata.name))
    for (const c of allClasses) {
      if (!ours.has(c.metadata.name)) continue
      this.writeConditions(classes, c, [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Valid GatewayClass' }
      ])
    }
    const managed = (g: KObject): boolean => {
      const cls = String(rec(g.spec).gatewayClassName ?? '')
      return ours.has(cls) || !declared.has(cls)
    }
    for (const g of this.api.store.list(gateways)) {
      if (!managed(g)) continue
      this.writeConditions(gateways, g, [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: 'The Gateway has been scheduled'
        },
        {
          type: 'Programmed',
          status: 'True',
          reason: 'Programmed',
          message: 'The Gateway has been programmed'
        }
      ])
    }
    for (const r of this.api.store.list(routes)) {
      if (!this.holds.some(match => matches(match, r)))
        this.reconcileRoute(routes, gateways, r, managed)
    }
  }

  private writeConditions(
    t: ResourceType,
    o: KObject,
    next: Omit<Condition, 'lastTransitionTime'>[]
  ): void {
    const status = rec(o.status)
    const generation = o.metadata.generation
    const conditions = withTimes(
      next.map(c => ({ ...c, observedGeneration: generation })),
      list(status.conditions)
    )
    if (deepEqual(conditions, status.conditions)) return
    this.api.write(t, { ...o, status: { ...status, conditions } }, MANAGER, 'status')
  }

  private reconcileRoute(
    routes: ResourceType,
    gateways: ResourceType,
    route: KObject,
    managed: (g: KObject) => boolean
  ): void {
    const ns = route.metadata.namespace ?? 'default'
    const spec = rec(route.spec)
    const prev = list(rec(route.status).parents)
    const refusal = [...this.refusals].reverse().find(x => matches(x.match, route))
    const resolved = this.resolveRefs(route)
    const mine: Rec[] = []
    for (const ref of list(spec.parentRefs)) {
      const group = ref.group ?? GATEWAY_GROUP
      const kind = ref.kind ?? 'Gateway'
      if (group !== GATEWAY_GROUP || kind !== 'Gateway') continue
      const gwNs = typeof ref.namespace === 'string' ? ref.namespace : ns
      const gw = this.api.store.get(gateways, gwNs, String(ref.name ?? ''))
      if (!gw || !managed(gw)) continue
      const before = prev.find(
        p => p.controllerName === this.controllerName && deepEqual(p.parentRef, ref)
      )
      const generation = route.metadata.generation
      const conditions = withTimes(
        [
          refusal
            ? {
                type: 'Accepted',
                status: 'False',
                reason: refusal.reason,
                message: refusal.message
              }
            : {
                type: 'Accepted',
                status: 'True',
                reason: 'Accepted',
                message: 'Route is accepted'
              },
          resolved
        ].map(
          c => ({ ...c, observedGeneration: generation }) as Omit<Condition, 'lastTransitionTime'>
        ),
        list(before?.conditions)
      )
      mine.push({ parentRef: ref, controllerName: this.controllerName, conditions })
    }
    const others = prev.filter(p => p.controllerName !== this.controllerName)
    const parents = [...others, ...mine]
    if (deepEqual(parents, prev)) return
    const status = { ...rec(route.status), parents }
    this.api.write(routes, { ...route, status }, MANAGER, 'status')
  }

  /** ResolvedRefs for the route's backendRefs, as an implementation resolves them. */
  private resolveRefs(route: KObject): Omit<Condition, 'lastTransitionTime'> {
    const ns = route.metadata.namespace ?? 'default'
    const services = this.api.kindOf('Service')
    const rules = list(rec(route.spec).rules)
    for (const [i, rule] of rules.entries()) {
      for (const [j, ref] of list(rule.backendRefs).entries()) {
        const where = `Failed to process route rule ${i} backendRef ${j}`
        const group = String(ref.group ?? '')
        const kind = String(ref.kind ?? 'Service')
        if (group !== '' || kind !== 'Service')
          return {
            type: 'ResolvedRefs',
            status: 'False',
            reason: 'InvalidKind',
            message: `${where}: ${kind} is not a supported backend kind.`
          }
        const name = String(ref.name ?? '')
        const refNs = typeof ref.namespace === 'string' ? ref.namespace : ns
        if (refNs !== ns && !this.granted(ns, refNs, name))
          return {
            type: 'ResolvedRefs',
            status: 'False',
            reason: 'RefNotPermitted',
            message: `${where}: backendRef ${refNs}/${name} is not permitted by any ReferenceGrant.`
          }
        if (!this.api.store.get(services, refNs, name))
          return {
            type: 'ResolvedRefs',
            status: 'False',
            reason: 'BackendNotFound',
            message: `${where}: service ${refNs}/${name} not found.`
          }
      }
    }
    return {
      type: 'ResolvedRefs',
      status: 'True',
      reason: 'ResolvedRefs',
      message: 'Resolved all the Object references for the Route'
    }
  }

  /** A ReferenceGrant in `to` lets HTTPRoutes of `from` reach this Service. */
  private granted(from: string, to: string, name: string): boolean {
    const grants = this.type('referencegrants')
    if (!grants) return false
    return this.api.store.list(grants, to).some(g => {
      const spec = rec(g.spec)
      const fromOk = list(spec.from).some(
        f => f.group === GATEWAY_GROUP && f.kind === 'HTTPRoute' && f.namespace === from
      )
      const toOk = list(spec.to).some(
        t =>
          (t.group ?? '') === '' &&
          t.kind === 'Service' &&
          (t.name === undefined || t.name === name)
      )
      return fromOk && toOk
    })
  }
}
