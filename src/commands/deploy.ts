/**
 * deploy (every push): build + push the image -> migration Job, once -> canary beside each stable
 * Deployment -> smoke checks -> a summary that says how to promote. Nothing here touches a stable
 * Deployment; a failure removes the canaries this run applied (rollback-on-failure).
 */
import type { V1Deployment, V1Job } from '@kubernetes/client-node'
import { codeBlock, newReport, skipStage, timeStage, type Report } from '../github/report.js'
import { readGitHubContext } from '../github/context.js'
import { selectBuilder } from '../image/select.js'
import { isLoopbackRegistry, parseImageRef } from '../image/image-ref.js'
import { resolveDigest } from '../image/registry.js'
import { apply, list, read } from '../k8s/objects.js'
import type { Cluster } from '../k8s/client.js'
import { ANNOTATION_VERSION, LABEL_APP, migrationJobName } from '../k8s/labels.js'
import { migrationJobFromStable, type Release } from '../k8s/render.js'
import { jobStatus } from '../k8s/jobs.js'
import { waitForJob, waitForRollout, WaitError } from '../k8s/wait.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings.js'
import { trackDeployment } from './deployment-status.js'
import { releaseManifests, releaseTemplates } from './release-manifests.js'
import { openSession, type Session } from './session.js'
import { errorMessage, promoteInstructions, readStables, smokeCanary, sourceOf } from './release.js'
import { strategyFor, type ReleaseStrategy, type StrategyRun } from './strategies/index.js'
import { stageRunner } from './stage.js'
import type { CommandContext, CommandHandler } from './types.js'

/** A migration retried this many times for one version is a problem for a person, not a loop. */
const MAX_MIGRATION_ATTEMPTS = 10

export interface BuiltImage {
  imageRef: string
  digest: string
  detail: string
}

