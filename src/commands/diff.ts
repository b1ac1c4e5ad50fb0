/**
 * diff (a pull request check): plans this version's deploy and promote exactly as those commands
 * will, and shows every write of both plans against what is there, without changing anything.
 *
 * With cluster credentials every write is dry-run server-side (dryRun=All), so defaults and
 * admission are in the result. Without them (pull requests from forks get no secrets) the manifests
 * stand in for the cluster and are compared with the base ref, and the report says that this is an
 * approximation. Secret values never leave this command: only key names and short keyed hashes.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node'
import { parseImageRef, repositoryOf } from '../image/image-ref.js'
import { hasKubeconfig } from '../k8s/client.js'
import {
  ANNOTATION_APPROVER,
  ANNOTATION_DIGEST,
  ANNOTATION_VERSION,
  LABEL_APP
} from '../k8s/labels.js'
import { loadManifests, loadManifestsAtRef, objectLabel } from '../k8s/manifests.js'
import { isForbidden, list } from '../k8s/objects.js'
import {
  clusterProjector,
  offlineProjector,
  projectPlan,
  type PlanPhase,
  type Projector
} from '../release/dry-run.js'
import { releaseManifests, releaseTemplates } from '../release/manifests.js'
import { observeMigration } from '../release/migration.js'
import {
  deployWrites,
  planDeploy,
  planPromote,
  promoteWrites,
  type DeployPlan
} from '../release/plan.js'
import { clusterReads, objectReads, type Reads } from '../release/reads.js'
import type { Release } from '../release/render.js'
import { strategyFor } from '../release/strategies.js'
import { objectKey } from '../release/writes.js'
import type { Settings } from '../settings.js'
import {
  commentOnPullRequest,
  countLine,
  noManifestsNote,
  summarize,
  truncateOutput,
  type DiffOutcome
} from './diff-report.js'
import { errorMessage } from './errors.js'
import { placeFacts, runFrame, type Frame } from './frame.js'
import { releaseOf } from './release.js'
import { SecretValues } from './secret-values.js'
import type { CommandHandler } from './types.js'

/** What the approved-by annotation will hold is only known when someone promotes. */
const APPROVER_PLACEHOLDER = '<approver on promote>'
/** When the promotion happens is only known then. */
const PROMOTED_AT_PLACEHOLDER = '<time of promotion>'
/** The digest exists only once deploy has built and pushed the image. */
const DIGEST_PLACEHOLDER = 'sha256:<built on deploy>'

export const diff: CommandHandler = (settings, context) => {
  const secrets = new SecretValues(context.logger)
  return runFrame(
    settings,
    context,
    {
      title: `Diff ${settings.app} ${settings.version}`,
      facts: [],
      failed: { version: settings.version },
      scrub: text => secrets.scrub(text)
    },
    async frame => {
      const { report, logger, stage } = frame
      const release = releaseFor(settings)
      report.facts.push(
        ...placeFacts(settings),
        ['version', settings.version],
        ['image', `\`${release.imageRef}\``]
      )
      const manifests = await stage('read manifests', async detail => {
        const objects = loadManifests(settings.manifests)
        secrets.collect(objects)
        detail(`${objects.length} object(s) from ${settings.manifests.length} path(s)`)
        return objects
      })

      const outcome = hasKubeconfig(settings.cluster)
        ? await clusterDiff(frame, release, manifests)
        : await offlineDiff(frame, release, manifests, secrets)
      if (release.digest === DIGEST_PLACEHOLDER) {
        outcome.notes.push(
          `The image digest is not known until deploy builds and pushes the image: \`${release.imageRef}\` stands in for it, and \`${DIGEST_PLACEHOLDER}\` for the digest annotation.`
        )
      }

      summarize(report, settings, outcome)
      const text = outcome.changes
        .filter(c => c.text)
        .map(c => c.text)
        .join('\n')
      for (const change of outcome.changes) logger.info(`${change.label}: ${change.kind}`)
      if (text) await logger.group('diff', async () => logger.info(text))

      if (settings.diff.comment) await commentOnPullRequest(report, settings, logger)
      return {
        version: settings.version,
        image: release.imageRef,
        'has-changes': String(
          outcome.changes.some(c => ['create', 'update', 'delete'].includes(c.kind))
        ),
        diff: truncateOutput(text)
      }
    }
  )
}

