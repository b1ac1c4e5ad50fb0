/**
 * The ingress-weight router (legacy: ingress-nginx): an NGINX canary Ingress beside the stable
 * one, with the stable Ingress's hosts and paths, taking `canary-weight` percent of its traffic,
 * or moving through `steps`, one merge PATCH of the weight annotation per step.
 */
import type { V1Ingress, V1IngressRule, V1Service } from '@kubernetes/client-node'
import type { Settings } from '../../settings.js'
import type { ExposeStep, Router } from '../types.js'
import { applyOf, patchOf } from '../writes.js'
import {
  backendPort,
  canaryMetadata,
  canaryService,
  readStableExposure,
  requireService,
  withdrawExposure,
  type StableExposure
} from './canary-exposure.js'

/** NGINX Ingress canary annotations (ingress-nginx "Canary" docs). */
export const NGINX_CANARY = 'nginx.ingress.kubernetes.io/canary'
export const NGINX_CANARY_WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight'

/**
 * The stable Ingress's hosts and paths, every backend the canary Service, marked as an NGINX
 * canary taking `weight` percent of their traffic.
 */
export function weightedIngress(
  settings: Settings,
  service: V1Service,
  stableIngress: V1Ingress,
  stableServiceName: string,
  weight: number
): V1Ingress {
  const name = service.metadata?.name ?? ''
  const rules: V1IngressRule[] = (stableIngress.spec?.rules ?? []).map(rule => ({
    ...(rule.host ? { host: rule.host } : {}),
    http: {
      paths: (rule.http?.paths ?? [])
        .filter(path => path.backend.service?.name === stableServiceName)
        .map(path => ({
          ...(path.path ? { path: path.path } : {}),
          pathType: path.pathType,
          backend: { service: { name, port: path.backend.service?.port ?? backendPort(service) } }
        }))
    }
  }))
  const withPaths = rules.filter(rule => (rule.http?.paths.length ?? 0) > 0)
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: canaryMetadata(settings, {
      [NGINX_CANARY]: 'true',
      [NGINX_CANARY_WEIGHT]: String(weight)
    }),
    spec: {
      ...(stableIngress.spec?.ingressClassName
        ? { ingressClassName: stableIngress.spec.ingressClassName }
        : {}),
      ...(stableIngress.spec?.tls ? { tls: structuredClone(stableIngress.spec.tls) } : {}),
      ...(withPaths.length > 0
        ? { rules: withPaths }
        : { defaultBackend: { service: { name, port: backendPort(service) } } })
    }
  }
}

const weightsOf = (settings: Settings): number[] =>
  settings.canary.steps.length ? settings.canary.steps : [settings.canary.weight]

function requireIngress(settings: Settings, view: StableExposure): V1Ingress {
  const service = requireService(settings, view, () => {})
  if (!view.ingress) {
    throw new Error(
      `no Ingress routes to Service ${service.metadata?.name}: the ingress-weight strategy puts an NGINX canary Ingress beside it`
    )
  }
  return view.ingress
}

export const ingressWeightRouter: Router<StableExposure> = {
  observe: readStableExposure,

  preflight(settings, view, warn) {
    requireService(settings, view, warn)
    requireIngress(settings, view)
  },

  expose({ settings }, view) {
    const stableIngress = requireIngress(settings, view)
    const stableService = requireService(settings, view, () => {})
    const service = canaryService(settings, view.web, stableService)
    const [first, ...later] = weightsOf(settings)
    const ingress = weightedIngress(
      settings,
      service,
      stableIngress,
      stableService.metadata?.name ?? '',
      first
    )
    const ref = {
      kind: 'Ingress',
      apiVersion: 'networking.k8s.io/v1',
      name: ingress.metadata?.name ?? ''
    }
    const steps: ExposeStep[] = [
      {
        weight: first,
        writes: [
          applyOf('service', service),
          applyOf('route', ingress, {
            says: `${first}% of ${stableIngress.metadata?.name}'s traffic`
          })
        ]
      }
    ]
    for (const weight of later) {
      steps.push({
        weight,
        writes: [
          // Only the weight annotation changes: nothing else on the Ingress is rewritten.
          patchOf(
            'route',
            ref,
            { metadata: { annotations: { [NGINX_CANARY_WEIGHT]: String(weight) } } },
            `${weight}%`
          )
        ]
      })
    }
    return steps
  },

  exposure({ settings }) {
    const weights = weightsOf(settings)
    const name = canaryMetadata(settings).name
    return { detail: `Service ${name}, Ingress ${name} at ${weights[weights.length - 1]}%` }
  },

  promote: () => [],
  withdraw: settings => withdrawExposure(settings),
  revert: () => []
}
