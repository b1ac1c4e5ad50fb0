/**
 * What the ingress routers share: the web Deployment's stable Service (whose ports the canary
 * Service copies) and the Ingress in front of it, read once; the canary's own Service, `<app>-canary`,
 * selecting only canary pods; and withdrawing both. The stable Service and Ingress are only read.
 */
import type { V1Deployment, V1Ingress, V1Service, V1ServicePort } from '@kubernetes/client-node'
import {
  ANNOTATION_SOURCE,
  ANNOTATION_VERSION,
  LABEL_APP,
  LABEL_TRACK,
  LABEL_VERSION,
  canaryName
} from '../../k8s/labels.js'
import { selects } from '../../k8s/selectors.js'
import type { Settings } from '../../settings.js'
import type { Reads } from '../reads.js'
import { findStableIngress, findStableService } from '../stable-traffic.js'
import type { Warn, Write } from '../types.js'
import { deleteOf } from '../writes.js'

export interface StableExposure {
  web: V1Deployment
  service?: V1Service
  ingress?: V1Ingress
}

/** The web Deployment's stable Service and the Ingress in front of it, as they are. */
export async function readStableExposure(
  reads: Reads,
  stables: V1Deployment[]
): Promise<StableExposure> {
  const web = stables[0]
  const service = await findStableService(reads, web)
  const ingress = service ? await findStableIngress(reads, service.metadata?.name ?? '') : undefined
  return { web, service, ingress }
}

/** The stable Service is required (its ports are copied); one selecting canary pods is warned about. */
export function requireService(settings: Settings, view: StableExposure, warn: Warn): V1Service {
  const { web, service } = view
  if (!service) {
    throw new Error(
      `no Service selects the pods of ${web.metadata?.name}: the ${settings.strategy} strategy copies its ports to the canary Service`
    )
  }
  const canaryLabels = {
    ...(web.spec?.template.metadata?.labels ?? {}),
    [LABEL_TRACK]: 'canary',
    [LABEL_VERSION]: settings.version
  }
  if (selects(service.spec?.selector, canaryLabels)) {
    warn(
      `Service ${service.metadata?.name} selects the canary's pods too (selector ${JSON.stringify(service.spec?.selector)}), so stable traffic reaches the canary by replica ratio as well; add ${LABEL_TRACK}: stable to its selector so the canary gets only the traffic the ${settings.strategy} strategy sends it`
    )
  }
  return service
}

/** Labels and annotations every canary Service and Ingress carries (DESIGN.md, cluster contract). */
export function canaryMetadata(settings: Settings, annotations: Record<string, string> = {}) {
  return {
    name: canaryName(settings.app),
    labels: {
      [LABEL_APP]: settings.app,
      [LABEL_TRACK]: 'canary',
      [LABEL_VERSION]: settings.version
    },
    annotations: {
      ...annotations,
      [ANNOTATION_VERSION]: settings.version,
      [ANNOTATION_SOURCE]: settings.run.source
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
export function backendPort(service: V1Service): { name: string } | { number: number } {
  const port = service.spec?.ports?.[0]
  if (!port) throw new Error(`Service ${service.metadata?.name} has no port`)
  return port.name ? { name: port.name } : { number: port.port }
}

/** Deletes the canary Ingress, then its Service. */
export function withdrawExposure(settings: Settings): Write[] {
  const name = canaryName(settings.app)
  return [
    deleteOf('route', { kind: 'Ingress', name, apiVersion: 'networking.k8s.io/v1' }),
    deleteOf('service', { kind: 'Service', name, apiVersion: 'v1' })
  ]
}
