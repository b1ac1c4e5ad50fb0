/**
 * replicas (the default): a canary Deployment beside each stable one; its pods carry the `app`
 * label, so the shared Service gives it traffic by replica ratio. Promotion puts the image on
 * stable in place, then the canaries go.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { read } from '../../k8s/objects.js'
import { selectorString } from '../../k8s/selectors.js'
import { canaryName, LABEL_TRACK } from '../../k8s/labels.js'
import { canaryFromStable } from '../../k8s/render.js'
import { removeCanaries } from '../release.js'
import { promoteInPlace } from './in-place.js'
import type { ReleaseStrategy } from './types.js'

export const replicas: ReleaseStrategy = {
  releaseName: stable => canaryName(stable.metadata?.name ?? ''),
  render: (stable, release, settings) =>
    canaryFromStable(stable, release, { replicas: settings.canary.replicas }),
  podSelector: canary => `${selectorString(canary.spec?.selector)},${LABEL_TRACK}=canary`,
  async find(run, stable) {
    const name = canaryName(stable)
    return { name, deployment: await read<V1Deployment>(run.cluster, { kind: 'Deployment', name }) }
  },
  promote: (run, stables, _releases, release, approver) =>
    promoteInPlace(run, stables, release, approver),
  history: async () => [],
  prune: async () => undefined,
  retire: run => removeCanaries(run.cluster, run.settings.deployments, run.logger),
  rollback: run => removeCanaries(run.cluster, run.settings.deployments, run.logger),
  discard: run => removeCanaries(run.cluster, run.settings.deployments, run.logger)
}