/** The release as deploy will make it; the digest is a placeholder until the image is built. */
function releaseFor(settings: Settings): Release {
  const given = settings.image.name
  if (!given) throw new Error('no image: set the image input (e.g. ghcr.io/org/app)')
  const digest = parseImageRef(given).digest
  const imageRef = digest
    ? given
    : settings.image.build
      ? `${repositoryOf(given)}:${settings.version}`
      : given
  return releaseOf(settings, { imageRef, digest: digest ?? DIGEST_PLACEHOLDER })
}

/**
 * Who promote will record is known only when someone approves; stables already promoted to this
 * very release keep their approver, so an unchanged release shows no change.
 */
function approverOf(stables: V1Deployment[], release: Release): string {
  const approvers = stables.map(stable => {
    const annotations = stable.metadata?.annotations ?? {}
    const samePromotion =
      annotations[ANNOTATION_VERSION] === release.version &&
      annotations[ANNOTATION_DIGEST] === release.digest
    return samePromotion ? annotations[ANNOTATION_APPROVER] : undefined
  })
  const [first] = approvers
  return first && approvers.every(a => a === first) ? first : APPROVER_PLACEHOLDER
}

/** Both plans, as deploy and then promote would make them, and what they would change. */
async function planAndProject(
  frame: Frame,
  reads: Reads,
  stables: V1Deployment[],
  release: Release,
  projector: Projector
) {
  const { settings, logger } = frame
  const planner = await strategyFor(settings.strategy).observe(reads, stables)
  planner.preflight(message => logger.warning(message))
  const templates = releaseTemplates(stables, releaseManifests(settings))
  const migration = await observeMigration(reads)
  const deployPlan = planDeploy(planner, { settings, release, stables, templates }, migration)
  const promotePlan = planPromote(planner, {
    settings,
    release,
    stables,
    templates,
    releases: deployPlan.rendered,
    approver: approverOf(stables, release),
    at: PROMOTED_AT_PLACEHOLDER,
    manifests: releaseManifests(settings, release.imageRef)
  })
  const phases: PlanPhase[] = [
    { command: 'deploy', writes: deployWrites(deployPlan) },
    { command: 'promote', writes: promoteWrites(promotePlan) }
  ]
  const written = new Set(
    phases.flatMap(p => p.writes.map(w => objectKey(w.ref, projector.namespace)))
  )
  const notes = migrationNote(deployPlan.migration)
  return { changes: await projectPlan(phases, projector), written, notes }
}

/** What deploy does about the migration when it creates no Job: said, since no object shows it. */
function migrationNote(plan: DeployPlan['migration']): string[] {
  if (plan?.kind === 'done') return [`Migration: not run again, ${plan.reason}.`]
  if (plan?.kind === 'wait')
    return [
      `Migration: Job \`${plan.job}\`, started earlier, is still running; deploy waits for it.`
    ]
  if (plan?.kind === 'refused') return [`Migration: deploy would refuse: ${plan.reason}.`]
  return []
}

const manifestDeployment = (manifests: KubernetesObject[], name: string) =>
  manifests.find(o => o.kind === 'Deployment' && o.metadata?.name === name) as
    V1Deployment | undefined

async function clusterDiff(
  frame: Frame,
  release: Release,
  manifests: KubernetesObject[]
): Promise<DiffOutcome> {
  const { settings, stage } = frame
  const { cluster } = await frame.session()
  const reads = clusterReads(cluster, settings)
  const fromManifests = new Set<string>()
  const stables = await stage('read stable', async detail => {
    const found: V1Deployment[] = []
    for (const name of settings.deployments) {
      const inManifests = manifestDeployment(manifests, name)
      if (inManifests) fromManifests.add(name)
      const stable = inManifests ?? (await reads.read<V1Deployment>({ kind: 'Deployment', name }))
      if (!stable) {
        throw new Error(
          `Deployment ${name} not found in namespace ${cluster.namespace} nor in the manifests: deploy derives the canary from it`
        )
      }
      found.push(stable)
    }
    detail(
      settings.deployments
        .map(n => `${n} (${fromManifests.has(n) ? 'manifests' : 'live'})`)
        .join(', ')
    )
    return found
  })
  const { changes, written, notes } = await stage('dry-run apply', async detail => {
    const planned = await planAndProject(frame, reads, stables, release, clusterProjector(cluster))
    detail(countLine(planned.changes))
    return planned
  })
  const leftAlone =
    manifests.length > 0
      ? await stage('list unmanaged', async detail => {
          const found = await objectsLeftAlone(frame, manifests, written, notes)
          detail(
            `${found.length} object(s) labelled ${LABEL_APP}=${settings.app} not in the manifests`
          )
          return found
        })
      : []
  return { mode: 'cluster', changes, leftAlone, notes }
}

