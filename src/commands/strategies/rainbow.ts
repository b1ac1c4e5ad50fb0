/**
 * rainbow (Olark's "rainbow deploys"): each release is a Deployment of its own,
 * `<deployment>-<sha6>`, labelled canary-deploy.dev/release: <sha6>. Promotion moves the Service's
 * selector to it in one PATCH; earlier releases keep running and serving the connections they
 * hold until cleanup deletes them (keep-releases, drain-min-age). Rollback moves the selector back.
 *
 * Release pods carry the stable pod labels less canary-deploy.dev/track, plus the release label:
 * a Service selecting track=stable or another release never reaches them before promotion. deploy
 * never writes the stable Service; one that selects neither is refused, naming what to add.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node'
import { parseImageRef } from '../../image/image-ref.js'
import { list, mergePatch, read, remove, removeAll } from '../../k8s/objects.js'
import type { Cluster } from '../../k8s/client.js'
import { labelsString, selectorString } from '../../k8s/selectors.js'
import {
  ANNOTATION_APPROVER,
  ANNOTATION_DIGEST,
  ANNOTATION_PREVIOUS_SELECTOR,
  ANNOTATION_RELEASED_AT,
  ANNOTATION_REPLACED_AT,
  ANNOTATION_VERSION,
  LABEL_RELEASE,
  LABEL_RELEASE_OF,
  LABEL_TRACK,
  rainbowName
} from '../../k8s/labels.js'
import { canaryFromStable } from '../../k8s/render.js'
import type { Settings } from '../../settings.js'
import type { ReleaseRecord } from './cleanup-plan.js'
import { findStableService } from './exposure.js'
import { PromotionFailed, type ReleaseStrategy, type StrategyRun } from './types.js'

type Selector = Record<string, string>

/** `<sha6>` of the commit; without a commit, the version made name-safe. */
export function releaseId(settings: Settings): string {
  if (settings.source.sha) return settings.source.sha.slice(0, 6).toLowerCase()
  return (
    settings.version
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'release'
  )
}

function releaseNameOf(stable: string, settings: Settings): string {
  return settings.source.sha
    ? rainbowName(stable, settings.source.sha)
    : `${stable}-${releaseId(settings)}`
}

function withoutTrack(labels: Selector | undefined): Selector {
  const out = { ...(labels ?? {}) }
  delete out[LABEL_TRACK]
  return out
}

const now = () => new Date().toISOString()

async function patch(
  cluster: Cluster,
  kind: 'deployments' | 'services',
  name: string,
  body: object
): Promise<void> {
  await mergePatch(cluster, { kind: kind === 'deployments' ? 'Deployment' : 'Service', name }, body)
}

/** A merge patch that turns selector `from` into `to` (keys to drop are set to null). */
function selectorPatch(from: Selector, to: Selector): Record<string, string | null> {
  const patch: Record<string, string | null> = { ...to }
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null
  return patch
}

/** The release Deployments of one stable Deployment, oldest first. */
export async function listReleases(cluster: Cluster, stable: string): Promise<V1Deployment[]> {
  const found = await list<V1Deployment>(
    cluster,
    { kind: 'Deployment' },
    `${LABEL_RELEASE_OF}=${stable}`
  )
  return found.sort((a, b) =>
    String(a.metadata?.creationTimestamp ?? '').localeCompare(
      String(b.metadata?.creationTimestamp ?? '')
    )
  )
}

