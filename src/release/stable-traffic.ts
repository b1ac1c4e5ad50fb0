/**
 * The Service and Ingress in front of a stable Deployment, as routers and the rainbow workload
 * find them. They are only ever read here; what is written to them is a router's plan.
 */
import type { V1Deployment, V1Ingress, V1Service } from '@kubernetes/client-node'
import { LABEL_RELEASE, LABEL_TRACK } from '../k8s/labels.js'
import { selects } from '../k8s/selectors.js'
import type { Reads } from './reads.js'

const byName = (a: { metadata?: { name?: string } }, b: { metadata?: { name?: string } }) =>
  (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')

/**
 * The Service in front of a stable Deployment: its selector (less a rainbow release key, which
 * moves from release to release) matches the stable pod template's labels. First by name if several.
 */
export async function findStableService(
  reads: Reads,
  stable: V1Deployment
): Promise<V1Service | undefined> {
  const labels = stable.spec?.template.metadata?.labels ?? {}
  const services = await reads.list<V1Service>({ kind: 'Service' })
  return services
    .filter(service => service.metadata?.labels?.[LABEL_TRACK] !== 'canary')
    .sort(byName)
    .find(service => {
      const selector = { ...(service.spec?.selector ?? {}) }
      delete selector[LABEL_RELEASE]
      return selects(selector, labels)
    })
}

/** The Ingress that routes to the stable Service (a rule's path or its default backend). */
export async function findStableIngress(
  reads: Reads,
  serviceName: string
): Promise<V1Ingress | undefined> {
  const ingresses = await reads.list<V1Ingress>({ kind: 'Ingress' })
  return ingresses
    .filter(ingress => ingress.metadata?.labels?.[LABEL_TRACK] !== 'canary')
    .sort(byName)
    .find(
      ingress =>
        ingress.spec?.defaultBackend?.service?.name === serviceName ||
        (ingress.spec?.rules ?? []).some(rule =>
          (rule.http?.paths ?? []).some(path => path.backend.service?.name === serviceName)
        )
    )
}
