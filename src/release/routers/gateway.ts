/**
 * The gateway router (Gateway API): the canary's own Service `<app>-canary`, added to the user's
 * HTTPRoute (`route`) as a weighted backendRef beside the stable Service in every rule that sends it
 * traffic, step by step (`steps`, else `canary-weight`), with an optional header rule
 * (`canary-header`). Each route write is a merge patch computed from the route as it is when written
 * (the modify verb: on 409 it is read and computed again), and deploy then waits until every parent
 * Gateway accepts that generation (verify). Withdrawing takes the canary out of the route first and
 * waits until the Gateways accept that too (withdrawn), then deletes its Service; refused before any
 * write while another route sends the canary traffic. The route itself is never created or
 * deleted; the rules' logic is in gateway/.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node'
import type { Cluster } from '../../k8s/client.js'
import { KubeError } from '../../k8s/errors.js'
import { canaryName } from '../../k8s/labels.js'
import { read, refOf, type ObjectRef } from '../../k8s/objects.js'
import { waitForObject, type ObjectVerdict } from '../../k8s/wait.js'
import { MemoryLogger } from '../../logger.js'
import type { Settings } from '../../settings.js'
import type { Reads } from '../reads.js'
import { findStableService } from '../stable-traffic.js'
import type { Change, ExposeStep, Router, Warn } from '../types.js'
import { applyOf, deleteOf, modifyOf } from '../writes.js'
import { canaryMetadata, canaryService, requireService } from './canary-exposure.js'
import { rulesWithCanary } from './gateway/canary-rules.js'
import {
  HTTP_ROUTE_API_VERSION,
  HTTP_ROUTE_KIND,
  type HTTPRoute,
  RouteError,
  routeName
} from './gateway/http-route.js'
import { routeVerdict } from './gateway/route-status.js'
import { canaryPatch, revertPatch } from './gateway/route-write.js'
import type { SplitServices } from './gateway/weights.js'

export interface GatewayView {
  web: V1Deployment
  /** The Service selecting the web Deployment's pods: the backend the canary goes beside. */
  service?: V1Service
  /** The user's HTTPRoute as read; undefined when it does not exist. */
  route?: HTTPRoute
  /** Every HTTPRoute of the namespace with the canary Service among its backendRefs, by name. */
  canaryRoutes: string[]
}

const weightsOf = (settings: Settings): number[] =>
  settings.canary.steps.length ? settings.canary.steps : [settings.canary.weight]

function routeRef(settings: Settings): ObjectRef {
  return { kind: HTTP_ROUTE_KIND, apiVersion: HTTP_ROUTE_API_VERSION, name: settings.gateway.route }
}

function canaryServiceRef(settings: Settings): ObjectRef {
  return { kind: 'Service', apiVersion: 'v1', name: canaryName(settings.app) }
}

function splitServices(settings: Settings, view: GatewayView): SplitServices {
  return {
    namespace: settings.cluster.namespace,
    stableService: view.service?.metadata?.name ?? '',
    canaryService: canaryName(settings.app)
  }
}

function notFound(settings: Settings, view: GatewayView): RouteError {
  const service = view.service?.metadata?.name ?? settings.app
  return new RouteError(
    `HTTPRoute ${settings.cluster.namespace}/${settings.gateway.route} not found: the gateway strategy adds the canary to the HTTPRoute that sends Service ${service} its traffic; create it (examples/k8s-gateway/httproute.yaml), or set \`route\` to its name`
  )
}

/** The route write of one step: computed from the route as it is when written. */
function stepChange(settings: Settings, view: GatewayView, percent: number): Change {
  const services = splitServices(settings, view)
  const step = { percent, header: settings.gateway.header }
  return current => {
    if (!current) throw notFound(settings, view)
    return canaryPatch(current as HTTPRoute, services, step, settings.run.source)
  }
}

function describeStep(settings: Settings, view: GatewayView, percent: number): string {
  const { header } = settings.gateway
  const service = view.service?.metadata?.name ?? ''
  return `${percent}% of ${service}'s traffic${header ? `; ${header.name}: ${header.value} to the canary` : ''}`
}

/**
 * The route's standing for `generation`, as a wait judges it. `gone`: what a deleted route means
 * (to a step, failure; to a withdrawal, nothing left that could send the canary traffic).
 */
function judgeRoute(
  route: HTTPRoute | undefined,
  generation: number | undefined,
  gone: ObjectVerdict = { state: 'failed', message: 'the HTTPRoute was deleted' }
): ObjectVerdict {
  if (!route) return gone
  const verdict = routeVerdict(route, generation)
  if (verdict.state === 'accepted') return { state: 'done' }
  return { state: verdict.state === 'refused' ? 'failed' : 'pending', message: verdict.summary }
}

/** Until every parent Gateway accepts `route`'s generation as written, within `timeout`. */
async function untilAccepted(
  settings: Settings,
  cluster: Cluster,
  route: HTTPRoute,
  signal: AbortSignal,
  gone?: ObjectVerdict
): Promise<void> {
  const generation = route.metadata?.generation
  await waitForObject<HTTPRoute>(
    cluster,
    refOf(route),
    `${routeName(route)} generation ${generation ?? '?'} to be accepted`,
    current => judgeRoute(current, generation, gone),
    { timeoutMs: settings.timeoutMs, logger: new MemoryLogger(), signal }
  )
}

