/**
 * The strategies of DESIGN.md, each a workload composed with a router (the `strategy` input).
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { Strategy as StrategyName } from '../settings.js'
import type { Reads } from './reads.js'
import { gatewayRouter } from './routers/gateway.js'
import { ingressHostRouter } from './routers/ingress-host.js'
import { ingressWeightRouter } from './routers/ingress-weight.js'
import { serviceSelectorRouter } from './routers/service-selector.js'
import { sharedServiceRouter } from './routers/shared-service.js'
import type { Planner, Router, Strategy, Workload } from './types.js'
import { canaryWorkload } from './workloads/canary.js'
import { rainbowWorkload } from './workloads/rainbow.js'

/** A strategy from a workload and a router: each observes, then plans from what it read. */
export function compose<W, R>(name: string, workload: Workload<W>, router: Router<R>): Strategy {
  return {
    name,
    releaseName: (stable, settings) => workload.name(stable, settings),
    podSelector: deployment => workload.podSelector(deployment),
    find: (reads, stable) => workload.find(reads, stable),
    history: (reads, stable) => workload.history(reads, stable),
    prune: (cluster, stable, releases) => workload.prune(cluster, stable, releases),
    async observe(reads: Reads, stables: V1Deployment[]): Promise<Planner> {
      const { settings } = reads
      const routed = await router.observe(reads, stables)
      const seen = await workload.observe(reads, stables)
      return {
        preflight(warn) {
          router.preflight(settings, routed, warn)
          workload.preflight(settings, seen, warn)
        },
        render: (template, release) => workload.render(template, release, settings, seen),
        live: stable => workload.live?.(stable, seen),
        expose: ctx => router.expose(ctx, routed),
        exposure: ctx => router.exposure(ctx, routed),
        promote: ctx => [...workload.promote(ctx, seen), ...router.promote(ctx, routed)],
        retire: () => [...router.withdraw(settings, routed), ...workload.retire(settings, seen)],
        discard: () => [...router.withdraw(settings, routed), ...workload.discard(settings, seen)],
        rollback: ctx => [
          ...router.withdraw(settings, routed),
          ...router.revert(ctx, routed),
          ...workload.rollback(ctx, seen)
        ],
        ...(router.verify
          ? {
              verify: (cluster, written, signal) =>
                router.verify?.(settings, cluster, written, signal) ?? Promise.resolve()
            }
          : {})
      }
    }
  }
}

const STRATEGIES: Record<StrategyName, Strategy> = {
  replicas: compose('replicas', canaryWorkload, sharedServiceRouter),
  'ingress-host': compose('ingress-host', canaryWorkload, ingressHostRouter),
  gateway: compose('gateway', canaryWorkload, gatewayRouter),
  'ingress-weight': compose('ingress-weight', canaryWorkload, ingressWeightRouter),
  rainbow: compose('rainbow', rainbowWorkload, serviceSelectorRouter)
}

export function strategyFor(name: StrategyName): Strategy {
  return STRATEGIES[name]
}
