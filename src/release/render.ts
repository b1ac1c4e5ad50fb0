/**
 * What the action writes, rendered from the live stable Deployment: the canary beside it, the
 * migration Job that shares its pod template (and so its database credentials), and the minimal
 * apply body that promotes a release. Pure functions: no cluster calls, inputs never mutated.
 */
import type {
  V1Container,
  V1Deployment,
  V1Job,
  V1ObjectMeta,
  V1PodSpec,
  V1PodTemplateSpec
} from '@kubernetes/client-node'
import {
  ANNOTATION_APPROVER,
  ANNOTATION_DIGEST,
  ANNOTATION_SOURCE,
  ANNOTATION_VERSION,
  LABEL_APP,
  LABEL_TRACK,
  LABEL_VERSION,
  PREFIX,
  canaryName
} from '../k8s/labels.js'

/** The label a migration Job's pods carry instead of `app`, so no Service ever selects them. */
export const LABEL_MIGRATION = `${PREFIX}/migration`
/** A Deployment's rollout history; meaningless on a copy and never ours to write. */
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration'
/** A finished migration Job stays a day for people to read its logs, then goes. */
const JOB_TTL_SECONDS = 86_400

export interface Release {
  app: string
  version: string
  /** The image by digest: repo@sha256:... */
  imageRef: string
  digest: string
  /** 'owner/repo@sha run:<id>' */
  source: string
  /** The container that takes the new image; default the pod's first container. */
  container?: string
}

const clone = <T>(value: T): T => structuredClone(value)

/** The container that takes the new image: the named one, else the first. */
export function targetContainer(
  spec: V1PodSpec,
  name?: string,
  owner = 'the Deployment'
): V1Container {
  const containers = spec.containers ?? []
  const found = name === undefined ? containers[0] : containers.find(c => c.name === name)
  if (!found) {
    const present = containers.map(c => c.name).join(', ') || 'none'
    throw new Error(
      name === undefined
        ? `${owner} has no containers to put the new image in`
        : `${owner} has no container named "${name}" (containers: ${present})`
    )
  }
  return found
}

function deploymentLabel(stable: V1Deployment): string {
  const { namespace, name } = stable.metadata ?? {}
  return `Deployment ${namespace ? `${namespace}/` : ''}${name ?? '(unnamed)'}`
}

function requireName(stable: V1Deployment): string {
  const name = stable.metadata?.name
  if (!name) throw new Error('The stable Deployment has no metadata.name')
  return name
}

function requireTemplate(stable: V1Deployment): V1PodTemplateSpec {
  const template = stable.spec?.template
  if (!template?.spec) throw new Error(`${deploymentLabel(stable)} has no pod template`)
  return template
}

/** The stable's annotations minus its history and its last approval, which are not the canary's. */
function inheritedAnnotations(
  annotations: Record<string, string> | undefined
): Record<string, string> {
  const kept = { ...(annotations ?? {}) }
  delete kept[REVISION_ANNOTATION]
  delete kept[LAST_APPLIED_ANNOTATION]
  delete kept[ANNOTATION_APPROVER]
  return kept
}

function releaseAnnotations(release: Release): Record<string, string> {
  return {
    [ANNOTATION_VERSION]: release.version,
    [ANNOTATION_DIGEST]: release.digest,
    [ANNOTATION_SOURCE]: release.source
  }
}

/**
 * The canary beside a stable Deployment: the same pod template with the new image, its own
 * replica count, and a selector that adds track=canary so its ReplicaSets never adopt stable pods.
 * The plain `app` label stays, so the shared Service sends the canary its share by replica ratio.
 */
export function canaryFromStable(
  stable: V1Deployment,
  release: Release,
  opts: { replicas: number }
): V1Deployment {
  const name = requireName(stable)
  const source = requireTemplate(stable)
  const template = clone(source)
  const podSpec = template.spec as V1PodSpec
  targetContainer(podSpec, release.container, deploymentLabel(stable)).image = release.imageRef

  const trackLabels = { [LABEL_TRACK]: 'canary', [LABEL_VERSION]: release.version }
  template.metadata = {
    ...template.metadata,
    labels: { ...(template.metadata?.labels ?? {}), ...trackLabels },
    annotations: {
      ...(template.metadata?.annotations ?? {}),
      [ANNOTATION_VERSION]: release.version
    }
  }

  const metadata: V1ObjectMeta = {
    name: canaryName(name),
    ...(stable.metadata?.namespace ? { namespace: stable.metadata.namespace } : {}),
    labels: { ...(stable.metadata?.labels ?? {}), ...trackLabels },
    annotations: {
      ...inheritedAnnotations(stable.metadata?.annotations),
      ...releaseAnnotations(release)
    }
  }

  const stableSpec = stable.spec!
  const selector = clone(stableSpec.selector)
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [LABEL_TRACK]: 'canary' }

  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: opts.replicas,
      selector,
      template,
      ...(stableSpec.strategy ? { strategy: clone(stableSpec.strategy) } : {}),
      ...(stableSpec.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: stableSpec.progressDeadlineSeconds }
        : {}),
      ...(stableSpec.minReadySeconds !== undefined
        ? { minReadySeconds: stableSpec.minReadySeconds }
        : {}),
      ...(stableSpec.revisionHistoryLimit !== undefined
        ? { revisionHistoryLimit: stableSpec.revisionHistoryLimit }
        : {})
    }
  }
}