export const deploy: CommandHandler = async (settings, context) => {
  const { logger } = context
  const report = newReport('deploy', `Deploy ${settings.app} ${settings.version}`)
  report.facts.push(
    ['app', settings.app],
    ['namespace', settings.cluster.namespace],
    ['version', settings.version],
    ['deployments', settings.deployments.join(', ')],
    ['strategy', settings.strategy]
  )
  const stage = stageRunner(report, logger)

  const strategy = strategyFor(settings.strategy)
  let canaries: string[] = []
  const applied: string[] = []
  const tracked = await trackDeployment(
    settings,
    context,
    `${settings.github.environment}-canary`,
    `canary ${settings.version}`
  )
  let session: Session | undefined
  try {
    session = await openSession(settings, context, report)
    const live = session.cluster
    // Read before anything is built or written: a wrong Deployment name fails here, cheaply.
    const stables = await stage('read stable', async detail => {
      const found = await readStables(live, settings)
      detail(found.map(d => `${d.metadata?.name}@${d.metadata?.resourceVersion}`).join(', '))
      return found
    })
    canaries = stables.map(stable => strategy.releaseName(stable, settings))
    // With manifests, the release is derived from them; without, from the live stable Deployments.
    const templates = releaseTemplates(stables, releaseManifests(settings))

    // Checked and read-only so far; from here on this run writes, so it takes the app's lock.
    await session.lock()
    const signal = session.signal
    const run: StrategyRun = { cluster: live, settings, logger, signal, report }
    await strategy.prepare?.(run, stables)

    const image = await stage(settings.image.build ? 'build' : 'resolve image', async detail => {
      const built = await produceImage(settings, context)
      detail(built.detail)
      return built
    })
    report.facts.push(['image', image.imageRef], ['digest', image.digest])
    const release: Release = {
      app: settings.app,
      version: settings.version,
      imageRef: image.imageRef,
      digest: image.digest,
      source: sourceOf(settings),
      container: settings.container
    }

    if (settings.migration) {
      const migration = settings.migration
      const outcome = await stage('migrate', async detail => {
        const result = await migrateOnce(live, templates[0], release, migration, logger, signal)
        detail(result)
        return result
      })
      report.facts.push(['migration', outcome])
    } else {
      skipStage(report, 'migrate', 'no migrate-command')
    }

    await stage('canary', async detail => {
      for (const [i, stable] of stables.entries()) {
        await apply(live, strategy.render(templates[i], release, settings))
        applied.push(strategy.releaseName(stable, settings))
        context.checkpoint?.({ applied: [...applied] })
      }
      await Promise.all(
        applied.map(name =>
          waitForRollout(live, name, { timeoutMs: settings.timeoutMs, logger, signal })
        )
      )
      detail(`${applied.join(', ')} available, ${settings.canary.replicas} replica(s) each`)
    })

    await session.phase('smoke', applied)
    const smoke = async (detail: (text: string) => void) => {
      const canary = await read<V1Deployment>(live, { kind: 'Deployment', name: canaries[0] })
      if (!canary) throw new Error(`${canaries[0]} disappeared before it could be smoke-checked`)
      const outcome = await smokeCanary(
        live,
        canary,
        settings,
        logger,
        signal,
        strategy.podSelector(canary)
      )
      report.sections.push({ title: 'Smoke checks', body: codeBlock(outcome.summary) })
      detail(`${outcome.results.filter(r => r.ok).length}/${outcome.results.length} passed`)
      if (!outcome.ok) {
        const failed = outcome.results.find(r => !r.ok)
        throw new Error(`smoke check failed: ${failed?.message ?? 'no result'}`)
      }
    }
    await stage('smoke', smoke)
    if (strategy.expose) {
      const expose = strategy.expose.bind(strategy)
      await stage('expose', async detail =>
        detail(await expose(run, stables, () => smoke(() => undefined)))
      )
    }

    await session.phase('ready', applied)
    report.facts.push(['canary', canaries.join(', ')])
    report.next = {
      title: 'Promote or roll back',
      markdown: promoteInstructions(settings, image.digest)
    }
    await tracked.finish('success', { description: `canary ${settings.version} is live` })
    return {
      report,
      outputs: {
        version: settings.version,
        image: image.imageRef,
        digest: image.digest,
        canary: canaries.join(',')
      }
    }
  } catch (error) {
    fail(report, error, context.signal)
    if (session && applied.length > 0) {
      if (settings.rollbackOnFailure) {
        const run = { cluster: session.cluster, settings, logger, signal: context.signal, report }
        await undoCanaries(run, strategy)
      } else {
        await session.phase('failed', applied)
        report.facts.push(['canary', 'kept for inspection (rollback-on-failure: false)'])
      }
    }
    await tracked.finish('failure', { description: report.reason?.slice(0, 140) })
    if (
      settings.rollbackOnFailure &&
      report.facts.some(([k, v]) => k === 'canary' && v.startsWith('removed'))
    ) {
      context.checkpoint?.({ applied: [] })
    }
    return { report, outputs: { version: settings.version } }
  } finally {
    await session?.close()
  }
}

function fail(report: Report, error: unknown, signal: AbortSignal): void {
  report.status = 'failure'
  report.reason = errorMessage(error).split('\n')[0]
  // Say it plainly: a cancelled run is not a broken release.
  if (signal.aborted) report.reason = `cancelled: ${report.reason}`
  const full = errorMessage(error)
  const verdict = error instanceof WaitError ? error.verdict?.message : undefined
  const details = [full, verdict && !full.includes(verdict) ? verdict : '']
    .filter(Boolean)
    .join('\n\n')
  if (details.includes('\n') || details.length > report.reason.length) {
    report.sections.push({ title: 'What went wrong', body: codeBlock(details) })
  }
}

async function undoCanaries(run: StrategyRun, strategy: ReleaseStrategy): Promise<void> {
  const { report, logger } = run
  try {
    await logger.group('rollback', () =>
      timeStage(report, 'rollback', async s => {
        const removed = await strategy.discard(run)
        s.detail = removed.length > 0 ? `deleted ${removed.join(', ')}` : 'no canary to delete'
      })
    )
    report.facts.push(['canary', 'removed (rollback-on-failure)'])
  } catch (error) {
    report.facts.push(['canary', `could NOT be removed: ${errorMessage(error)}`])
  }
}

