/**
 * Deployments: whether a rollout is done, as kubectl rollout status decides it, and which of its
 * pods (and ReplicaSet) run its current template.
 */
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'

export interface RolloutState {
  done: boolean
  /** Set when the rollout cannot finish (ProgressDeadlineExceeded). */
  failed?: string
  /** kubectl's words for where it is: `1 of 2 updated replicas are available`. */
  message: string
  /** Updated replicas that are available, and the replicas wanted. */
  ready: number
  desired: number
}

function time(value: unknown): number {
  if (value instanceof Date) return value.getTime()
  return typeof value === 'string' ? Date.parse(value) || 0 : 0
}

/**
 * kubectl rollout status's predicate: the controller has seen our generation, every wanted
 * replica is updated, no old replica is left, and every updated replica is available.
 * A ProgressDeadlineExceeded condition last updated before `since` belongs to an earlier
 * rollout and is ignored.
 */
export function rolloutStatus(d: V1Deployment, since = 0): RolloutState {
  const name = d.metadata?.name ?? 'deployment'
  const status = d.status ?? {}
  const desired = d.spec?.replicas ?? 1
  const updated = status.updatedReplicas ?? 0
  const available = status.availableReplicas ?? 0
  const ready = Math.min(updated, available)
  const base = { ready, desired }
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return {
      ...base,
      done: false,
      message: 'waiting for the deployment spec update to be observed'
    }
  }
  const progressing = status.conditions?.find(c => c.type === 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    const at = time(progressing.lastUpdateTime ?? progressing.lastTransitionTime)
    // Kubernetes timestamps have whole seconds: a condition from our second is ours.
    if (at >= Math.floor(since / 1000) * 1000) {
      return {
        ...base,
        done: false,
        failed: `deployment ${name} exceeded its progress deadline`,
        message: progressing.message ?? 'progress deadline exceeded'
      }
    }
  }
  if (d.spec?.replicas !== undefined && updated < desired) {
    return {
      ...base,
      done: false,
      message: `${updated} out of ${desired} new replicas have been updated`
    }
  }
  if ((status.replicas ?? 0) > updated) {
    return {
      ...base,
      done: false,
      message: `${(status.replicas ?? 0) - updated} old replicas are pending termination`
    }
  }
  if (available < updated) {
    return {
      ...base,
      done: false,
      message: `${available} of ${updated} updated replicas are available`
    }
  }
  return { ...base, done: true, message: `deployment ${name} successfully rolled out` }
}

/** Pods running the deployment's current template (same image in every container). */
export function currentPods(deployment: V1Deployment | undefined, pods: V1Pod[]): V1Pod[] {
  const template = deployment?.spec?.template?.spec?.containers ?? []
  if (template.length === 0) return pods
  const images = new Map(template.map(c => [c.name, c.image]))
  const current = pods.filter(p =>
    (p.spec?.containers ?? []).every(
      c => images.get(c.name) === undefined || images.get(c.name) === c.image
    )
  )
  return current
}

const REVISION = 'deployment.kubernetes.io/revision'

/**
 * The ReplicaSet of the Deployment's current template, among `replicaSets`: owned by it and of its
 * revision (the deployment controller writes the same revision annotation on both). Its
 * pod-template-hash names exactly the pods of this template, not those of an earlier one.
 */
export function currentReplicaSet(
  deployment: V1Deployment,
  replicaSets: V1ReplicaSet[]
): V1ReplicaSet | undefined {
  const uid = deployment.metadata?.uid
  const revision = deployment.metadata?.annotations?.[REVISION]
  if (!uid || revision === undefined) return undefined
  return replicaSets.find(
    rs =>
      rs.metadata?.ownerReferences?.some(owner => owner.uid === uid && owner.controller) &&
      rs.metadata?.annotations?.[REVISION] === revision
  )
}
