/**
 * The release plan as data. A strategy is a workload (how the release Deployment is named,
 * rendered, found again, and which of its pods are checked) composed with a router (how traffic
 * reaches it): Flagger's split of pkg/canary and pkg/router. What either reads from the cluster is
 * read once, before planning (`observe`); from then on planning is pure and returns ordered writes,
 * which deploy and promote apply and diff dry-runs.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node'
import type { Cluster } from '../k8s/client.js'
import type { ObjectRef } from '../k8s/objects.js'
import type { Settings } from '../settings.js'
import type { ReleaseRecord } from './cleanup-plan.js'
import type { ReleaseManifests } from './manifests.js'
import type { Reads } from './reads.js'
import type { Release } from './render.js'

/**
 * What a write is for, named for the object it writes: `release`, a release Deployment (a canary,
 * a rainbow release: started, marked live or replaced, deleted); `stable`, a stable Deployment
 * taking the release in place; `service` and `route`, what traffic goes through; `migration`, the
 * migration Job; `manifest`, another object of the manifests.
 */
export type WriteRole = 'migration' | 'release' | 'stable' | 'service' | 'route' | 'manifest'

/**
 * apply: server-side apply of the whole body under our field manager. merge-patch: a JSON merge
 * patch (only its keys change). modify: a JSON merge patch that `change` computes from the object
 * as it is when written, conditional on its resourceVersion (computed again if someone wrote it
 * meanwhile): for an object others own whose atomic lists we change, such as the user's HTTPRoute.
 * delete: the object goes.
 */
export type WriteVerb = 'apply' | 'merge-patch' | 'modify' | 'delete'

/** modify: the merge patch to make of the object as it is; undefined when nothing is to change. */
export type Change = (current: KubernetesObject | undefined) => object | undefined

/** One write of a plan. */
export interface Write {
  role: WriteRole
  verb: WriteVerb
  /** The object written. */
  ref: ObjectRef
  /** apply: the object; merge-patch: the patch; modify and delete: nothing. */
  body?: KubernetesObject | object
  /** modify: the patch, from the object as it is when the write is made (or dry-run). */
  change?: Change
  /** apply: take over fields other managers own (a promotion takes the image field). */
  force?: boolean
  /** After this write, wait for the Deployment to roll out. */
  rollout?: boolean
  /** One line for the log and report: what the write does, beyond its verb. */
  says?: string
}

/** One traffic step of deploy: its writes, and the weight it leaves the canary at, if weighted. */
export interface ExposeStep {
  weight?: number
  writes: Write[]
}

/** What every plan is made from. */
export interface PlanContext {
  settings: Settings
  release: Release
  /** The live stable Deployments (offline: the manifests'), in the order of `deployments`. */
  stables: V1Deployment[]
  /** What each release Deployment is rendered from: the manifests' Deployment, else the live one. */
  templates: V1Deployment[]
}

/** What a promotion is planned from, beyond the release. */
export interface PromoteContext extends PlanContext {
  /** The release Deployment beside each stable one (workload.find), in the same order. */
  releases: V1Deployment[]
  approver: string
  /** When the promotion is recorded as having happened (ISO 8601). */
  at: string
  manifests: ReleaseManifests
}

/** What a rollback is planned from: the release Deployment of this version beside each stable one. */
export interface RollbackContext {
  settings: Settings
  stables: V1Deployment[]
  releases: (V1Deployment | undefined)[]
  at: string
}

export type Warn = (message: string) => void

/** Facts and one line that deploy reports once the release is exposed. */
export interface Exposure {
  detail: string
  facts?: [string, string][]
}

/**
 * How the release runs: the Deployment beside each stable one. `View` is what observe read.
 */
export interface Workload<View> {
  /** Reads what the workload needs, once, before planning. */
  observe(reads: Reads, stables: V1Deployment[]): Promise<View>
  /**
   * deploy and diff, before anything is built or written: throws, naming what to fix, when a
   * release cannot be deployed (rainbow: its name is taken by a live release of another version).
   */
  preflight(settings: Settings, view: View, warn: Warn): void
  /** The release Deployment beside `stable`. */
  name(stable: string, settings: Settings): string
  /**
   * deploy: the release Deployment beside `stable` when it is already live as this very release
   * (rainbow, promoted): deploy writes nothing of it again (it is stable's now).
   */
  live?(stable: string, view: View): string | undefined
  /** That Deployment, rendered from `template` (the live stable Deployment or the manifests'). */
  render(template: V1Deployment, release: Release, settings: Settings, view: View): V1Deployment
  /** The label selector of its pods that are smoke-checked one by one. */
  podSelector(deployment: V1Deployment): string
  /** promote and rollback: the release Deployment of `settings.version` beside `stable`. */
  find(reads: Reads, stable: string): Promise<V1Deployment | undefined>
  /** promote: the writes by which stable becomes the release (before the router's). */
  promote(ctx: PromoteContext, view: View): Write[]
  /** promote, once it succeeded: what the release Deployments no longer need. */
  retire(settings: Settings, view: View): Write[]
  /** A failed deploy (rollback-on-failure): removes what deploy added. */
  discard(settings: Settings, view: View): Write[]
  /** rollback: takes the release out (after the router's writes). */
  rollback(ctx: RollbackContext, view: View): Write[]
  /** cleanup: the earlier releases of `stable` still in the cluster (none but rainbow keeps any). */
  history(reads: Reads, stable: V1Deployment): Promise<ReleaseRecord[]>
  /** cleanup: deletes these earlier releases of `stable`. */
  prune(cluster: Cluster, stable: V1Deployment, releases: ReleaseRecord[]): Promise<void>
}

