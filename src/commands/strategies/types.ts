/**
 * What differs between the strategies of DESIGN.md ("Strategies"), behind one interface: the
 * commands (deploy, promote, rollback, cleanup) call it and read the same whatever the strategy.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { Report } from '../../github/report.js'
import type { Cluster } from '../../k8s/client.js'
import type { Release } from '../../k8s/render.js'
import type { Logger } from '../../logger.js'
import type { Settings } from '../../settings.js'
import type { ReleaseManifests } from '../release-manifests.js'
import type { ReleaseRecord } from './cleanup-plan.js'

/** One command's hold on the cluster, as a strategy sees it. */
export interface StrategyRun {
  cluster: Cluster
  settings: Settings
  logger: Logger
  signal: AbortSignal
  report: Report
  /** The release as the manifests define it, when the manifests input is given (promote). */
  manifests?: ReleaseManifests
}

/** The Deployment that runs a release beside a stable one, as promote and rollback look it up. */
export interface FoundRelease {
  /** Its name, or how it was looked for when missing. */
  name: string
  deployment?: V1Deployment
}

export interface Promotion {
  /** One line for the promote stage. */
  detail: string
  /** A table for the summary (e.g. images before and after). */
  section?: { title: string; body: string }
}

/** A promotion that failed part way; `undo` puts back what it had changed. */
export class PromotionFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly undo: () => Promise<void>
  ) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.name = 'PromotionFailed'
  }
}

export interface ReleaseStrategy {
  /**
   * deploy, lock held, before the image is built: checks what the strategy needs from the cluster
   * (a stable Service to copy, an Ingress) so a missing one fails before anything is written.
   * Absent: nothing to check (replicas).
   */
  prepare?(run: StrategyRun, stables: V1Deployment[]): Promise<void>
  /** The Deployment that runs the new release beside `stable`. */
  releaseName(stable: V1Deployment, settings: Settings): string
  /** That Deployment, rendered from the live stable one. */
  render(stable: V1Deployment, release: Release, settings: Settings): V1Deployment
  /** The label selector of its pods that are smoke-checked one by one. */
  podSelector(deployment: V1Deployment): string
  /**
   * deploy, once the release Deployments are available and smoke-checked: what else makes the
   * release reachable (a Service, an Ingress, weight steps). `recheck` re-runs the smoke checks.
   * Returns a line for the report. Absent: nothing beyond the Deployments (replicas).
   */
  expose?(run: StrategyRun, stables: V1Deployment[], recheck: () => Promise<void>): Promise<string>
  /** promote and rollback: the Deployment that runs `settings.version` beside `stable`. */
  find(run: StrategyRun, stable: string): Promise<FoundRelease>
  /** promote, every check passed, lock held: moves traffic to the release. */
  promote(
    run: StrategyRun,
    stables: V1Deployment[],
    releases: V1Deployment[],
    release: Release,
    approver: string
  ): Promise<Promotion>
  /** cleanup: the earlier releases of `stable` still in the cluster (none but rainbow keeps any). */
  history(run: StrategyRun, stable: V1Deployment): Promise<ReleaseRecord[]>
  /** cleanup: deletes these earlier releases of `stable`. */
  prune(run: StrategyRun, stable: V1Deployment, releases: ReleaseRecord[]): Promise<void>
  /** promote, after the switch: removes what the canary no longer needs; says what went. */
  retire(run: StrategyRun): Promise<string[]>
  /** rollback: takes the release out of traffic; says what was removed or switched back. */
  rollback(run: StrategyRun): Promise<string[]>
  /** deploy failed (rollback-on-failure): removes what this run added; says what went. */
  discard(run: StrategyRun): Promise<string[]>
}
