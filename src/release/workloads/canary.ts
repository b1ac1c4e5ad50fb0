/**
 * The canary workload (replicas, ingress-host, ingress-weight): `<deployment>-canary` beside each
 * stable Deployment, the stable pod template with the new image and its own replica count; its
 * pods carry track=canary. Promotion puts the image on each stable Deployment in place, one after
 * another, each rollout waited for; then the canaries go.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { canaryName, LABEL_TRACK } from '../../k8s/labels.js'
import { selectorString } from '../../k8s/selectors.js'
import type { Settings } from '../../settings.js'
import {
  canaryFromStable,
  promotedFromManifest,
  promotedStable,
  targetContainer
} from '../render.js'
import type { Workload, Write } from '../types.js'
import { applyOf, deleteOf } from '../writes.js'

function deleteCanaries(settings: Settings): Write[] {
  return settings.deployments.map(stable =>
    deleteOf('release', { kind: 'Deployment', name: canaryName(stable) })
  )
}

export const canaryWorkload: Workload<void> = {
  observe: async () => undefined,
  preflight: () => undefined,
  name: stable => canaryName(stable),
  render: (template, release, settings) =>
    canaryFromStable(template, release, { replicas: settings.canary.replicas }),
  podSelector: canary => `${selectorString(canary.spec?.selector)},${LABEL_TRACK}=canary`,
  find: (reads, stable) =>
    reads.read<V1Deployment>({ kind: 'Deployment', name: canaryName(stable) }),

  promote: ({ stables, release, approver, manifests }) =>
    stables.map(stable => {
      const manifest = manifests.deployments.get(stable.metadata?.name ?? '')
      const body = manifest
        ? promotedFromManifest(manifest, release, approver)
        : promotedStable(stable, release, approver)
      const before = targetContainer(
        stable.spec?.template.spec ?? { containers: [] },
        release.container
      ).image
      // Promotion takes the image field over from whoever set it (kubectl, a Helm release).
      return applyOf('stable', body, {
        force: true,
        rollout: true,
        says: `image \`${before}\` -> \`${release.imageRef}\``
      })
    }),
  retire: settings => deleteCanaries(settings),
  discard: settings => deleteCanaries(settings),
  rollback: ({ settings }) => deleteCanaries(settings),
  history: async () => [],
  prune: async () => undefined
}
