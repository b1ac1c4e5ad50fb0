/**
 * A release defined by manifests (the `manifests` input): the stable Deployments as the manifests
 * define them, which deploy derives the canary and migration from and promote makes stable, and
 * every other object, which promote applies before the stable Deployments and puts back on failure;
 * in all of them the release image goes into the containers that run the repository's image.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node'
import { parseImageRef, repositoryOf } from '../image/image-ref.js'
import { loadManifests, ManifestError } from '../k8s/manifests.js'
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

/** The kinds whose pod templates carry the release image. */
const WORKLOAD_KINDS = new Set(['Deployment', 'Job', 'CronJob', 'StatefulSet', 'DaemonSet', 'Pod'])

/** The registry and repository of an image, normalised (nginx = docker.io/library/nginx). */
function repositoryKey(image: string): string | undefined {
  try {
    const ref = parseImageRef(image)
    return `${ref.registry}/${ref.repository}`
  } catch {
    return undefined
  }
}

interface ContainerLike {
  image?: string
}

/** The pod spec inside a workload: Pod, a template (Deployment...), or a CronJob's job template. */
function podSpecOf(object: KubernetesObject): Record<string, unknown> | undefined {
  const record = object as unknown as Record<string, unknown>
  const at = (value: unknown, ...keys: string[]): unknown =>
    keys.reduce<unknown>(
      (current, key) =>
        typeof current === 'object' && current !== null
          ? (current as Record<string, unknown>)[key]
          : undefined,
      value
    )
  const spec =
    object.kind === 'Pod'
      ? at(record, 'spec')
      : object.kind === 'CronJob'
        ? at(record, 'spec', 'jobTemplate', 'spec', 'template', 'spec')
        : at(record, 'spec', 'template', 'spec')
  return typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>) : undefined
}

/**
 * Copies of the objects in which every container and init container running imageName (any tag
 * or digest) runs imageRef instead. Other objects and images come back unchanged.
 */
export function substituteImage(
  objects: KubernetesObject[],
  imageName: string,
  imageRef: string
): KubernetesObject[] {
  const wanted = repositoryKey(imageName)
  if (wanted === undefined) throw new ManifestError(`"${imageName}" is not an image name`)
  return objects.map(original => {
    if (!WORKLOAD_KINDS.has(original.kind ?? '')) return original
    const object = structuredClone(original)
    const spec = podSpecOf(object)
    for (const key of ['containers', 'initContainers']) {
      const list = spec?.[key]
      if (!Array.isArray(list)) continue
      for (const container of list as ContainerLike[]) {
        if (typeof container?.image === 'string' && repositoryKey(container.image) === wanted) {
          container.image = imageRef
        }
      }
    }
    return object
  })
}
