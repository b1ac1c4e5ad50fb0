/**
 * What strategies read before they plan, behind one interface with two sources: the cluster (every
 * command with cluster access; lists are made once per run and shared by workload and router), or
 * the manifests at this commit (a diff without cluster access, which can only approximate).
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import type { Cluster } from '../k8s/client.js'
import { list, read, type KindRef, type ObjectRef } from '../k8s/objects.js'
import type { Settings } from '../settings.js'

export interface Reads {
  settings: Settings
  /** One object; undefined when it does not exist. */
  read<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined>
  /** Objects of a kind in the namespace, all (read once per run) or matching an equality selector. */
  list<T extends KubernetesObject>(kind: KindRef, labelSelector?: string): Promise<T[]>
}

/** Reads from the cluster; a list of a whole kind is made once and shared. */
export function clusterReads(cluster: Cluster, settings: Settings): Reads {
  const lists = new Map<string, Promise<KubernetesObject[]>>()
  return {
    settings,
    read: ref => read(cluster, ref),
    list<T extends KubernetesObject>(kind: KindRef, labelSelector?: string): Promise<T[]> {
      if (labelSelector) return list<T>(cluster, kind, labelSelector)
      const key = `${kind.apiVersion ?? ''}/${kind.kind}/${kind.namespace ?? ''}`
      if (!lists.has(key)) lists.set(key, list(cluster, kind))
      return lists.get(key) as Promise<T[]>
    }
  }
}

/** Reads answered from objects (the manifests at this commit): what a diff without access can know. */
export function objectReads(objects: KubernetesObject[], settings: Settings): Reads {
  const ofKind = (kind: KindRef) =>
    objects.filter(
      o => o.kind === kind.kind && (!kind.apiVersion || o.apiVersion === kind.apiVersion)
    )
  return {
    settings,
    read: async <T extends KubernetesObject>(ref: ObjectRef) =>
      ofKind(ref).find(o => o.metadata?.name === ref.name) as T | undefined,
    list: async <T extends KubernetesObject>(kind: KindRef, labelSelector?: string) =>
      ofKind(kind).filter(o => matchesEqualities(labelSelector, o.metadata?.labels)) as T[]
  }
}

/** `a=b,c=d` against labels; a selector with other operators matches nothing here. */
function matchesEqualities(selector: string | undefined, labels: Record<string, string> = {}) {
  if (!selector) return true
  return selector.split(',').every(term => {
    const [key, value, ...rest] = term.split('=')
    return rest.length === 0 && value !== undefined && labels[key.trim()] === value.trim()
  })
}