/**
 * How traffic reaches the release. A new router is one more file (routers/gateway.ts is one):
 * implement this interface in `routers/<name>.ts`, add a strategy composing it with a workload in
 * `strategies.ts` (and its name to STRATEGIES in settings.ts). Its writes go through the same plan,
 * so deploy applies them, promote undoes them on failure and diff shows them, with nothing else to
 * change:
 * - `observe` reads what it routes through (a Service, an Ingress, the user's route); `preflight`
 *   refuses, by throwing before deploy builds or writes anything, what it cannot route through (a
 *   route that does not exist) and warns about what it can but should not.
 * - `expose` returns deploy's traffic steps: the first exposes the canary (its Service, the route
 *   at the first weight, a header rule); deploy judges the canary after each later one (smoke
 *   checks today, metric analysis next), `step-interval` apart. Weights are the router's to compute.
 * - `verify`, if given, runs after each write of deploy's steps lands (the gateway router waits for
 *   the route's status.parents conditions for our generation) and throws to fail the step.
 * - `promote` moves traffic once the workload's writes are done (the rainbow Service selector);
 *   `withdraw` removes what `expose` added (after a promotion, on a failed deploy and on rollback);
 *   `revert` moves traffic back on rollback after a promotion that `promote` made.
 * Writes with server-side apply (our field manager) on objects others own, so their fields stay
 * theirs; merge patches only for fields our apply must not come to own; modify where an atomic list
 * others own must change (an HTTPRoute's rules).
 */
export interface Router<View> {
  observe(reads: Reads, stables: V1Deployment[]): Promise<View>
  preflight(settings: Settings, view: View, warn: Warn): void
  expose(ctx: PlanContext, view: View): ExposeStep[]
  /** What deploy reports once exposed; undefined: nothing to say (no expose stage). */
  exposure(ctx: PlanContext, view: View): Exposure | undefined
  verify?(
    settings: Settings,
    cluster: Cluster,
    written: KubernetesObject,
    signal: AbortSignal
  ): Promise<void>
  promote(ctx: PromoteContext, view: View): Write[]
  withdraw(settings: Settings, view: View): Write[]
  revert(ctx: RollbackContext, view: View): Write[]
}

/** A workload and a router, observed: plans from what was read, with no further reads. */
export interface Planner {
  /** The router's preflight, then the workload's. */
  preflight(warn: Warn): void
  render(template: V1Deployment, release: Release): V1Deployment
  /** The release Deployment beside `stable`, when already live as this release (Workload.live). */
  live(stable: string): string | undefined
  expose(ctx: PlanContext): ExposeStep[]
  exposure(ctx: PlanContext): Exposure | undefined
  /** The workload's writes (stable becomes the release), then the router's (traffic follows). */
  promote(ctx: PromoteContext): Write[]
  /** After a promotion: the router's withdrawal, then what the workload no longer needs. */
  retire(): Write[]
  /** A failed deploy: the router's withdrawal, then the workload's discard. */
  discard(): Write[]
  /** rollback: the router's withdrawal and revert, then the workload's. */
  rollback(ctx: RollbackContext): Write[]
  verify?(cluster: Cluster, written: KubernetesObject, signal: AbortSignal): Promise<void>
}

/** A strategy of DESIGN.md: a workload composed with a router. */
export interface Strategy {
  name: string
  releaseName(stable: string, settings: Settings): string
  podSelector(deployment: V1Deployment): string
  find(reads: Reads, stable: string): Promise<V1Deployment | undefined>
  history(reads: Reads, stable: V1Deployment): Promise<ReleaseRecord[]>
  prune(cluster: Cluster, stable: V1Deployment, releases: ReleaseRecord[]): Promise<void>
  /** Reads what the workload and the router need (refusing early), and plans from it. */
  observe(reads: Reads, stables: V1Deployment[]): Promise<Planner>
}
