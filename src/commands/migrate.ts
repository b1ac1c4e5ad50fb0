/**
 * deploy's migration stage: carries out the plan's migration (release/migration.ts) before the
 * canary starts, and waits for the Job to finish.
 */
import type { Cluster } from '../k8s/client.js'
import { waitForJob } from '../k8s/wait.js'
import type { Logger } from '../logger.js'
import { carryOut } from '../release/execute.js'
import type { MigrationPlan } from '../release/migration.js'
import type { Settings } from '../settings.js'

/** What happened, in a few words for the report: `Job shop-migrate-v2 completed`. */
export async function migrate(
  cluster: Cluster,
  plan: MigrationPlan,
  migration: NonNullable<Settings['migration']>,
  logger: Logger,
  signal: AbortSignal
): Promise<string> {
  switch (plan.kind) {
    case 'done':
      logger.info(`${plan.reason}: the migration is not run again`)
      return `${plan.reason} (skipped)`
    case 'refused':
      throw new Error(plan.reason)
    case 'wait':
      logger.info(`Job ${plan.job} is still running (an earlier run started it): waiting for it`)
      break
    case 'run':
      await carryOut(cluster, [plan.write], { logger })
      logger.info(`Job ${plan.job} created: ${migration.command.join(' ')}`)
  }
  // The Job's own activeDeadlineSeconds ends it; our wait allows a little more to see it say so.
  await waitForJob(cluster, plan.job, { timeoutMs: migration.timeoutMs + 60_000, logger, signal })
  return `Job ${plan.job} completed`
}
