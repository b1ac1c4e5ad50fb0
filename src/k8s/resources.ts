/**
 * From apiVersion + kind to the REST path. The kinds the action writes are known here; any other
 * is looked up once through API discovery (GET /apis/<group>/<version>) and remembered.
 */
import type { Attempt } from './errors.js'
import { type Connection, requestJson } from './rest.js'

export interface ResourceInfo {
  apiVersion: string
  kind: string
  /** Plural, lower case: deployments. */
  plural: string
  namespaced: boolean
}

const KNOWN: ResourceInfo[] = [
  ['v1', 'Pod', 'pods'],
  ['v1', 'Service', 'services'],
  ['v1', 'ConfigMap', 'configmaps'],
  ['v1', 'Secret', 'secrets'],
  ['v1', 'ServiceAccount', 'serviceaccounts'],
  ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'],
  ['v1', 'Event', 'events'],
  ['apps/v1', 'Deployment', 'deployments'],
  ['apps/v1', 'ReplicaSet', 'replicasets'],
  ['apps/v1', 'StatefulSet', 'statefulsets'],
  ['apps/v1', 'DaemonSet', 'daemonsets'],
  ['batch/v1', 'Job', 'jobs'],
  ['batch/v1', 'CronJob', 'cronjobs'],
  ['networking.k8s.io/v1', 'Ingress', 'ingresses'],
  ['networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'],
  ['coordination.k8s.io/v1', 'Lease', 'leases'],
  ['policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers']
].map(([apiVersion, kind, plural]) => ({ apiVersion, kind, plural, namespaced: true }))
KNOWN.push({ apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false })

/** The REST resource of a kind the action knows (Pod, Deployment, Job, Lease...). */
export function knownResource(kind: string): ResourceInfo {
  const info = KNOWN.find(r => r.kind === kind)
  if (!info) throw new Error(`${kind} is not a kind the action knows by heart`)
  return info
}

/** The apiVersion the action uses for a kind it knows (Deployment -> apps/v1). */
export function defaultApiVersion(kind: string): string | undefined {
  return KNOWN.find(r => r.kind.toLowerCase() === kind.toLowerCase())?.apiVersion
}

const discovered = new WeakMap<Connection, Map<string, ResourceInfo>>()

interface DiscoveryList {
  resources?: { name: string; kind: string; namespaced: boolean }[]
}

export async function resourceInfo(
  conn: Connection,
  apiVersion: string,
  kind: string
): Promise<ResourceInfo> {
  const known = KNOWN.find(r => r.apiVersion === apiVersion && r.kind === kind)
  if (known) return known
  const cache = discovered.get(conn) ?? new Map<string, ResourceInfo>()
  discovered.set(conn, cache)
  const key = `${apiVersion}/${kind}`
  const cached = cache.get(key)
  if (cached) return cached
  const attempt: Attempt = { verb: 'discover', resource: apiVersion }
  const list = await requestJson<DiscoveryList>(
    conn,
    { method: 'GET', path: groupVersionPath(apiVersion) },
    attempt
  )
  const found = list.resources?.find(r => r.kind === kind && !r.name.includes('/'))
  if (!found)
    throw new Error(`the cluster at ${conn.server} does not serve ${kind} in ${apiVersion}`)
  const info = { apiVersion, kind, plural: found.name, namespaced: found.namespaced }
  cache.set(key, info)
  return info
}

/** /api/v1 or /apis/apps/v1. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
}

/** The collection path (no name) or the object path (with name). */
export function resourcePath(
  info: ResourceInfo,
  namespace: string | undefined,
  name?: string
): string {
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`
  return `${groupVersionPath(info.apiVersion)}${ns}/${info.plural}${object}`
}
