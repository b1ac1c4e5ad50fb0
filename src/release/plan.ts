/**
 * Planning a release: pure functions from what was read (a Planner) and the release to the ordered
 * writes. deploy applies the deploy plan; promote applies the promote plan and keeps the inverse of
 * each write to undo a failed promotion; diff dry-runs both, in this order, and shows every write.
 */
import type { V1Deployment, V1Job } from '@kubernetes/client-node'
import { migrationJobName } from '../k8s/labels.js'
import { migrationJobFromStable } from './render.js'
import type { ExposeStep, PlanContext, Planner, PromoteContext, Write } from './types.js'
import { applyOf } from './writes.js'

export interface DeployPlan {
  /** The migration Job of this version, first attempt (a retry is named -2, -3: migrationJob). */
  migration?: Write
  /** The release Deployment beside each stable one, each waited for. */
  release: Write[]
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

/** The migration Job for an attempt: the stable pod template, the new image, the command. */
export function migrationJob(ctx: PlanContext, attempt: number): V1Job | undefined {
  const { settings, release, templates } = ctx
  if (!settings.migration || !templates[0]) return undefined
  const name = migrationJobName(settings.app, settings.version, attempt)
  return migrationJobFromStable(templates[0], release, { name, ...settings.migration })
}

export function planDeploy(planner: Planner, ctx: PlanContext): DeployPlan {
  // Rendered even when live: rendering refuses a live release's name for another image.
  const rendered = ctx.templates.map(template => planner.render(template, ctx.release))
  const live = ctx.templates.flatMap(template => planner.live(template.metadata?.name ?? '') ?? [])
  if (live.length > 0) return { release: [], steps: [], rendered, live }
  const job = migrationJob(ctx, 1)
  return {
    ...(job ? { migration: applyOf('migration', job) } : {}),
    release: rendered.map(deployment => applyOf('canary', deployment, { rollout: true })),
    steps: planner.expose(ctx),
    rendered,
    live
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
    ...plan.release,
    ...plan.steps.flatMap(step => step.writes)
  ]
}

/** Every write of a promote plan, in the order promote makes them. */
export function promoteWrites(plan: PromotePlan): Write[] {
  return [...plan.manifests, ...plan.promote, ...plan.retire]
}