const idOf = (d: V1Deployment) => d.metadata?.labels?.[LABEL_RELEASE] ?? ''
const annotation = (d: V1Deployment, key: string) => d.metadata?.annotations?.[key]
const time = (value: string | undefined) => {
  const ms = value === undefined ? Number.NaN : Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

/** Which release is live: the one the Service selects; without a Service, the newest released. */
function liveRelease(releases: V1Deployment[], service?: V1Service): V1Deployment | undefined {
  if (service) {
    const id = service.spec?.selector?.[LABEL_RELEASE]
    return id === undefined ? undefined : releases.find(r => idOf(r) === id)
  }
  return releases
    .filter(r => annotation(r, ANNOTATION_RELEASED_AT) && !annotation(r, ANNOTATION_REPLACED_AT))
    .sort(
      (a, b) =>
        (time(annotation(b, ANNOTATION_RELEASED_AT)) ?? 0) -
        (time(annotation(a, ANNOTATION_RELEASED_AT)) ?? 0)
    )[0]
}

/** The history cleanup plans over, for one stable Deployment. */
export async function releaseHistory(
  cluster: Cluster,
  stable: V1Deployment
): Promise<ReleaseRecord[]> {
  const releases = await listReleases(cluster, stable.metadata?.name ?? '')
  if (releases.length === 0) return []
  const live = liveRelease(releases, await findStableService(cluster, stable))
  return releases.map(r => ({
    name: r.metadata?.name ?? '',
    id: idOf(r),
    releasedAt: time(annotation(r, ANNOTATION_RELEASED_AT)),
    replacedAt: r === live ? undefined : time(annotation(r, ANNOTATION_REPLACED_AT)),
    live: r === live
  }))
}

/** Release ids per DELETE of a collection: keeps the label selector (and URL) short. */
const IDS_PER_DELETE = 50

/**
 * Deletes releases of `stable` by their release label, a collection at a time (hundreds of
 * releases in a few requests). Where deletecollection is not granted, one DELETE each.
 */
export async function deleteReleases(
  cluster: Cluster,
  stable: string,
  releases: ReleaseRecord[]
): Promise<void> {
  for (let start = 0; start < releases.length; start += IDS_PER_DELETE) {
    const chunk = releases.slice(start, start + IDS_PER_DELETE)
    const ids = chunk.map(r => r.id).filter((id): id is string => Boolean(id))
    const oneByOne = async () => {
      for (const r of chunk) await remove(cluster, { kind: 'Deployment', name: r.name })
    }
    if (ids.length !== chunk.length) {
      await oneByOne()
      continue
    }
    await removeAll(
      cluster,
      { kind: 'Deployment' },
      `${LABEL_RELEASE_OF}=${stable},${LABEL_RELEASE} in (${ids.join(',')})`
    )
  }
}

async function findRelease(run: StrategyRun, stable: string): Promise<V1Deployment | undefined> {
  const releases = await listReleases(run.cluster, stable)
  return releases
    .filter(r => r.metadata?.labels?.[ANNOTATION_VERSION] === run.settings.version)
    .pop()
}

async function readStable(run: StrategyRun, name: string): Promise<V1Deployment> {
  const stable = await read<V1Deployment>(run.cluster, { kind: 'Deployment', name })
  if (!stable) throw new Error(`Deployment ${name} not found in namespace ${run.cluster.namespace}`)
  return stable
}

/**
 * Refuses a Service that would route to release pods before promotion: it selects neither
 * track=stable (which release pods drop) nor a release. Written by a person, not by deploy.
 */
function refuseOpenService(stable: V1Deployment, service: V1Service | undefined): void {
  const selector = service?.spec?.selector ?? {}
  if (!service || LABEL_TRACK in selector || LABEL_RELEASE in selector) return
  const stableName = stable.metadata?.name
  const podsCarryTrack = stable.spec?.template.metadata?.labels?.[LABEL_TRACK] === 'stable'
  const fix = podsCarryTrack
    ? `add \`${LABEL_TRACK}: stable\` to its selector (the pods of ${stableName} carry that label, so it still selects the same pods)`
    : `add the label \`${LABEL_TRACK}: stable\` to the pod template of Deployment ${stableName}, then \`${LABEL_TRACK}: stable\` to the Service's selector`
  throw new Error(
    `Service ${service.metadata?.name} selects ${labelsString(selector)}, so the pods of a rainbow release would join it before promotion: ${fix}, then deploy again`
  )
}

/** A release that went live: the Service selects it, or a promotion recorded released-at. */
function wentLive(release: V1Deployment, service: V1Service | undefined): boolean {
  const selected = service?.spec?.selector?.[LABEL_RELEASE]
  return (
    annotation(release, ANNOTATION_RELEASED_AT) !== undefined ||
    (selected !== undefined && selected === idOf(release))
  )
}

/**
 * This run's releases whose names (from the commit) are already taken by a release that went
 * live, per Settings of a deploy run: render holds the built image to their recorded digest.
 */
const liveTargets = new WeakMap<Settings, Map<string, V1Deployment>>()

function refuseDifferentDigest(live: V1Deployment, digest: string): void {
  const recorded = annotation(live, ANNOTATION_DIGEST)
  if (recorded === digest) return
  throw new Error(
    `${live.metadata?.name} went live with image ${recorded ?? '(no recorded digest)'}; this run's ${digest} would replace it in place under the same name (it comes from the commit): deploy it from a new commit`
  )
}

/**
 * Refuses to re-apply a release that went live with another version, or another image digest
 * where the image is already pinned; the same release again is left to apply unchanged.
 */
async function refuseReplacingLive(
  run: StrategyRun,
  stable: V1Deployment,
  service: V1Service | undefined
): Promise<V1Deployment | undefined> {
  const { settings } = run
  const name = releaseNameOf(stable.metadata?.name ?? '', settings)
  const existing = await read<V1Deployment>(run.cluster, { kind: 'Deployment', name })
  if (!existing || !wentLive(existing, service)) return undefined
  const version =
    existing.metadata?.labels?.[ANNOTATION_VERSION] ?? annotation(existing, ANNOTATION_VERSION)
  if (version !== settings.version) {
    throw new Error(
      `${name} went live as version ${version ?? '(none)'}; deploying this commit as ${settings.version} would replace it in place under the same name (it comes from the commit): deploy ${settings.version} from a new commit`
    )
  }
  const pinned = settings.image.build ? undefined : parseImageRef(settings.image.name).digest
  if (pinned) refuseDifferentDigest(existing, pinned)
  return existing
}

/** Deletes the release of this version when it never went live; says whether it did. */
async function deleteIfNeverLive(run: StrategyRun, stable: string): Promise<string | undefined> {
  const found = await findRelease(run, stable)
  const name = found?.metadata?.name
  if (!found || !name || annotation(found, ANNOTATION_RELEASED_AT)) return undefined
  if (!(await remove(run.cluster, { kind: 'Deployment', name }))) return undefined
  run.logger.info(`${name}: deleted (never live)`)
  return name
}

/** A merge patch that puts back what an earlier one changed. */
interface Inverse {
  kind: 'deployments' | 'services'
  name: string
  patch: object
  says: string
}

type MetadataPatch = { labels?: Record<string, unknown>; annotations?: Record<string, unknown> }

/** The inverse of merge-patching `patch` into `deployment`'s metadata as it was read. */
function restoring(deployment: V1Deployment, patch: MetadataPatch): Inverse {
  const was = (keys: Record<string, unknown> | undefined, current?: Record<string, string>) =>
    keys && Object.fromEntries(Object.keys(keys).map(key => [key, current?.[key] ?? null]))
  const name = deployment.metadata?.name ?? ''
  return {
    kind: 'deployments',
    name,
    patch: {
      metadata: {
        ...(patch.labels ? { labels: was(patch.labels, deployment.metadata?.labels) } : {}),
        ...(patch.annotations
          ? { annotations: was(patch.annotations, deployment.metadata?.annotations) }
          : {})
      }
    },
    says: `${name}: labels and annotations put back`
  }
}

/** Applies the inverses newest first; every one is tried, the first failure is thrown after. */
async function putBack(run: StrategyRun, undo: Inverse[]): Promise<void> {
  let failure: unknown
  for (const inverse of [...undo].reverse()) {
    try {
      await patch(run.cluster, inverse.kind, inverse.name, inverse.patch)
      run.logger.info(inverse.says)
    } catch (error) {
      failure ??= error
    }
  }
  if (failure !== undefined) throw failure
}

export const rainbow: ReleaseStrategy = {
  /** Read-only: what would reach live traffic before promotion is refused here. */
  async prepare(run, stables) {
    const live = new Map<string, V1Deployment>()
    for (const stable of stables) {
      const service = await findStableService(run.cluster, stable)
      refuseOpenService(stable, service)
      const taken = await refuseReplacingLive(run, stable, service)
      if (taken) live.set(taken.metadata?.name ?? '', taken)
    }
    liveTargets.set(run.settings, live)
  },

  releaseName: (stable, settings) => releaseNameOf(stable.metadata?.name ?? '', settings),

  render(stable, release, settings) {
    const stableName = stable.metadata?.name ?? ''
    const id = releaseId(settings)
    // The canary rendering (same pod template, new image, release annotations), re-labelled.
    const rendered = canaryFromStable(stable, release, {
      replicas: stable.spec?.replicas ?? 1
    })
    const name = releaseNameOf(stableName, settings)
    const live = liveTargets.get(settings)?.get(name)
    // Known only now (after the build): a release that went live is not replaced in place.
    if (live) refuseDifferentDigest(live, release.digest)
    const template = rendered.spec!.template
    template.metadata = {
      ...template.metadata,
      labels: { ...withoutTrack(template.metadata?.labels), [LABEL_RELEASE]: id }
    }
    rendered.spec!.selector = {
      matchLabels: { ...withoutTrack(stable.spec?.selector.matchLabels), [LABEL_RELEASE]: id }
    }
    rendered.metadata = {
      ...rendered.metadata,
      name,
      labels: {
        ...rendered.metadata?.labels,
        // The same release again: its track stays as promotion left it, so nothing changes.
        [LABEL_TRACK]: live?.metadata?.labels?.[LABEL_TRACK] ?? 'canary',
        [LABEL_RELEASE]: id,
        [LABEL_RELEASE_OF]: stableName
      }
    }
    return rendered
  },

  podSelector: release => selectorString(release.spec?.selector),

  async expose(run, stables) {
    const service = await findStableService(run.cluster, stables[0])
    return service
      ? `waits for promotion: Service ${service.metadata?.name} still selects ${labelsString(service.spec?.selector ?? {})}`
      : 'no Service selects these pods: promotion only records which release is live'
  },

  async find(run, stable) {
    const deployment = await findRelease(run, stable)
    return {
      name: deployment?.metadata?.name ?? `release of ${stable} at ${run.settings.version}`,
      deployment
    }
  },

  async promote(run, stables, releases, _release, approver) {
    const { cluster } = run
    // Inverse patches of the writes that went through, newest last: a failure puts them back.
    const undo: Inverse[] = []
    const rows: string[] = []
    try {
      for (const [index, stable] of stables.entries()) {
        const stableName = stable.metadata?.name ?? ''
        const next = releases[index]
        const nextName = next.metadata?.name ?? ''
        const all = await listReleases(cluster, stableName)
        const service = await findStableService(cluster, stable)
        const previous = liveRelease(all, service)
        const at = now()
        if (service) {
          const before = { ...(service.spec?.selector ?? {}) }
          const after = { ...withoutTrack(before), [LABEL_RELEASE]: idOf(next) }
          const name = service.metadata?.name ?? ''
          const recorded = service.metadata?.annotations?.[ANNOTATION_PREVIOUS_SELECTOR] ?? null
          // One PATCH: the selector moves, and where it was is recorded for rollback.
          await patch(cluster, 'services', name, {
            metadata: { annotations: { [ANNOTATION_PREVIOUS_SELECTOR]: JSON.stringify(before) } },
            spec: { selector: selectorPatch(before, after) }
          })
          undo.push({
            kind: 'services',
            name,
            patch: {
              metadata: { annotations: { [ANNOTATION_PREVIOUS_SELECTOR]: recorded } },
              spec: { selector: selectorPatch(after, before) }
            },
            says: `Service ${name}: selector put back to ${labelsString(before)}`
          })
          rows.push(`| ${name} | \`${labelsString(before)}\` | \`${labelsString(after)}\` |`)
        } else {
          rows.push(`| (no Service) | ${previous?.metadata?.name ?? stableName} | ${nextName} |`)
        }
        const nextPatch = {
          labels: { [LABEL_TRACK]: 'stable' },
          annotations: {
            [ANNOTATION_RELEASED_AT]: at,
            [ANNOTATION_REPLACED_AT]: null,
            [ANNOTATION_APPROVER]: approver
          }
        }
        await patch(cluster, 'deployments', nextName, { metadata: nextPatch })
        undo.push(restoring(next, nextPatch))
        if (previous && previous.metadata?.name !== nextName) {
          const previousPatch = { annotations: { [ANNOTATION_REPLACED_AT]: at } }
          await patch(cluster, 'deployments', previous.metadata?.name ?? '', {
            metadata: previousPatch
          })
          undo.push(restoring(previous, previousPatch))
        }
        run.logger.info(`${nextName}: live; ${previous?.metadata?.name ?? stableName} drains`)
      }
    } catch (error) {
      throw new PromotionFailed(error, () => putBack(run, undo))
    }
    return {
      detail: `${releases.map(r => r.metadata?.name).join(', ')} live`,
      section: {
        title: 'Traffic',
        body: [
          '| Service | selector before | selector after |',
          '| --- | --- | --- |',
          ...rows
        ].join('\n')
      }
    }
  },

  history: (run, stable) => releaseHistory(run.cluster, stable),

  prune: (run, stable, releases) =>
    deleteReleases(run.cluster, stable.metadata?.name ?? '', releases),

  async retire(run) {
    run.logger.info(
      'earlier releases keep running and serving the connections they hold; cleanup deletes them once drained'
    )
    return []
  },

  async rollback(run) {
    const { cluster } = run
    const done: string[] = []
    for (const stableName of run.settings.deployments) {
      const deleted = await deleteIfNeverLive(run, stableName)
      if (deleted) {
        done.push(deleted)
        continue
      }
      const release = await findRelease(run, stableName)
      if (!release) continue
      const stable = await readStable(run, stableName)
      const all = await listReleases(cluster, stableName)
      const service = await findStableService(cluster, stable)
      if (liveRelease(all, service)?.metadata?.name !== release.metadata?.name) {
        run.logger.info(`${release.metadata?.name}: not live, nothing to switch back`)
        continue
      }
      const at = now()
      let back = 'the previous release'
      if (service) {
        const current = { ...(service.spec?.selector ?? {}) }
        const recorded = service.metadata?.annotations?.[ANNOTATION_PREVIOUS_SELECTOR]
        if (!recorded) {
          throw new Error(
            `Service ${service.metadata?.name} has no ${ANNOTATION_PREVIOUS_SELECTOR} annotation: there is no recorded release to switch back to`
          )
        }
        const previous = JSON.parse(recorded) as Selector
        await patch(cluster, 'services', service.metadata?.name ?? '', {
          metadata: { annotations: { [ANNOTATION_PREVIOUS_SELECTOR]: null } },
          spec: { selector: selectorPatch(current, previous) }
        })
        back = labelsString(previous)
        const previousRelease = all.find(r => idOf(r) === previous[LABEL_RELEASE])
        if (previousRelease) {
          await patch(cluster, 'deployments', previousRelease.metadata?.name ?? '', {
            metadata: { annotations: { [ANNOTATION_REPLACED_AT]: null } }
          })
        }
      } else {
        const previousRelease = all
          .filter(
            r =>
              r.metadata?.name !== release.metadata?.name && annotation(r, ANNOTATION_REPLACED_AT)
          )
          .sort(
            (a, b) =>
              (time(annotation(b, ANNOTATION_REPLACED_AT)) ?? 0) -
              (time(annotation(a, ANNOTATION_REPLACED_AT)) ?? 0)
          )[0]
        if (previousRelease) {
          await patch(cluster, 'deployments', previousRelease.metadata?.name ?? '', {
            metadata: { annotations: { [ANNOTATION_REPLACED_AT]: null } }
          })
          back = previousRelease.metadata?.name ?? back
        }
      }
      await patch(cluster, 'deployments', release.metadata?.name ?? '', {
        metadata: { annotations: { [ANNOTATION_REPLACED_AT]: at } }
      })
      run.logger.info(`${release.metadata?.name}: out of traffic; back to ${back}`)
      done.push(`${release.metadata?.name} (switched back to ${back})`)
    }
    return done
  },

  async discard(run) {
    const deleted: string[] = []
    for (const stable of run.settings.deployments) {
      const name = await deleteIfNeverLive(run, stable)
      if (name) deleted.push(name)
    }
    return deleted
  }
}