/** Builds and pushes (build: true) or resolves the given image's digest (build: false). */
async function produceImage(settings: Settings, context: CommandContext): Promise<BuiltImage> {
  const { image } = settings
  const registry = image.registry ?? parseImageRef(image.name).registry
  const credentials =
    image.username && image.password
      ? { username: image.username, password: image.password }
      : undefined
  if (!image.build) {
    const resolved = await resolveDigest(image.name, credentials, { logger: context.logger })
    return {
      imageRef: resolved.imageRef,
      digest: resolved.digest,
      detail: `${image.name} is ${resolved.digest}`
    }
  }
  const builder = await selectBuilder(context.env, 'auto', context.logger)
  const gh = readGitHubContext(context.env)
  let built
  try {
    if (credentials) await builder.login(registry, credentials.username, credentials.password)
    built = await builder.build({
      context: image.context,
      dockerfile: image.dockerfile,
      image: `${image.name}:${settings.version}`,
      buildArgs: image.buildArgs,
      labels: {},
      cache: image.cache,
      version: settings.version,
      revision: settings.source.sha,
      source: gh.repository ? `${gh.serverUrl}/${gh.repository}` : '',
      logger: context.logger,
      tlsVerify: isLoopbackRegistry(registry) ? false : undefined,
      signal: context.signal
    })
  } finally {
    // The registry login is not left on disk.
    await builder.dispose?.()
  }
  for (const warning of built.warnings) context.logger.warning(warning)
  const cache = built.cacheHit === undefined ? '' : built.cacheHit ? ', cache hit' : ', cache miss'
  return {
    imageRef: built.imageRef,
    digest: built.digest,
    detail: `${builder.name}: pushed ${built.imageRef}${cache}`
  }
}

/**
 * Runs the migration exactly once per version: a Complete Job for this version is the proof it ran;
 * a Failed one is never patched (a Job's template is immutable) but followed by `-2`, `-3`...
 */
async function migrateOnce(
  cluster: Cluster,
  stable: V1Deployment,
  release: Release,
  migration: NonNullable<Settings['migration']>,
  logger: Logger,
  signal: AbortSignal
): Promise<string> {
  // A finished Job of this version, under any attempt's name, or a stable that already runs the
  // version, proves the migration ran: its Job may have been collected since (ttlSecondsAfterFinished).
  const done = await completedMigration(cluster, stable, release)
  if (done) {
    logger.info(`${done}: the migration is not run again`)
    return `${done} (skipped)`
  }
  for (let attempt = 1; attempt <= MAX_MIGRATION_ATTEMPTS; attempt++) {
    const name = migrationJobName(release.app, release.version, attempt)
    const existing = await read<V1Job>(cluster, { kind: 'Job', name })
    if (existing) {
      const state = jobStatus(existing)
      if (state.done) {
        logger.info(
          `Job ${name} already completed for ${release.version}: the migration is not run again`
        )
        return `already done by Job ${name} (skipped)`
      }
      if (state.failed) {
        logger.info(`Job ${name} failed earlier; retrying as a new Job`)
        continue
      }
      logger.info(`Job ${name} is still running (an earlier run started it): waiting for it`)
    } else {
      const job = migrationJobFromStable(stable, release, { name, ...migration })
      await apply(cluster, job)
      logger.info(`Job ${name} created: ${migration.command.join(' ')}`)
    }
    // The Job's own activeDeadlineSeconds ends it; our wait allows a little more to see it say so.
    await waitForJob(cluster, name, { timeoutMs: migration.timeoutMs + 60_000, logger, signal })
    return `Job ${name} completed`
  }
  throw new Error(
    `migration for ${release.version} failed ${MAX_MIGRATION_ATTEMPTS} times (Jobs ${migrationJobName(release.app, release.version)}...): fix it, or deploy a new version`
  )
}

async function completedMigration(
  cluster: Cluster,
  stable: V1Deployment,
  release: Release
): Promise<string | undefined> {
  if (stable.metadata?.annotations?.[ANNOTATION_VERSION] === release.version) {
    return `stable ${stable.metadata?.name} already runs ${release.version}`
  }
  const jobs = await list<V1Job>(
    cluster,
    { kind: 'Job' },
    `${LABEL_APP}=${release.app},${ANNOTATION_VERSION}=${release.version}`
  )
  const complete = jobs.find(job => jobStatus(job).done)
  return complete ? `already done by Job ${complete.metadata?.name}` : undefined
}