export const gatewayRouter: Router<GatewayView> = {
  async observe(reads: Reads, stables: V1Deployment[]): Promise<GatewayView> {
    const web = stables[0]
    const service = await findStableService(reads, web)
    const ref = routeRef(reads.settings)
    const route = await reads.read<HTTPRoute>(ref).catch((error: unknown) => {
      // A read answers undefined for a missing route: a 404 here is the API group's discovery.
      if (!(error instanceof KubeError) || error.status !== 404) throw error
      throw new RouteError(
        `the cluster does not serve ${ref.kind} in ${ref.apiVersion}: the gateway strategy needs the Gateway API CRDs (standard channel) and an implementation; install them, or choose another strategy`
      )
    })
    const routes = await reads.list<HTTPRoute>({
      kind: HTTP_ROUTE_KIND,
      apiVersion: HTTP_ROUTE_API_VERSION
    })
    const canary = canaryName(reads.settings.app)
    const canaryRoutes = routes
      .filter(r => sendsTo(r, canary, reads.settings.cluster.namespace))
      .map(r => r.metadata?.name ?? '')
    return { web, service, route, canaryRoutes }
  },

  preflight(settings: Settings, view: GatewayView, warn: Warn) {
    requireService(settings, view, warn)
    const { route } = view
    if (!route) throw notFound(settings, view)
    // Every step is computed now, so a route that cannot take one is refused before any write.
    const services = splitServices(settings, view)
    for (const percent of weightsOf(settings))
      rulesWithCanary(route, services, { percent, header: settings.gateway.header })
    const verdict = routeVerdict(route)
    if (verdict.state === 'refused') {
      throw new RouteError(
        `${verdict.summary}; its Gateway would refuse the canary's routes too: fix the route first`
      )
    }
  },

  expose({ settings }, view): ExposeStep[] {
    const service = canaryService(
      settings,
      view.web,
      requireService(settings, view, () => {})
    )
    const ref = routeRef(settings)
    const [first, ...later] = weightsOf(settings)
    const routeWrite = (percent: number) =>
      modifyOf(
        'route',
        ref,
        stepChange(settings, view, percent),
        describeStep(settings, view, percent)
      )
    return [
      { weight: first, writes: [applyOf('service', service), routeWrite(first)] },
      ...later.map(weight => ({ weight, writes: [routeWrite(weight)] }))
    ]
  },

  exposure({ settings }) {
    const weights = weightsOf(settings)
    const { header } = settings.gateway
    const service = canaryMetadata(settings).name
    return {
      detail: `Service ${service}, HTTPRoute ${settings.gateway.route} at ${weights[weights.length - 1]}%`,
      ...(header
        ? { facts: [['canary header', `${header.name}: ${header.value}`] as [string, string]] }
        : {})
    }
  },

  /** After a route write: every parent Gateway accepts its generation, within `timeout`. */
  async verify(settings, cluster, written, signal): Promise<void> {
    if (written.kind !== HTTP_ROUTE_KIND) return
    await untilAccepted(settings, cluster, written as HTTPRoute, signal)
  },

  /**
   * After the withdrawal: until the Gateway accepts the route without the canary, it still sends
   * the canary its share, so the canary Service (deleted next) must stay. Unchanged, an earlier
   * run withdrew it; while that run's Service is still there, its withdrawal may not be taken yet.
   */
  async withdrawn(settings, cluster, written, changed, signal): Promise<void> {
    if (written.kind !== HTTP_ROUTE_KIND) return
    const route = written as HTTPRoute
    const service = canaryServiceRef(settings)
    if (!changed && !(await read(cluster, service))) return
    try {
      await untilAccepted(settings, cluster, route, signal, { state: 'done' })
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      throw new RouteError(
        `${why}; until the Gateway accepts the route without the canary, it may still send the canary traffic, so Service ${settings.cluster.namespace}/${service.name} and the canary Deployments are kept: fix what the Gateway reports (or let it catch up), then run rollback to remove them`
      )
    }
  },

  promote: () => [],

  withdraw(settings, view) {
    // The canary Service goes next: no route may be left sending it traffic. One `route` does not
    // name (a promote or rollback run without the input deploy had) is refused before any write.
    const elsewhere = view.canaryRoutes.filter(name => name !== settings.gateway.route)
    if (elsewhere.length > 0) {
      const ns = settings.cluster.namespace
      const names = elsewhere.map(name => `HTTPRoute ${ns}/${name}`).join(', ')
      throw new RouteError(
        `Service ${ns}/${canaryName(settings.app)} is a backend of ${names}, which \`route\` (${settings.gateway.route}) does not name: taking the canary out of ${settings.gateway.route} alone would leave ${elsewhere.length > 1 ? 'them' : 'it'} sending traffic to a deleted Service; run again with route: ${elsewhere[0]} (the route deploy put the canary in)`
      )
    }
    const services = splitServices(settings, view)
    const revert: Change = current => current && revertPatch(current as HTTPRoute, services)
    const removed = `canary backendRef${settings.gateway.header ? ' and header rule' : ''} removed`
    return [
      modifyOf('route', routeRef(settings), revert, removed),
      deleteOf('service', canaryServiceRef(settings))
    ]
  },

  revert: () => []
}

/** Whether a rule of `route` sends traffic to Service `service` (in the route's namespace). */
function sendsTo(route: HTTPRoute, service: string, namespace: string): boolean {
  return (route.spec?.rules ?? []).some(rule =>
    (rule.backendRefs ?? []).some(
      ref =>
        (ref.group ?? '') === '' &&
        (ref.kind ?? 'Service') === 'Service' &&
        ref.name === service &&
        (ref.namespace ?? route.metadata?.namespace ?? namespace) === namespace
    )
  )
}
