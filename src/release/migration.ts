/**
 * The migration Job in the plan: run exactly once per version. Planned, like every other write,
 * from what was read: a stable Deployment that already runs the version, or a Complete Job of the
 * version under any attempt's name, means it ran (a finished Job may since have been collected);
 * a Failed attempt is never patched (a Job's template is immutable) but followed by `-2`, `-3`...;
 * an attempt an earlier run started and that is still running is waited for, not started again.
 */
import type { V1Deployment, V1Job } from '@kubernetes/client-node'
import { jobStatus } from '../k8s/jobs.js'
import { ANNOTATION_VERSION, LABEL_APP, LABEL_VERSION, migrationJobName } from '../k8s/labels.js'
import type { Reads } from './reads.js'
import { migrationJobFromStable } from './render.js'
import type { Settings } from '../settings.js'
import type { PlanContext, Write } from './types.js'
import { applyOf } from './writes.js'

/** A migration retried this many times for one version is a problem for a person, not a loop. */
export const MAX_MIGRATION_ATTEMPTS = 10

/** What the migration of this version has left in the cluster, as read before planning. */
export interface MigrationView {
  /** The first stable Deployment, and the version it runs (its version annotation). */
  stable: string
  stableVersion?: string
  /** This version's migration Jobs: those named as one of its attempts or labelled with it. */
  jobs: V1Job[]
}

/** What deploy does about the migration. */
export type MigrationPlan =
  /** Creates attempt `job`, then waits for it. */
  | { kind: 'run'; job: string; write: Write }
  /** An earlier run's attempt `job` is still running: waits for it. */
  | { kind: 'wait'; job: string }
  /** It ran (`reason` says how we know): nothing to do. */
  | { kind: 'done'; reason: string }
  /** It failed every attempt: deploy refuses (`reason`). */
  | { kind: 'refused'; reason: string }

const attempts = (app: string, version: string) =>
  Array.from({ length: MAX_MIGRATION_ATTEMPTS }, (_, i) => migrationJobName(app, version, i + 1))

/** Reads what planning the migration needs; undefined when there is no migration. */
export async function observeMigration(reads: Reads): Promise<MigrationView | undefined> {
  const { settings } = reads
  const [stable] = settings.deployments
  if (!settings.migration || !stable) return undefined
  const { app, version } = settings
  const names = new Set(attempts(app, version))
  const live = await reads.read<V1Deployment>({ kind: 'Deployment', name: stable })
  const jobs = (await reads.list<V1Job>({ kind: 'Job' })).filter(job => {
    const labels = job.metadata?.labels ?? {}
    const ours = labels[LABEL_APP] === app && labels[LABEL_VERSION] === version
    return ours || names.has(job.metadata?.name ?? '')
  })
  return { stable, stableVersion: live?.metadata?.annotations?.[ANNOTATION_VERSION], jobs }
}

/** The migration Job for an attempt: the stable pod template, the new image, the command. */
export function migrationJob(ctx: PlanContext, attempt: number): V1Job | undefined {
  const { settings, release, templates } = ctx
  if (!settings.migration || !templates[0]) return undefined
  const name = migrationJobName(settings.app, settings.version, attempt)
  return migrationJobFromStable(templates[0], release, { name, ...settings.migration })
}

/** What the view says to do, before any Job is rendered. */
type Step = Exclude<MigrationPlan, { kind: 'run' }> | { kind: 'run'; job: string; attempt: number }

function nextStep(settings: Settings, view: MigrationView): Step {
  const { app, version } = settings
  if (view.stableVersion === version)
    return { kind: 'done', reason: `stable ${view.stable} already runs ${version}` }
  const complete = view.jobs.find(job => jobStatus(job).done)
  if (complete) return { kind: 'done', reason: `already done by Job ${complete.metadata?.name}` }
  for (const [index, name] of attempts(app, version).entries()) {
    const existing = view.jobs.find(job => job.metadata?.name === name)
    if (!existing) return { kind: 'run', job: name, attempt: index + 1 }
    if (!jobStatus(existing).failed) return { kind: 'wait', job: name }
  }
  return {
    kind: 'refused',
    reason: `migration for ${version} failed ${MAX_MIGRATION_ATTEMPTS} times (Jobs ${migrationJobName(app, version)}...): fix it, or deploy a new version`
  }
}

/** deploy, before it writes anything: throws when every attempt of the migration has failed. */
export function preflightMigration(settings: Settings, view: MigrationView | undefined): void {
  const step = view && nextStep(settings, view)
  if (step?.kind === 'refused') throw new Error(step.reason)
}

export function planMigration(ctx: PlanContext, view: MigrationView): MigrationPlan | undefined {
  const step = nextStep(ctx.settings, view)
  if (step.kind !== 'run') return step
  const job = migrationJob(ctx, step.attempt)
  return job && { kind: 'run', job: step.job, write: applyOf('migration', job) }
}