/** Objects labelled app=<app>, of the kinds the manifests hold, that nothing here would write. */
async function objectsLeftAlone(
  frame: Frame,
  manifests: KubernetesObject[],
  written: Set<string>,
  notes: string[]
): Promise<string[]> {
  const { settings } = frame
  const { cluster } = await frame.session()
  const ns = cluster.namespace
  const kinds = new Map<string, { apiVersion: string; kind: string; namespace: string }>()
  for (const object of manifests) {
    const scope = object.metadata?.namespace ?? ns
    kinds.set(`${object.apiVersion}/${object.kind}/${scope}`, {
      apiVersion: object.apiVersion ?? '',
      kind: object.kind ?? '',
      namespace: scope
    })
  }
  const found: string[] = []
  for (const { apiVersion, kind, namespace } of kinds.values()) {
    let items: KubernetesObject[]
    try {
      items = await list(cluster, { kind, apiVersion, namespace }, `${LABEL_APP}=${settings.app}`)
    } catch (error) {
      if (!isForbidden(error)) throw error
      notes.push(`${kind} objects cannot be listed by this identity: ${errorMessage(error)}`)
      continue
    }
    for (const item of items) {
      const object = {
        ...item,
        kind,
        metadata: { ...item.metadata, namespace: item.metadata?.namespace ?? namespace }
      }
      const key = objectKey(
        { kind, name: object.metadata.name ?? '', namespace: object.metadata.namespace },
        ns
      )
      if (!written.has(key)) found.push(objectLabel(object))
    }
  }
  return found.sort()
}

async function offlineDiff(
  frame: Frame,
  release: Release,
  manifests: KubernetesObject[],
  secrets: SecretValues
): Promise<DiffOutcome> {
  const { settings, stage } = frame
  const ns = settings.cluster.namespace
  const notes = [
    '**Approximate: no cluster access.** No kubeconfig input, no KUBECONFIG, no ~/.kube/config and not ' +
      'running in a cluster (pull requests from forks get no secrets). This compares the manifests ' +
      'rendered at this commit with the base ref; server defaults, admission changes and drift of the ' +
      'live objects are not shown.'
  ]
  if (manifests.length === 0) {
    return { mode: 'offline', changes: [], leftAlone: [], notes: [...notes, noManifestsNote()] }
  }
  const baseRef =
    settings.diff.baseRef ?? (settings.run.baseRef ? `origin/${settings.run.baseRef}` : undefined)
  const base = await stage('read base', async detail => {
    if (!baseRef) {
      detail('no base ref')
      return []
    }
    const objects = await loadManifestsAtRef(settings.manifests, baseRef, settings.run.workspace)
    secrets.collect(objects)
    detail(`${objects.length} object(s) at ${baseRef}`)
    return objects
  })
  notes.push(
    baseRef
      ? `Base: \`${baseRef}\`.`
      : 'No base ref (input `base-ref`, or GITHUB_BASE_REF on a pull request): every object is shown as new.'
  )

  // Only the stable Deployments the manifests define can be planned without reading the cluster.
  const stables: V1Deployment[] = []
  for (const name of settings.deployments) {
    const stable = manifestDeployment(manifests, name)
    if (stable) stables.push(stable)
    else {
      notes.push(
        `Deployment \`${name}\` is not in the manifests: its canary${settings.migration ? ', migration Job' : ''} and promotion are derived from the live Deployment, which cannot be read without cluster access.`
      )
    }
  }
  const planned: Settings = {
    ...settings,
    deployments: stables.map(stable => stable.metadata?.name ?? '')
  }
  const {
    changes,
    written,
    notes: planNotes
  } = await planAndProject(
    { ...frame, settings: planned },
    objectReads(manifests, planned),
    stables,
    release,
    offlineProjector(base, ns)
  )
  const leftAlone = base
    .filter(
      o =>
        !written.has(
          objectKey(
            { kind: o.kind ?? '', name: o.metadata?.name ?? '', namespace: o.metadata?.namespace },
            ns
          )
        )
    )
    .map(o =>
      objectLabel({ ...o, metadata: { ...o.metadata, namespace: o.metadata?.namespace ?? ns } })
    )
  return { mode: 'offline', changes, leftAlone, notes: [...notes, ...planNotes] }
}
