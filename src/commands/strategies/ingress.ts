/**
 * What ingress-host and ingress-weight share: the canary Deployments of `replicas`, plus a Service
 * and an Ingress of their own, found from and shaped like the stable ones, and removed with them.
 */
import type { V1Deployment, V1Ingress, V1Service } from '@kubernetes/client-node'
import { LABEL_TRACK, ANNOTATION_VERSION } from '../../k8s/labels.js'
import { removeCanaries } from '../release.js'
import { canaryService, findStableIngress, findStableService, removeExposure } from './exposure.js'
import { selects } from '../../k8s/selectors.js'
import { replicas } from './replicas.js'
import type { ReleaseStrategy, StrategyRun } from './types.js'

export interface StableExposure {
  web: V1Deployment
  service: V1Service
  ingress?: V1Ingress
}

/** The web Deployment's stable Service (required) and the Ingress in front of it (if any). */
export async function readStableExposure(
  run: StrategyRun,
  stables: V1Deployment[]
): Promise<StableExposure> {
  const web = stables[0]
  const service = await findStableService(run.cluster, web)
  if (!service) {
    throw new Error(
      `no Service selects the pods of ${web.metadata?.name}: the ${run.settings.strategy} strategy copies its ports to the canary Service`
    )
  }
  const templateLabels = web.spec?.template.metadata?.labels ?? {}
  const canaryLabels = {
    ...templateLabels,
    [LABEL_TRACK]: 'canary',
    [ANNOTATION_VERSION]: run.settings.version
  }
  if (selects(service.spec?.selector, canaryLabels)) {
    run.logger.warning(
      `Service ${service.metadata?.name} selects the canary's pods too (selector ${JSON.stringify(service.spec?.selector)}), so stable traffic reaches the canary by replica ratio as well; add ${LABEL_TRACK}: stable to its selector to keep the canary behind its own Ingress only`
    )
  }
  const ingress = await findStableIngress(run.cluster, service.metadata?.name ?? '')
  return { web, service, ingress }
}

/** The canary Service, from the stable one. */
export function exposedService(run: StrategyRun, stable: StableExposure): V1Service {
  return canaryService(run.settings, stable.web, stable.service)
}

async function removeAll(run: StrategyRun): Promise<string[]> {
  const exposure = await removeExposure(run.cluster, run.settings, run.logger)
  const canaries = await removeCanaries(run.cluster, run.settings.deployments, run.logger)
  return [...canaries, ...exposure]
}

/** replicas' canaries and in-place promotion, with `expose` and `prepare` of the strategy's own. */
export function withIngress(own: Pick<ReleaseStrategy, 'prepare' | 'expose'>): ReleaseStrategy {
  return {
    ...replicas,
    ...own,
    retire: removeAll,
    rollback: removeAll,
    discard: removeAll
  }
}
