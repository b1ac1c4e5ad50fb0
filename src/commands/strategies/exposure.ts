/**
 * The canary's own Service and Ingress (ingress-host, ingress-weight), both named `<app>-canary`:
 * found, rendered and removed here. The stable Service and Ingress are only read, never written.
 */
import type {
  V1Deployment,
  V1Ingress,
  V1IngressRule,
  V1Service,
  V1ServicePort
} from '@kubernetes/client-node'
import { list, remove } from '../../k8s/objects.js'
import { selects } from '../../k8s/selectors.js'
import type { Cluster } from '../../k8s/client.js'
import {
  ANNOTATION_SOURCE,
  ANNOTATION_VERSION,
  LABEL_APP,
  LABEL_RELEASE,
  LABEL_TRACK,
  canaryName
} from '../../k8s/labels.js'
import type { Logger } from '../../logger.js'
import type { Settings } from '../../settings.js'
import { sourceOf } from '../release.js'

/**
 * The Service in front of a stable Deployment: its selector (less a rainbow release key, which
 * moves from release to release) matches the stable pod template's labels. First by name if several.
 */
export async function findStableService(
  cluster: Cluster,
  stable: V1Deployment
): Promise<V1Service | undefined> {
  const labels = stable.spec?.template.metadata?.labels ?? {}
  const services = await list<V1Service>(cluster, { kind: 'Service' })
  return services
    .filter(service => service.metadata?.labels?.[LABEL_TRACK] !== 'canary')
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .find(service => {
      const selector = { ...(service.spec?.selector ?? {}) }
      delete selector[LABEL_RELEASE]
      return selects(selector, labels)
    })
}

/** The Ingress that routes to the stable Service (a rule's path or its default backend). */
export async function findStableIngress(
  cluster: Cluster,
  serviceName: string
): Promise<V1Ingress | undefined> {
  const ingresses = await list<V1Ingress>(cluster, { kind: 'Ingress' })
  return ingresses
    .filter(ingress => ingress.metadata?.labels?.[LABEL_TRACK] !== 'canary')
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .find(
      ingress =>
        ingress.spec?.defaultBackend?.service?.name === serviceName ||
        (ingress.spec?.rules ?? []).some(rule =>
          (rule.http?.paths ?? []).some(path => path.backend.service?.name === serviceName)
        )
    )
}

/** Labels and annotations every canary Service and Ingress carries (DESIGN.md, cluster contract). */
function canaryMetadata(settings: Settings, annotations: Record<string, string> = {}) {
  return {
    name: canaryName(settings.app),
    labels: {
      [LABEL_APP]: settings.app,
      [LABEL_TRACK]: 'canary',
      [ANNOTATION_VERSION]: settings.version
    },
    annotations: {
      ...annotations,
      [ANNOTATION_VERSION]: settings.version,
      [ANNOTATION_SOURCE]: sourceOf(settings)
    }
  }
}

/** `<app>-canary`: selects the web canary's pods, with the stable Service's ports. */
export function canaryService(
  settings: Settings,
  webStable: V1Deployment,
  stableService: V1Service
): V1Service {
  const appLabel = webStable.spec?.template.metadata?.labels?.[LABEL_APP]
  if (!appLabel) {
    throw new Error(
      `the pod template of ${webStable.metadata?.name} has no ${LABEL_APP} label for the canary Service to select on`
    )
  }
  const ports: V1ServicePort[] = (stableService.spec?.ports ?? []).map(port => ({
    ...(port.name ? { name: port.name } : {}),
    port: port.port,
    ...(port.targetPort !== undefined ? { targetPort: port.targetPort } : {}),
    ...(port.protocol ? { protocol: port.protocol } : {})
  }))
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: canaryMetadata(settings),
    spec: { selector: { [LABEL_APP]: appLabel, [LABEL_TRACK]: 'canary' }, ports }
  }
}

/** The backend port of the canary Service: its first port, by name when it has one. */
function backendPort(service: V1Service): { name: string } | { number: number } {
  const port = service.spec?.ports?.[0]
  if (!port) throw new Error(`Service ${service.metadata?.name} has no port`)
  return port.name ? { name: port.name } : { number: port.port }
}

/** ingress-host: one rule, `canary-host` -> the canary Service; class and TLS secret as stable's. */
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

/** NGINX Ingress canary annotations (ingress-nginx "Canary" docs). */
export const NGINX_CANARY = 'nginx.ingress.kubernetes.io/canary'
export const NGINX_CANARY_WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight'

/**
 * ingress-weight: the stable Ingress's hosts and paths, every backend the canary Service, marked
 * as an NGINX canary taking `weight` percent of their traffic.
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

/** Deletes the canary Ingress, then its Service; says which existed. */
export async function removeExposure(
  cluster: Cluster,
  settings: Settings,
  logger: Logger
): Promise<string[]> {
  const name = canaryName(settings.app)
  const removed: string[] = []
  for (const kind of ['Ingress', 'Service']) {
    if (await remove(cluster, { kind, name })) {
      logger.info(`${kind} ${name}: deleted`)
      removed.push(`${kind} ${name}`)
    }
  }
  return removed
}