/**
 * The migration Job: the stable pod template (env, secrets, volumes, service account) with only
 * the target container, the new image and the migration command. Its pods do not carry `app`, so
 * the Service never routes traffic to a migration.
 */
export function migrationJobFromStable(
  stable: V1Deployment,
  release: Release,
  opts: { name: string; command: string[]; timeoutMs: number; backoffLimit: number }
): V1Job {
  const source = requireTemplate(stable)
  const sourceSpec = source.spec as V1PodSpec
  const container = clone(targetContainer(sourceSpec, release.container, deploymentLabel(stable)))
  container.image = release.imageRef
  container.command = [...opts.command]
  delete container.args
  // Jobs never become Ready and are never routed to: probes and ports only get in the way.
  delete container.livenessProbe
  delete container.readinessProbe
  delete container.startupProbe
  delete container.ports
  delete container.lifecycle

  const podSpec: V1PodSpec = {
    ...clone(sourceSpec),
    containers: [container],
    restartPolicy: 'Never'
  }

  const podLabels = { ...(source.metadata?.labels ?? {}) }
  for (const key of Object.keys(stable.spec?.selector?.matchLabels ?? {})) delete podLabels[key]
  delete podLabels[LABEL_APP]
  delete podLabels[LABEL_TRACK]
  podLabels[LABEL_MIGRATION] = release.version

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: opts.name,
      ...(stable.metadata?.namespace ? { namespace: stable.metadata.namespace } : {}),
      labels: { [LABEL_APP]: release.app, [LABEL_VERSION]: release.version },
      annotations: releaseAnnotations(release)
    },
    spec: {
      backoffLimit: opts.backoffLimit,
      activeDeadlineSeconds: Math.ceil(opts.timeoutMs / 1000),
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      template: {
        metadata: {
          labels: podLabels,
          annotations: {
            ...(source.metadata?.annotations ?? {}),
            [ANNOTATION_VERSION]: release.version
          }
        },
        spec: podSpec
      }
    }
  }
}

/**
 * The server-side apply body that promotes a release: only the target container's image and the
 * release annotations. Fields not named here stay owned by whoever owns them now.
 */
export function promotedStable(
  stable: V1Deployment,
  release: Release,
  approver: string
): V1Deployment {
  const name = requireName(stable)
  const container = targetContainer(
    requireTemplate(stable).spec as V1PodSpec,
    release.container,
    deploymentLabel(stable)
  )
  const body = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      ...(stable.metadata?.namespace ? { namespace: stable.metadata.namespace } : {}),
      annotations: { ...releaseAnnotations(release), [ANNOTATION_APPROVER]: approver }
    },
    spec: {
      template: {
        metadata: { annotations: { [ANNOTATION_VERSION]: release.version } },
        spec: { containers: [{ name: container.name, image: release.imageRef }] }
      }
    }
  }
  // An apply configuration is a partial object: the server validates it merged with the live one,
  // so the selector V1Deployment's type insists on is left out (sending it would co-own it).
  return body as unknown as V1Deployment
}

/**
 * Promotion when the stable Deployment comes from the manifests: the whole manifest object, with
 * the release image and the release annotations merged in, so promote makes stable what the
 * manifests say (and diff can show it without a server to merge for it).
 */
export function promotedFromManifest(
  manifest: V1Deployment,
  release: Release,
  approver: string
): V1Deployment {
  const body = promotedStable(manifest, release, approver)
  const result = clone(manifest)
  result.metadata = {
    ...result.metadata,
    annotations: { ...result.metadata?.annotations, ...body.metadata?.annotations }
  }
  const template = requireTemplate(result)
  template.metadata = {
    ...template.metadata,
    annotations: { ...template.metadata?.annotations, ...body.spec?.template.metadata?.annotations }
  }
  targetContainer(template.spec as V1PodSpec, release.container, deploymentLabel(manifest)).image =
    release.imageRef
  return result
}
