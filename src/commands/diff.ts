/**
 * diff (a pull request check): renders everything deploy and promote would write for this version
 * and shows how it differs from what is there, without changing anything.
 *
 * With cluster credentials every object is server-side applied with dryRun, so defaults and
 * admission are in the result, and compared with the live object. Without them (pull requests from
 * forks get no secrets) the manifests are compared with the base ref, and the report says that this
 * is an approximation. Secret values never leave this file: only key names and short keyed hashes.
 */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node'
import { githubClient, describeApiError } from '../github/client.js'
import { upsertPullRequestComment } from '../github/comment.js'
import { readGitHubContext } from '../github/context.js'
import { newReport, renderMarkdown, type Report } from '../github/report.js'
import { parseImageRef, repositoryOf } from '../image/image-ref.js'
import { apply, list, read } from '../k8s/objects.js'
import { connect, type Cluster } from '../k8s/client.js'
import { KubeError } from '../k8s/errors.js'
import {
  ANNOTATION_APPROVER,
  ANNOTATION_DIGEST,
  ANNOTATION_VERSION,
  LABEL_APP,
  migrationJobName
} from '../k8s/labels.js'
import {
  loadManifests,
  loadManifestsAtRef,
  objectLabel,
  substituteImage
} from '../k8s/manifests.js'
import { diffObject, type DiffKind } from '../k8s/object-diff.js'
import {
  canaryFromStable,
  migrationJobFromStable,
  promotedFromManifest,
  promotedStable,
  type Release
} from '../k8s/render.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings.js'
import { sourceOf } from './release.js'
import { stageRunner, type Stage } from './stage.js'
import type { CommandContext, CommandHandler } from './types.js'

/** The diff output stays under GitHub's output size comfort zone. */
export const DIFF_OUTPUT_MAX_BYTES = 1024 * 1024
/** What the approved-by annotation will hold is only known when someone promotes. */
const APPROVER_PLACEHOLDER = '<approver on promote>'
/** The digest exists only once deploy has built and pushed the image. */
const DIGEST_PLACEHOLDER = 'sha256:<built on deploy>'
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token'

type Role = 'migration' | 'canary' | 'stable' | 'manifest'

interface Planned {
  role: Role
  object: KubernetesObject
}

interface ObjectChange {
  label: string
  kind: DiffKind | 'refused'
  text: string
  note?: string
}

interface DiffOutcome {
  mode: 'cluster' | 'offline'
  changes: ObjectChange[]
  /** Objects that are there (labelled app=<app>, or in the base manifests) and are never pruned. */
  leftAlone: string[]
  notes: string[]
}

export const diff: CommandHandler = async (settings, context) => {
  const { logger } = context
  const report = newReport('diff', `Diff ${settings.app} ${settings.version}`)
  const secrets = new SecretValues(logger)
  const stage = stageRunner(report, logger)
  try {
    const release = releaseFor(settings)
    report.facts.push(
      ['app', settings.app],
      ['namespace', settings.cluster.namespace],
      ['version', settings.version],
      ['image', `\`${release.imageRef}\``]
    )
    const manifests = await stage('read manifests', async detail => {
      const objects = loadManifests(settings.manifests)
      secrets.collect(objects)
      detail(`${objects.length} object(s) from ${settings.manifests.length} path(s)`)
      return objects
    })

    const outcome = hasClusterCredentials(settings, context.env)
      ? await clusterDiff(settings, context, release, manifests, secrets, stage)
      : await offlineDiff(settings, context, release, manifests, secrets, stage)

    summarize(report, settings, release, outcome)
    const text = outcome.changes
      .filter(c => c.text)
      .map(c => c.text)
      .join('\n')
    for (const change of outcome.changes) logger.info(`${change.label}: ${change.kind}`)
    if (text) await logger.group('diff', async () => logger.info(text))

    if (settings.diff.comment) await commentOnPullRequest(report, settings, context)
    return {
      report,
      outputs: {
        version: settings.version,
        image: release.imageRef,
        'has-changes': String(
          outcome.changes.some(c => c.kind === 'create' || c.kind === 'update')
        ),
        diff: truncateOutput(text)
      }
    }
  } catch (error) {
    report.status = 'failure'
    report.reason = secrets.scrub(errorText(error))
    return { report, outputs: { version: settings.version } }
  }
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
  return {
    app: settings.app,
    version: settings.version,
    imageRef,
    digest: digest ?? DIGEST_PLACEHOLDER,
    source: sourceOf(settings),
    container: settings.container
  }
}

