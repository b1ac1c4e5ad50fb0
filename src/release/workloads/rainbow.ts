/**
 * The rainbow workload (Olark's "rainbow deploys"): each release is a Deployment of its own,
 * `<deployment>-<sha6>`, labelled canary-deploy.dev/release: <its own name> and release-of:
 * <deployment>. Its pods carry the stable pod labels less canary-deploy.dev/track, plus the release
 * label, so a Service selecting track=stable or another release never reaches them before
 * promotion. The release label's value is the Deployment's name because the API server keeps names
 * unique: the deploy identity's admission policy can then require a Deployment's pods to carry no
 * release label but its own, so no canary can join the live release's Service. Releases made
 * before (labelled with `<sha6>` alone) keep their label, and are read back by it. Promotion marks
 * a release live (track stable, released-at) and the one it replaces replaced-at; earlier releases
 * keep running until cleanup deletes them (keep-releases, drain-min-age).
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node'
import { parseImageRef } from '../../image/image-ref.js'
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
  LABEL_VERSION,
  rainbowName
} from '../../k8s/labels.js'
import { removeAll, remove } from '../../k8s/objects.js'
import { selectorString } from '../../k8s/selectors.js'
import type { Settings } from '../../settings.js'
import type { ReleaseRecord } from '../cleanup-plan.js'
import type { Reads } from '../reads.js'
import { canaryFromStable } from '../render.js'
import { findStableService } from '../stable-traffic.js'
import type { Workload, Write } from '../types.js'
import { deleteOf, patchOf } from '../writes.js'

type Selector = Record<string, string>

/** `<sha6>` of the commit; without a commit, the version made name-safe. */
function releaseSuffix(settings: Settings): string {
  if (settings.run.sha) return settings.run.sha.slice(0, 6).toLowerCase()
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
  return settings.run.sha
    ? rainbowName(stable, settings.run.sha)
    : `${stable}-${releaseSuffix(settings)}`
}

/** A label value holds at most 63 characters; the release name is one. */
const MAX_LABEL_VALUE = 63

export function withoutTrack(labels: Selector | undefined): Selector {
  const out = { ...(labels ?? {}) }
  delete out[LABEL_TRACK]
  return out
}

export const idOf = (d: V1Deployment): string => d.metadata?.labels?.[LABEL_RELEASE] ?? ''
const annotation = (d: V1Deployment, key: string) => d.metadata?.annotations?.[key]
const time = (value: string | undefined) => {
  const ms = value === undefined ? Number.NaN : Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}
const deploymentRef = (name: string) => ({ kind: 'Deployment', name })
const nameOf = (d: V1Deployment | undefined) => d?.metadata?.name ?? ''

/** The release Deployments of one stable Deployment, oldest first. */
async function listReleases(reads: Reads, stable: string): Promise<V1Deployment[]> {
  const found = await reads.list<V1Deployment>(
    { kind: 'Deployment' },
    `${LABEL_RELEASE_OF}=${stable}`
  )
  return [...found].sort((a, b) =>
    String(a.metadata?.creationTimestamp ?? '').localeCompare(
      String(b.metadata?.creationTimestamp ?? '')
    )
  )
}

