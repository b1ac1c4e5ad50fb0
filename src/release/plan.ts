/**
 * Planning a release: pure functions from what was read (a Planner) and the release to the ordered
 * writes. deploy applies the deploy plan; promote applies the promote plan and keeps the inverse of
 * each write to undo a failed promotion; diff dry-runs both, in this order, and shows every write.
 */
import type { V1Job } from '@kubernetes/client-node'
import { migrationJobName } from '../k8s/labels.js'
import { migrationJobFromStable } from './render.js'
import type { ExposeStep, PlanContext, Planner, PromoteContext, Write } from './types.js'
import { applyOf } from './writes.js'

export interface DeployPlan {
  /** The migration Job of this version, first attempt (a retry is named -2, -3: migrationJob). */
  migration?: Write
  /** The release Deployment beside each stable one, each waited for. */
  releaseDeployments: Write[]
  /** Traffic steps: the first exposes the release; deploy judges it after each later one. */
  steps: ExposeStep[]
}

export interface PromotePlan {
  /** The other objects of the manifests, applied before anything moves. */
  manifests: Write[]
  /** Stable becomes the release (workload), then traffic follows (router); undone on failure. */
  promote: Write[]
  /** Once promoted: what the release no longer needs (canaries, their Service and Ingress). */
  retire: Write[]
}

/** The migration Job for an attempt: the stable pod template, the new image, the command. */
export function migrationJob(ctx: PlanContext, attempt: number): V1Job | undefined {
  const { settings, release, templates } = ctx
  if (!settings.migration || !templates[0]) return undefined
  const name = migrationJobName(settings.app, settings.version, attempt)
  return migrationJobFromStable(templates[0], release, { name, ...settings.migration })
}

export function planDeploy(planner: Planner, ctx: PlanContext): DeployPlan {
  const job = migrationJob(ctx, 1)
  return {
    ...(job ? { migration: applyOf('migration', job) } : {}),
    releaseDeployments: ctx.templates.map(template =>
      applyOf('release', planner.render(template, ctx.release), { rollout: true })
    ),
    steps: planner.expose(ctx)
  }
}

export function planPromote(planner: Planner, ctx: PromoteContext): PromotePlan {
  return {
    manifests: ctx.manifests.others.map(object => applyOf('manifest', object)),
    promote: planner.promote(ctx),
    retire: planner.retire()
  }
}

/** Every write of a deploy plan, in the order deploy makes them. */
export function deployWrites(plan: DeployPlan): Write[] {
  return [
    ...(plan.migration ? [plan.migration] : []),
    ...plan.releaseDeployments,
    ...plan.steps.flatMap(step => step.writes)
  ]
}

/** Every write of a promote plan, in the order promote makes them. */
export function promoteWrites(plan: PromotePlan): Write[] {
  return [...plan.manifests, ...plan.promote, ...plan.retire]
}