/** Whether connect() has anything to connect with; mirrors its search order. */
export function hasClusterCredentials(settings: Settings, env: NodeJS.ProcessEnv): boolean {
  if (settings.cluster.kubeconfig) return true
  if (env.KUBECONFIG?.trim()) return true
  if (existsSync(join(env.HOME || homedir(), '.kube', 'config'))) return true
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(SERVICE_ACCOUNT_TOKEN)
}

/**
 * Everything deploy and promote write, in the order they write it: the migration Job, the canaries,
 * the stable Deployments as promotion leaves them, then the other manifests with the image put in.
 * A stable found in the manifests is shown once, as promoted.
 */
function planRelease(
  settings: Settings,
  release: Release,
  stables: V1Deployment[],
  manifests: KubernetesObject[],
  stablesFromManifests: Set<string>
): Planned[] {
  const substituted = substituteImage(manifests, repositoryOf(release.imageRef), release.imageRef)
  const planned: Planned[] = []
  if (settings.migration && stables[0]) {
    const name = migrationJobName(settings.app, settings.version)
    const job = migrationJobFromStable(stables[0], release, { name, ...settings.migration })
    planned.push({ role: 'migration', object: job })
  }
  for (const stable of stables) {
    const canary = canaryFromStable(stable, release, { replicas: settings.canary.replicas })
    planned.push({ role: 'canary', object: canary })
  }
  for (const stable of stables) {
    const name = stable.metadata?.name ?? ''
    const fromManifest = stablesFromManifests.has(name)
      ? substituted.find(o => o.kind === 'Deployment' && o.metadata?.name === name)
      : undefined
    planned.push({
      role: 'stable',
      object: fromManifest
        ? promotedFromManifest(fromManifest as V1Deployment, release, approverOf(stable, release))
        : promotedStable(stable, release, approverOf(stable, release))
    })
  }
  for (const object of substituted) {
    const isStable =
      object.kind === 'Deployment' && stablesFromManifests.has(object.metadata?.name ?? '')
    if (!isStable) planned.push({ role: 'manifest', object })
  }
  return planned
}

/**
 * Who promote will record is known only when someone approves; a stable already promoted to this
 * very release keeps its approver, so an unchanged release shows no change.
 */
function approverOf(stable: V1Deployment, release: Release): string {
  const annotations = stable.metadata?.annotations ?? {}
  const samePromotion =
    annotations[ANNOTATION_VERSION] === release.version &&
    annotations[ANNOTATION_DIGEST] === release.digest
  return (samePromotion && annotations[ANNOTATION_APPROVER]) || APPROVER_PLACEHOLDER
}

function manifestDeployment(manifests: KubernetesObject[], name: string): V1Deployment | undefined {
  return manifests.find(o => o.kind === 'Deployment' && o.metadata?.name === name) as
    V1Deployment | undefined
}

/** kind/namespace/name: the identity of an object across versions of its apiVersion. */
function objectKey(object: KubernetesObject, namespace: string): string {
  return `${object.kind}/${object.metadata?.namespace ?? namespace}/${object.metadata?.name}`
}

