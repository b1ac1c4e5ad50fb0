/**
 * A release defined by manifests (the `manifests` input): the stable Deployments as the manifests
 * define them, which deploy derives the canary and migration from and promote makes stable, and
 * every other object, which promote applies before the stable Deployments and puts back on failure.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node'
import { repositoryOf } from '../image/image-ref.js'
import { apply, read, remove } from '../k8s/objects.js'
import type { Cluster } from '../k8s/client.js'
import { loadManifests, objectLabel, substituteImage } from '../k8s/manifests.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings.js'

export interface ReleaseManifests {
  /** Stable Deployments found in the manifests, by name, with the release image when known. */
  deployments: Map<string, V1Deployment>
  /** Everything else in the manifests (ConfigMaps, Services, ...), with the release image. */
  others: KubernetesObject[]
}

export function releaseManifests(settings: Settings, imageRef?: string): ReleaseManifests {
  const loaded = loadManifests(settings.manifests)
  const objects = imageRef ? substituteImage(loaded, repositoryOf(imageRef), imageRef) : loaded
  const deployments = new Map<string, V1Deployment>()
  const others: KubernetesObject[] = []
  for (const object of objects) {
    const name = object.metadata?.name ?? ''
    if (object.kind === 'Deployment' && settings.deployments.includes(name)) {
      deployments.set(name, object as V1Deployment)
    } else {
      others.push(object)
    }
  }
  return { deployments, others }
}

/** The pod template a release is derived from: the manifests' Deployment, else the live one. */
export function releaseTemplates(
  stables: V1Deployment[],
  manifests: ReleaseManifests
): V1Deployment[] {
  return stables.map(stable => manifests.deployments.get(stable.metadata?.name ?? '') ?? stable)
}

/**
 * Applies the other manifest objects; returns how to put each back as it was (deleted when it
 * did not exist), so a failed promotion leaves nothing of the release behind.
 */
export async function applyOthers(
  cluster: Cluster,
  objects: KubernetesObject[],
  logger: Logger
): Promise<() => Promise<void>> {
  const undo: (() => Promise<unknown>)[] = []
  for (const object of objects) {
    const ref = {
      kind: object.kind ?? '',
      apiVersion: object.apiVersion,
      name: object.metadata?.name ?? '',
      namespace: object.metadata?.namespace
    }
    const before = await read(cluster, ref)
    await apply(cluster, object)
    logger.info(`${objectLabel(object)}: applied`)
    undo.unshift(() => (before ? apply(cluster, before, { force: true }) : remove(cluster, ref)))
  }
  return async () => {
    for (const step of undo) await step()
  }
}
