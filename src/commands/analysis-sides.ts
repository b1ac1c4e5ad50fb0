/**
 * Whose series are the canary's and whose are stable's, as label matchers (analysis/promql.ts).
 *
 * The canary: its release Deployment's current ReplicaSet, by pod-template-hash, not by track
 * alone. An earlier canary (another template on the same track) leaves its series in the window
 * after its pods are gone, and an erroring canary judged together with a healthy predecessor's
 * requests can pass.
 * Stable: the pod selector of the Deployment serving production now: the live rainbow release, or
 * else the stable Deployment.
 */
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node'
import { podMatchers, type AnalysisSides } from '../analysis/index.js'
import { currentReplicaSet } from '../k8s/deployments.js'
import { selectorString } from '../k8s/selectors.js'
import type { Reads } from '../release/reads.js'
import type { Strategy } from '../release/types.js'

const HASH = 'pod-template-hash'

export interface Sides extends AnalysisSides {
  /** For the log and summary: `shop-web-canary (pod-template-hash 7c9d6f)`. */
  canaryName: string
  stableName: string
}

export async function analysisSides(
  reads: Reads,
  strategy: Pick<Strategy, 'history'>,
  release: V1Deployment,
  stable: V1Deployment,
  rename: Record<string, string>
): Promise<Sides> {
  const releaseName = release.metadata?.name ?? ''
  const replicaSets = await reads.list<V1ReplicaSet>(
    { kind: 'ReplicaSet' },
    selectorString(release.spec?.selector)
  )
  const hash = currentReplicaSet(release, replicaSets)?.metadata?.labels?.[HASH]
  if (!hash) {
    throw new Error(
      `${releaseName} has no ReplicaSet of its current revision with a ${HASH} label: its pods cannot be told from an earlier canary's, so the analysis cannot run`
    )
  }
  const live = await liveDeployment(reads, strategy, stable)
  return {
    canary: podMatchers({ ...release.spec?.selector?.matchLabels, [HASH]: hash }, rename),
    stable: podMatchers(live.spec?.selector?.matchLabels ?? {}, rename),
    canaryName: `${releaseName} (${HASH} ${hash})`,
    stableName: live.metadata?.name ?? ''
  }
}

/** The live rainbow release of `stable`, if one went live; else `stable` itself. */
async function liveDeployment(
  reads: Reads,
  strategy: Pick<Strategy, 'history'>,
  stable: V1Deployment
): Promise<V1Deployment> {
  const live = (await strategy.history(reads, stable)).find(record => record.live)
  if (!live) return stable
  return (await reads.read<V1Deployment>({ kind: 'Deployment', name: live.name })) ?? stable
}