async function clusterDiff(
  settings: Settings,
  context: CommandContext,
  release: Release,
  manifests: KubernetesObject[],
  secrets: SecretValues,
  stage: Stage
): Promise<DiffOutcome> {
  const { logger } = context
  const cluster = await stage('connect', async detail => {
    const connected = await connect({
      ...settings.cluster,
      logger
    })
    detail(connected.server)
    return connected
  })
  try {
    const fromManifests = new Set<string>()
    const stables = await stage('read stable', async detail => {
      const found: V1Deployment[] = []
      for (const name of settings.deployments) {
        const inManifests = manifestDeployment(manifests, name)
        if (inManifests) fromManifests.add(name)
        const stable =
          inManifests ?? (await read<V1Deployment>(cluster, { kind: 'Deployment', name }))
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
    const planned = planRelease(settings, release, stables, manifests, fromManifests)
    const changes = await stage('dry-run apply', async detail => {
      const results: ObjectChange[] = []
      for (const item of planned) results.push(await dryRunChange(cluster, item, secrets))
      detail(countLine(results))
      return results
    })
    const leftAlone =
      manifests.length > 0
        ? await stage('list unmanaged', async detail => {
            const found = await objectsLeftAlone(cluster, settings, manifests, planned)
            detail(
              `${found.length} object(s) labelled ${LABEL_APP}=${settings.app} not in the manifests`
            )
            return found
          })
        : []
    return { mode: 'cluster', changes, leftAlone, notes: [] }
  } finally {
    cluster.dispose()
  }
}

/** Live object vs. what a dry-run server-side apply says it would become. */
async function dryRunChange(
  cluster: Cluster,
  item: Planned,
  secrets: SecretValues
): Promise<ObjectChange> {
  const { object } = item
  const label = objectLabel({
    ...object,
    metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? cluster.namespace }
  })
  const ref = {
    kind: object.kind ?? '',
    name: object.metadata?.name ?? '',
    apiVersion: object.apiVersion,
    namespace: object.metadata?.namespace
  }
  const live = await read<KubernetesObject>(cluster, ref)
  if (item.role === 'migration' && live) {
    // A Job's template is immutable and deploy looks for this exact name: it will not migrate again.
    return {
      label,
      kind: 'unchanged',
      text: '',
      note: 'exists: this version has already been migrated (or is migrating); deploy will not run it again'
    }
  }
  let after: KubernetesObject
  try {
    // Promotion takes the image field over from whoever set it (promote applies with force).
    after = await apply(cluster, object, { dryRun: true, force: item.role === 'stable' })
  } catch (error) {
    if (!(error instanceof KubeError) || error.status === undefined) throw error
    // The cluster answered: this object would be refused (invalid, conflict, admission).
    return { label, kind: 'refused', text: '', note: secrets.scrub(errorText(error)) }
  }
  const { kind, text } = diffObject(label, live, after)
  return { label, kind, text }
}

/** Objects labelled app=<app>, of the kinds the manifests hold, that nothing here would write. */
async function objectsLeftAlone(
  cluster: Cluster,
  settings: Settings,
  manifests: KubernetesObject[],
  planned: Planned[]
): Promise<string[]> {
  const ns = cluster.namespace
  const wanted = new Set(planned.map(p => objectKey(p.object, ns)))
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
    const items = await list(
      cluster,
      { kind, apiVersion, namespace },
      `${LABEL_APP}=${settings.app}`
    )
    for (const item of items) {
      const object = {
        ...item,
        kind,
        metadata: { ...item.metadata, namespace: item.metadata?.namespace ?? namespace }
      }
      if (!wanted.has(objectKey(object, ns))) found.push(objectLabel(object))
    }
  }
  return found.sort()
}

async function offlineDiff(
  settings: Settings,
  context: CommandContext,
  release: Release,
  manifests: KubernetesObject[],
  secrets: SecretValues,
  stage: Stage
): Promise<DiffOutcome> {
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
    settings.diff.baseRef ??
    (context.env.GITHUB_BASE_REF ? `origin/${context.env.GITHUB_BASE_REF}` : undefined)
  const base = await stage('read base', async detail => {
    if (!baseRef) {
      detail('no base ref')
      return []
    }
    const objects = await loadManifestsAtRef(settings.manifests, baseRef, settings.source.workspace)
    secrets.collect(objects)
    detail(`${objects.length} object(s) at ${baseRef}`)
    return objects
  })
  if (!baseRef) {
    notes.push(
      'No base ref (input `base-ref`, or GITHUB_BASE_REF on a pull request): every object is shown as new.'
    )
  } else {
    notes.push(`Base: \`${baseRef}\`.`)
  }

  const fromManifests = new Set<string>()
  const stables: V1Deployment[] = []
  for (const name of settings.deployments) {
    const stable = manifestDeployment(manifests, name)
    if (stable) {
      fromManifests.add(name)
      stables.push(stable)
    } else {
      notes.push(
        `Deployment \`${name}\` is not in the manifests: its canary${settings.migration ? ', migration Job' : ''} and promotion are derived from the live Deployment, which cannot be read without cluster access.`
      )
    }
  }
  const planned = planRelease(settings, release, stables, manifests, fromManifests)
  const before = new Map(base.map(o => [objectKey(o, ns), o]))
  const changes = planned.map(({ object }) => {
    const label = objectLabel({
      ...object,
      metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? ns }
    })
    const { kind, text } = diffObject(label, before.get(objectKey(object, ns)), object)
    return { label, kind, text }
  })
  const wanted = new Set(planned.map(p => objectKey(p.object, ns)))
  const leftAlone = base
    .filter(o => !wanted.has(objectKey(o, ns)))
    .map(o =>
      objectLabel({ ...o, metadata: { ...o.metadata, namespace: o.metadata?.namespace ?? ns } })
    )
  return { mode: 'offline', changes, leftAlone, notes }
}

