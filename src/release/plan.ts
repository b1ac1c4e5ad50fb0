/**
 * Planning a release: pure functions from what was read (a Planner) and the release to the ordered
 * writes. deploy applies the deploy plan; promote applies the promote plan and keeps the inverse of
 * each write to undo a failed promotion; diff dry-runs both, in this order, and shows every write.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { planMigration, type MigrationPlan, type MigrationView } from './migration.js'
import type { ExposeStep, PlanContext, Planner, PromoteContext, Write } from './types.js'
import { refOf } from '../k8s/objects.js'
import { applyOf, objectKey } from './writes.js'

export interface DeployPlan {
  /** What is done about the migration (a Job created, waited for, or nothing); none without one. */
  migration?: MigrationPlan
  /** The release Deployment beside each stable one, each waited for. */
  releaseDeployments: Write[]
  /** Traffic steps: the first exposes the release; deploy judges it after each later one. */
  steps: ExposeStep[]
  /** The release Deployment beside each stable one as rendered, in order, whether written or not. */
  rendered: V1Deployment[]
  /**
   * Release Deployments already live as this very release (rainbow, promoted): nothing of the
   * release is written again, its migration included (the workload refuses a release that is
   * live beside one stable Deployment and not beside another).
   */
  live: string[]
}

export interface PromotePlan {
  /** The other objects of the manifests, applied before anything moves. */
  manifests: Write[]
  /** Stable becomes the release (workload), then traffic follows (router); undone on failure. */
  promote: Write[]
  /** Once promoted: what the release no longer needs (canaries, their Service and Ingress). */
  retire: Write[]
}

/** `migration`: what observeMigration read (undefined: no migration). */
export function planDeploy(
  planner: Planner,
  ctx: PlanContext,
  migration?: MigrationView
): DeployPlan {
  // Rendered even when live: rendering refuses a live release's name for another image.
  const rendered = ctx.templates.map(template => planner.render(template, ctx.release))
  const live = ctx.templates.flatMap(template => planner.live(template.metadata?.name ?? '') ?? [])
  if (live.length > 0) return { releaseDeployments: [], steps: [], rendered, live }
  const migrating = migration && planMigration(ctx, migration)
  return {
    ...(migrating ? { migration: migrating } : {}),
    releaseDeployments: rendered.map(deployment =>
      applyOf('release', deployment, { rollout: true })
    ),
    steps: planner.expose(ctx),
    rendered,
    live
  }
}

export function planPromote(planner: Planner, ctx: PromoteContext): PromotePlan {
  const retire = planner.retire()
  // An object the router changes in place (the user's HTTPRoute) stays its owner's to apply: an
  // apply of the manifests' copy would take its rules from under the router and their owner.
  const namespace = ctx.settings.cluster.namespace
  const steered = new Set(
    retire.filter(w => w.verb === 'modify').map(w => objectKey(w.ref, namespace))
  )
  return {
    manifests: ctx.manifests.others
      .filter(object => !steered.has(objectKey(refOf(object), namespace)))
      .map(object => applyOf('manifest', object)),
    promote: planner.promote(ctx),
    retire
  }
}

/** Every write of a deploy plan, in the order deploy makes them. */
export function deployWrites(plan: DeployPlan): Write[] {
  return [
    ...(plan.migration?.kind === 'run' ? [plan.migration.write] : []),
    ...plan.releaseDeployments,
    ...plan.steps.flatMap(step => step.writes)
  ]
}

/** Every write of a promote plan, in the order promote makes them. */
export function promoteWrites(plan: PromotePlan): Write[] {
  return [...plan.manifests, ...plan.promote, ...plan.retire]
}
