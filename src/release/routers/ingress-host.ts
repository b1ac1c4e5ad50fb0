/**
 * The ingress-host router: the canary gets its own Service and an Ingress rule for `canary-host`
 * (e.g. canary.example.com), so people can try it on purpose; the stable Ingress is not touched.
 */
import type { V1Ingress, V1Service } from '@kubernetes/client-node'
import type { Settings } from '../../settings.js'
import type { Router } from '../types.js'
import { applyOf } from '../writes.js'
import {
  backendPort,
  canaryMetadata,
  canaryService,
  readStableExposure,
  requireService,
  withdrawExposure,
  type StableExposure
} from './canary-exposure.js'

/** One rule, `canary-host` -> the canary Service; class and TLS secret as the stable Ingress's. */
export function canaryHostIngress(
  settings: Settings,
  service: V1Service,
  host: string,
  stableIngress?: V1Ingress
): V1Ingress {
  // A wildcard certificate (*.example.com) on the stable Ingress covers the canary host too.
  const secretName = stableIngress?.spec?.tls?.find(tls => tls.secretName)?.secretName
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: canaryMetadata(settings),
    spec: {
      ...(stableIngress?.spec?.ingressClassName
        ? { ingressClassName: stableIngress.spec.ingressClassName }
        : {}),
      ...(secretName ? { tls: [{ hosts: [host], secretName }] } : {}),
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: {
                  service: { name: service.metadata?.name ?? '', port: backendPort(service) }
                }
              }
            ]
          }
        }
      ]
    }
  }
}

function canaryHost(settings: Settings): string {
  const host = settings.canary.host
  if (!host) throw new Error('the ingress-host strategy needs canary-host')
  return host
}

export const ingressHostRouter: Router<StableExposure> = {
  observe: readStableExposure,

  preflight(settings, view, warn) {
    requireService(settings, view, warn)
    canaryHost(settings)
  },

  expose({ settings }, view) {
    const service = canaryService(
      settings,
      view.web,
      requireService(settings, view, () => {})
    )
    const ingress = canaryHostIngress(settings, service, canaryHost(settings), view.ingress)
    return [{ writes: [applyOf('service', service), applyOf('route', ingress)] }]
  },

  exposure({ settings }, view) {
    const host = canaryHost(settings)
    const scheme = view.ingress?.spec?.tls?.some(tls => tls.secretName) ? 'https' : 'http'
    const name = canaryMetadata(settings).name
    return {
      detail: `Service ${name}, Ingress ${name}: ${scheme}://${host}`,
      facts: [['canary url', `${scheme}://${host}`]]
    }
  },

  promote: () => [],
  withdraw: settings => withdrawExposure(settings),
  revert: () => []
}