function noManifestsNote(): string {
  return (
    'No manifests were given, so there is nothing to render: deploy derives the canary from the ' +
    'live Deployments, which cannot be read without cluster access.'
  )
}

function countLine(changes: ObjectChange[]): string {
  const count = (kind: ObjectChange['kind']): number => changes.filter(c => c.kind === kind).length
  const refused = count('refused')
  return (
    `${count('create')} created, ${count('update')} changed, ${count('unchanged')} unchanged` +
    (refused ? `, ${refused} refused` : '')
  )
}

const KIND_HEADING: Record<ObjectChange['kind'], string> = {
  create: 'created',
  update: 'changed',
  delete: 'deleted',
  unchanged: 'unchanged',
  refused: 'refused by the cluster'
}

function summarize(
  report: Report,
  settings: Settings,
  release: Release,
  outcome: DiffOutcome
): void {
  const { changes, leftAlone, notes } = outcome
  const count = (kind: ObjectChange['kind']): number => changes.filter(c => c.kind === kind).length
  report.title = `Diff ${settings.app} ${settings.version}${outcome.mode === 'offline' ? ' (approximate)' : ''}`
  report.facts.push(
    [
      'compared',
      outcome.mode === 'cluster'
        ? 'live objects vs. server-side apply dry run'
        : 'manifests at the base ref vs. this commit (no cluster access)'
    ],
    ['objects created', String(count('create'))],
    ['objects changed', String(count('update'))],
    ['objects unchanged', String(count('unchanged'))],
    ['objects left alone', String(leftAlone.length)]
  )
  if (count('refused') > 0) report.facts.push(['objects refused', String(count('refused'))])
  if (release.digest === DIGEST_PLACEHOLDER) {
    notes.push(
      `The image digest is not known until deploy builds and pushes the image: \`${release.imageRef}\` stands in for it, and \`${DIGEST_PLACEHOLDER}\` for the digest annotation.`
    )
  }
  if (notes.length > 0)
    report.sections.push({ title: 'Notes', body: notes.map(n => `- ${n}`).join('\n') })

  for (const change of changes) {
    if (change.kind === 'unchanged' && !change.note) continue
    const body = [
      change.note ? `> ${change.note.split('\n').join('\n> ')}` : '',
      change.text ? fenced(change.text) : ''
    ]
      .filter(Boolean)
      .join('\n\n')
    report.sections.push({
      title: `${change.label}: ${KIND_HEADING[change.kind]}`,
      body,
      collapsed: true
    })
  }
  const unchanged = changes.filter(c => c.kind === 'unchanged' && !c.note)
  if (unchanged.length > 0) {
    report.sections.push({
      title: `Unchanged (${unchanged.length})`,
      body: unchanged.map(c => `- ${c.label}`).join('\n'),
      collapsed: true
    })
  }
  if (leftAlone.length > 0) {
    report.sections.push({
      title: `Would be left alone (${leftAlone.length})`,
      body:
        `Not in the manifests${outcome.mode === 'cluster' ? ` but labelled \`${LABEL_APP}=${settings.app}\`` : ' any more'}; nothing is ever pruned:\n\n` +
        leftAlone.map(l => `- ${l}`).join('\n'),
      collapsed: true
    })
  }
  const refused = changes.filter(c => c.kind === 'refused')
  if (refused.length > 0) {
    report.status = 'failure'
    report.reason = `${refused.length} object(s) would be refused by the cluster: ${refused.map(c => c.label).join(', ')}`
  } else if (outcome.mode === 'offline' && changes.length === 0) {
    report.status = 'no-op'
    report.reason = noManifestsNote()
  }
}

/** A ```diff fence longer than any backtick run inside, so the text cannot close it. */
function fenced(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return `${fence}diff\n${text.trimEnd()}\n${fence}`
}

function truncateOutput(text: string): string {
  if (Buffer.byteLength(text) <= DIFF_OUTPUT_MAX_BYTES) return text
  const note = `\n… the diff was cut at ${DIFF_OUTPUT_MAX_BYTES} bytes; the full text is in the job log.\n`
  const room = DIFF_OUTPUT_MAX_BYTES - Buffer.byteLength(note)
  const buffer = Buffer.from(text)
  let end = room
  while (end > 0 && (buffer[end] & 0xc0) === 0x80) end--
  return buffer.subarray(0, end).toString('utf8') + note
}

/** One PR comment per app and namespace, kept current; a failure to comment only warns. */
async function commentOnPullRequest(
  report: Report,
  settings: Settings,
  context: CommandContext
): Promise<void> {
  const gh = readGitHubContext(context.env)
  const token = settings.github.token
  if (!token || gh.prNumber === undefined || !gh.owner) {
    context.logger.debug(
      'diff: no PR comment (needs github-token, a pull request and GITHUB_REPOSITORY)'
    )
    return
  }
  try {
    const octokit = githubClient(token, gh.apiUrl, context.logger)
    const result = await upsertPullRequestComment(octokit, {
      owner: gh.owner,
      repo: gh.repo,
      issueNumber: gh.prNumber,
      marker: `diff:${settings.app}:${settings.cluster.namespace}`,
      body: renderMarkdown(report)
    })
    report.facts.push([
      'PR comment',
      `${result.created ? 'created' : 'updated'} on #${gh.prNumber}`
    ])
  } catch (error) {
    context.logger.warning(
      `could not comment on pull request #${gh.prNumber}: ${describeApiError(error)}`
    )
    report.facts.push(['PR comment', `failed: ${describeApiError(error)}`])
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Secret values read from manifests: masked in the log the moment they are read, and cut out of
 * any error text that could quote them (a server's validation message, a parse error).
 */
class SecretValues {
  private readonly values = new Set<string>()
  constructor(private readonly logger: Logger) {}

  collect(objects: KubernetesObject[]): void {
    for (const object of objects) {
      if (object.kind !== 'Secret') continue
      const { data, stringData } = object as { data?: unknown; stringData?: unknown }
      for (const [encoding, map] of [
        ['base64', data],
        ['utf8', stringData]
      ] as const) {
        if (typeof map !== 'object' || map === null) continue
        for (const value of Object.values(map)) {
          if (typeof value !== 'string' || value.length < 3) continue
          const plain =
            encoding === 'base64' ? Buffer.from(value, 'base64').toString('utf8') : value
          const encoded = encoding === 'base64' ? value : Buffer.from(value).toString('base64')
          for (const form of [plain, encoded]) {
            if (form.length >= 3 && !this.values.has(form)) {
              this.values.add(form)
              this.logger.mask(form)
            }
          }
        }
      }
    }
  }

  scrub(text: string): string {
    let result = text
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      result = result.split(value).join('***')
    }
    return result
  }
}