/** Which release is live: the one the Service selects; without a Service, the newest released. */
export function liveRelease(
  releases: V1Deployment[],
  service?: V1Service
): V1Deployment | undefined {
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

/** A release that went live: the Service selects it, or a promotion recorded released-at. */
function wentLive(release: V1Deployment, service: V1Service | undefined): boolean {
  const selected = service?.spec?.selector?.[LABEL_RELEASE]
  return (
    annotation(release, ANNOTATION_RELEASED_AT) !== undefined ||
    (selected !== undefined && selected === idOf(release))
  )
}

/** What one stable Deployment's releases look like, as read before planning. */
interface StableReleases {
  service?: V1Service
  /** Oldest first. */
  releases: V1Deployment[]
  /** The Deployment that already has this run's release name, if any. */
  existing?: V1Deployment
  /** `existing`, when it went live. */
  taken?: V1Deployment
  /** `taken` is the live release still (not replaced since, by a rollback or a later release). */
  takenIsLive: boolean
}

export type RainbowView = Map<string, StableReleases>

function refuseDifferentDigest(live: V1Deployment, digest: string): void {
  const recorded = annotation(live, ANNOTATION_DIGEST)
  if (recorded === digest) return
  throw new Error(
    `${live.metadata?.name} went live with image ${recorded ?? '(no recorded digest)'}; this run's ${digest} would replace it in place under the same name (it comes from the commit): deploy it from a new commit`
  )
}

/**
 * A release that went live is stable's (track: stable): deploy writes it no more. Live still, a
 * deploy of it has nothing to do; replaced since, or live beside one stable Deployment but not
 * another, it cannot become a canary again to be promoted: that takes a new commit.
 */
function refuseReleaseNoLongerLive(view: RainbowView): void {
  const seen = [...view.values()]
  const replaced = seen.filter(s => s.taken && !s.takenIsLive).map(s => nameOf(s.taken))
  if (replaced.length > 0) {
    throw new Error(
      `${replaced.join(', ')} went live and has been replaced since (a rollback or a later release): a release is not deployed again once it was live; deploy a new commit`
    )
  }
  const live = seen.filter(s => s.takenIsLive).map(s => nameOf(s.taken))
  if (live.length > 0 && live.length < seen.length) {
    throw new Error(
      `${live.join(', ')} of this commit already went live, but not beside every Deployment of deployments: a release goes live whole; deploy a new commit`
    )
  }
}

/** Only a real digest can be compared: a diff before the build has a placeholder. */
const isDigest = (value: string) => /^sha256:[0-9a-f]{64}$/.test(value)

/** The release that was live before `release` (to which a rollback returns). */
function previousOf(release: V1Deployment, seen: StableReleases): V1Deployment | undefined {
  const recorded = seen.service?.metadata?.annotations?.[ANNOTATION_PREVIOUS_SELECTOR]
  if (seen.service) {
    if (!recorded) return undefined
    const id = (JSON.parse(recorded) as Selector)[LABEL_RELEASE]
    return seen.releases.find(r => id !== undefined && idOf(r) === id)
  }
  return seen.releases
    .filter(r => nameOf(r) !== nameOf(release) && annotation(r, ANNOTATION_REPLACED_AT))
    .sort(
      (a, b) =>
        (time(annotation(b, ANNOTATION_REPLACED_AT)) ?? 0) -
        (time(annotation(a, ANNOTATION_REPLACED_AT)) ?? 0)
    )[0]
}

/** Release ids per DELETE of a collection: keeps the label selector (and URL) short. */
const IDS_PER_DELETE = 50

export const rainbowWorkload: Workload<RainbowView> = {
  async observe(reads, stables) {
    const view: RainbowView = new Map()
    for (const stable of stables) {
      const stableName = nameOf(stable)
      const service = await findStableService(reads, stable)
      const releases = await listReleases(reads, stableName)
      const name = releaseNameOf(stableName, reads.settings)
      const existing = releases.find(r => nameOf(r) === name)
      const taken = existing && wentLive(existing, service) ? existing : undefined
      const takenIsLive = taken !== undefined && liveRelease(releases, service) === taken
      view.set(stableName, { service, releases, existing, taken, takenIsLive })
    }
    return view
  },

  /** A release that went live is not re-applied as another version, or with another digest. */
  preflight(settings, view) {
    for (const { taken } of view.values()) {
      if (!taken) continue
      const version =
        taken.metadata?.labels?.[LABEL_VERSION] ?? annotation(taken, ANNOTATION_VERSION)
      if (version !== settings.version) {
        throw new Error(
          `${nameOf(taken)} went live as version ${version ?? '(none)'}; deploying this commit as ${settings.version} would replace it in place under the same name (it comes from the commit): deploy ${settings.version} from a new commit`
        )
      }
      const pinned = settings.image.build ? undefined : parseImageRef(settings.image.name).digest
      if (pinned) refuseDifferentDigest(taken, pinned)
    }
    refuseReleaseNoLongerLive(view)
    for (const [stable, seen] of view) {
      const name = releaseNameOf(stable, settings)
      if (!seen.existing && name.length > MAX_LABEL_VALUE) {
        throw new Error(
          `the rainbow release of Deployment ${stable} would be named ${name}, ${name.length} characters, and its name is its pods' ${LABEL_RELEASE} label, which holds at most ${MAX_LABEL_VALUE}: shorten the Deployment's name`
        )
      }
    }
  },

  name: (stable, settings) => releaseNameOf(stable, settings),

  live: (stable, view) => {
    const seen = view.get(stable)
    return seen?.takenIsLive ? nameOf(seen.taken) : undefined
  },

  render(template, release, settings, view) {
    const stableName = nameOf(template)
    // The canary rendering (same pod template, new image, release annotations), re-labelled.
    const rendered = canaryFromStable(template, release, { replicas: template.spec?.replicas ?? 1 })
    const name = releaseNameOf(stableName, settings)
    const seen = view.get(stableName)
    const taken = seen?.taken
    // Its own name; a release Deployment made before keeps its label (a selector is immutable).
    const id = (seen?.existing && idOf(seen.existing)) || name
    // Known only now (after the build): a release that went live is not replaced in place.
    if (taken && isDigest(release.digest)) refuseDifferentDigest(taken, release.digest)
    const spec = rendered.spec as NonNullable<V1Deployment['spec']>
    spec.template.metadata = {
      ...spec.template.metadata,
      labels: { ...withoutTrack(spec.template.metadata?.labels), [LABEL_RELEASE]: id }
    }
    spec.selector = {
      matchLabels: { ...withoutTrack(template.spec?.selector.matchLabels), [LABEL_RELEASE]: id }
    }
    rendered.metadata = {
      ...rendered.metadata,
      name,
      labels: {
        ...rendered.metadata?.labels,
        // The same release again: its track stays as promotion left it, so nothing changes.
        [LABEL_TRACK]: taken?.metadata?.labels?.[LABEL_TRACK] ?? 'canary',
        [LABEL_RELEASE]: id,
        [LABEL_RELEASE_OF]: stableName
      }
    }
    return rendered
  },

  podSelector: release => selectorString(release.spec?.selector),

  async find(reads, stable) {
    const releases = await listReleases(reads, stable)
    return releases
      .filter(r => r.metadata?.labels?.[LABEL_VERSION] === reads.settings.version)
      .pop()
  },

  promote({ stables, releases, at, approver }, view) {
    const writes: Write[] = []
    stables.forEach((stable, index) => {
      const next = releases[index]
      const seen = view.get(nameOf(stable))
      const previous = seen ? liveRelease(seen.releases, seen.service) : undefined
      writes.push(
        patchOf(
          'release',
          deploymentRef(nameOf(next)),
          {
            metadata: {
              labels: { [LABEL_TRACK]: 'stable' },
              annotations: {
                [ANNOTATION_RELEASED_AT]: at,
                [ANNOTATION_REPLACED_AT]: null,
                [ANNOTATION_APPROVER]: approver
              }
            }
          },
          'live'
        )
      )
      if (previous && nameOf(previous) !== nameOf(next)) {
        writes.push(
          patchOf(
            'release',
            deploymentRef(nameOf(previous)),
            { metadata: { annotations: { [ANNOTATION_REPLACED_AT]: at } } },
            'replaced: drains until cleanup deletes it'
          )
        )
      }
    })
    return writes
  },

  // Earlier releases keep running and serving the connections they hold; cleanup deletes them.
  retire: () => [],

  /** The release this run applied, unless it had gone live before (the same release again). */
  discard(settings, view) {
    return [...view.entries()]
      .filter(([, seen]) => !seen.taken)
      .map(([stable]) =>
        deleteOf('release', deploymentRef(releaseNameOf(stable, settings)), 'never live')
      )
  },

  rollback({ stables, releases, at }, view) {
    const writes: Write[] = []
    stables.forEach((stable, index) => {
      const release = releases[index]
      const seen = view.get(nameOf(stable))
      if (!release || !seen) return
      if (!annotation(release, ANNOTATION_RELEASED_AT)) {
        writes.push(deleteOf('release', deploymentRef(nameOf(release)), 'never live'))
        return
      }
      if (nameOf(liveRelease(seen.releases, seen.service)) !== nameOf(release)) return
      const previous = previousOf(release, seen)
      if (previous) {
        writes.push(
          patchOf(
            'release',
            deploymentRef(nameOf(previous)),
            { metadata: { annotations: { [ANNOTATION_REPLACED_AT]: null } } },
            'live again'
          )
        )
      }
      writes.push(
        patchOf(
          'release',
          deploymentRef(nameOf(release)),
          { metadata: { annotations: { [ANNOTATION_REPLACED_AT]: at } } },
          `out of traffic; back to ${nameOf(previous) || 'the previous release'}`
        )
      )
    })
    return writes
  },

  async history(reads, stable) {
    const releases = await listReleases(reads, nameOf(stable))
    if (releases.length === 0) return []
    const live = liveRelease(releases, await findStableService(reads, stable))
    return releases.map(r => ({
      name: nameOf(r),
      id: idOf(r),
      releasedAt: time(annotation(r, ANNOTATION_RELEASED_AT)),
      replacedAt: r === live ? undefined : time(annotation(r, ANNOTATION_REPLACED_AT)),
      live: r === live
    }))
  },

  /** By their release label, a collection at a time (hundreds of releases in a few requests). */
  async prune(cluster, stable, releases) {
    for (let start = 0; start < releases.length; start += IDS_PER_DELETE) {
      const chunk: ReleaseRecord[] = releases.slice(start, start + IDS_PER_DELETE)
      const ids = chunk.map(r => r.id).filter((id): id is string => Boolean(id))
      if (ids.length !== chunk.length) {
        for (const r of chunk) await remove(cluster, deploymentRef(r.name))
        continue
      }
      await removeAll(
        cluster,
        { kind: 'Deployment' },
        `${LABEL_RELEASE_OF}=${nameOf(stable)},${LABEL_RELEASE} in (${ids.join(',')})`
      )
    }
  }
}
