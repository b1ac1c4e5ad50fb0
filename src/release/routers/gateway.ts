/**
 * The gateway router (Gateway API): the canary's own Service `<app>-canary`, added to the user's
 * HTTPRoute (`route`) as a weighted backendRef beside the stable Service in every rule that sends it
 * traffic, step by step (`steps`, else `canary-weight`), with an optional header rule
 * (`canary-header`). Each route write is a merge patch computed from the route as it is when written
 * (the modify verb: on 409 it is read and computed again), and deploy then waits until every parent
 * Gateway accepts that generation (verify). Withdrawing takes the canary out of the route first, then
 * deletes its Service. The route itself is never created or deleted; the rules' logic is in gateway/.
 */
import type { KubernetesObject, V1Deployment, V1Service } from '@kubernetes/client-node'
import type { Cluster } from '../../k8s/client.js'
import { KubeError } from '../../k8s/errors.js'
import { canaryName } from '../../k8s/labels.js'
import { refOf, type ObjectRef } from '../../k8s/objects.js'
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
}

const weightsOf = (settings: Settings): number[] =>
  settings.canary.steps.length ? settings.canary.steps : [settings.canary.weight]

function routeRef(settings: Settings): ObjectRef {
  return { kind: HTTP_ROUTE_KIND, apiVersion: HTTP_ROUTE_API_VERSION, name: settings.gateway.route }
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

/** The route's standing for `generation`, as a wait judges it. */
function judgeRoute(route: HTTPRoute | undefined, generation: number | undefined): ObjectVerdict {
  if (!route) return { state: 'failed', message: 'the HTTPRoute was deleted' }
  const verdict = routeVerdict(route, generation)
  if (verdict.state === 'accepted') return { state: 'done' }
  return { state: verdict.state === 'refused' ? 'failed' : 'pending', message: verdict.summary }
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
    return { web, service, route }
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
  async verify(
    settings: Settings,
    cluster: Cluster,
    written: KubernetesObject,
    signal: AbortSignal
  ): Promise<void> {
    if (written.kind !== HTTP_ROUTE_KIND) return
    const route = written as HTTPRoute
    const generation = route.metadata?.generation
    await waitForObject<HTTPRoute>(
      cluster,
      refOf(route),
      `${routeName(route)} generation ${generation ?? '?'} to be accepted`,
      current => judgeRoute(current, generation),
      { timeoutMs: settings.timeoutMs, logger: new MemoryLogger(), signal }
    )
  },

  promote: () => [],

  withdraw(settings, view) {
    const services = splitServices(settings, view)
    const revert: Change = current => current && revertPatch(current as HTTPRoute, services)
    const removed = `canary backendRef${settings.gateway.header ? ' and header rule' : ''} removed`
    return [
      modifyOf('route', routeRef(settings), revert, removed),
      deleteOf('service', { kind: 'Service', name: canaryName(settings.app), apiVersion: 'v1' })
    ]
  },

  revert: () => []
}
