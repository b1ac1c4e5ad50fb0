/** The strategy a run uses, by the `strategy` input. */
import type { Strategy } from '../../settings.js'
import { ingressHost } from './ingress-host.js'
import { ingressWeight } from './ingress-weight.js'
import { rainbow } from './rainbow.js'
import { replicas } from './replicas.js'
import type { ReleaseStrategy } from './types.js'

export type { ReleaseStrategy, StrategyRun } from './types.js'

const STRATEGIES: Record<Strategy, ReleaseStrategy> = {
  replicas,
  'ingress-host': ingressHost,
  'ingress-weight': ingressWeight,
  rainbow
}

export function strategyFor(name: Strategy): ReleaseStrategy {
  return STRATEGIES[name]
}
