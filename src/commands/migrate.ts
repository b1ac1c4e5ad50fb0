/**
 * The migration Job, run exactly once per version, before the canary starts.
 */
import type { V1Deployment, V1Job } from '@kubernetes/client-node'
import type { Cluster } from '../k8s/client.js'
import { jobStatus } from '../k8s/jobs.js'
import { ANNOTATION_VERSION, LABEL_APP, LABEL_VERSION, migrationJobName } from '../k8s/labels.js'
import { apply, list, read } from '../k8s/objects.js'
import { waitForJob } from '../k8s/wait.js'
import type { Logger } from '../logger.js'
import { migrationJob } from '../release/plan.js'
import type { Release } from '../release/render.js'
import type { PlanContext } from '../release/types.js'
import type { Settings } from '../settings.js'

/** A migration retried this many times for one version is a problem for a person, not a loop. */
const MAX_MIGRATION_ATTEMPTS = 10

/**
 * Runs the migration exactly once per version: a Complete Job for this version is the proof it ran;
 * a Failed one is never patched (a Job's template is immutable) but followed by `-2`, `-3`...
 */
export async function migrateOnce(
  cluster: Cluster,
  ctx: PlanContext,
  migration: NonNullable<Settings['migration']>,
  logger: Logger,
  signal: AbortSignal
): Promise<string> {
  const { release } = ctx
  const stable = ctx.templates[0]
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
      await apply(cluster, migrationJob(ctx, attempt) as V1Job)
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
    `${LABEL_APP}=${release.app},${LABEL_VERSION}=${release.version}`
  )
  const complete = jobs.find(job => jobStatus(job).done)
  return complete ? `already done by Job ${complete.metadata?.name}` : undefined
}
