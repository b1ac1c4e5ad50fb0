/**
 * Writing to the cluster: server-side apply under our own field manager (so a conflict names who
 * else owns a field), and deletion that lets the garbage collector remove dependents.
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import { FIELD_MANAGER } from './labels.js'
import type { Cluster } from './client.js'
import { type Attempt, KubeError } from './errors.js'
import { type Connection, type Query, requestJson } from './rest.js'
import { defaultApiVersion, resourceInfo, resourcePath } from './resources.js'
import { withRetry } from './retry.js'

export interface ApplyOptions {
  /** Ask the server to validate and default without persisting (dryRun=All). */
  dryRun?: boolean
  /** Take over fields another manager owns instead of failing with a conflict. */
  force?: boolean
  /** How long transient failures (429, 5xx, refused) are retried; default 60 s. */
  retryForMs?: number
}

export interface ObjectRef {
  kind: string
  name: string
  /** Default: the apiVersion the action uses for the kind (Deployment -> apps/v1). */
  apiVersion?: string
  /** Default: the cluster's namespace. */
  namespace?: string
}

export interface RemoveOptions {
  dryRun?: boolean
  gracePeriodSeconds?: number
  retryForMs?: number
}

type ClusterLike = Pick<Cluster, 'kubeConfig' | 'server' | 'namespace'>

/**
 * Server-managed fields that must not be sent in an apply (managedFields is rejected, a
 * resourceVersion would turn the apply into a compare-and-swap): objects read back from the
 * cluster can be applied as they are.
 */
export function applyBody<T extends KubernetesObject>(obj: T, namespace: string | undefined): T {
  const { status: _status, ...rest } = obj as T & { status?: unknown }
  const metadata = { ...(obj.metadata ?? {}) }
  delete metadata.managedFields
  delete metadata.resourceVersion
  delete metadata.uid
  delete metadata.creationTimestamp
  delete metadata.generation
  delete metadata.selfLink
  if (namespace !== undefined) metadata.namespace = namespace
  return { ...rest, metadata } as T
}

/** Server-side apply of obj (fieldManager canary-deploy); returns the object as the server stored it. */
export async function apply<T extends KubernetesObject>(
  cluster: ClusterLike,
  obj: T,
  opts: ApplyOptions = {}
): Promise<T> {
  const kind = obj.kind
  const name = obj.metadata?.name
  if (!kind || !name) throw new Error('apply needs an object with kind and metadata.name')
  const apiVersion = obj.apiVersion ?? defaultApiVersion(kind)
  if (!apiVersion) throw new Error(`apply of ${kind} ${name} needs an apiVersion`)
  const conn: Connection = cluster
  const info = await resourceInfo(conn, apiVersion, kind)
  const namespace = info.namespaced ? (obj.metadata?.namespace ?? cluster.namespace) : undefined
  const attempt: Attempt = {
    verb: opts.dryRun ? 'apply (dry run)' : 'apply',
    resource: info.plural,
    namespace,
    name
  }
  const query: Query = {
    fieldManager: FIELD_MANAGER,
    force: opts.force ? true : undefined,
    dryRun: opts.dryRun ? 'All' : undefined
  }
  const body = applyBody({ ...obj, apiVersion }, namespace)
  return withRetry(
    () =>
      requestJson<T>(
        conn,
        {
          method: 'PATCH',
          path: resourcePath(info, namespace, name),
          query,
          // JSON is YAML, and apply-patch+yaml is the content type every server version accepts.
          contentType: 'application/apply-patch+yaml',
          body
        },
        attempt
      ),
    { deadline: Date.now() + (opts.retryForMs ?? 60_000) }
  )
}

/** Deletes ref in the background (dependents follow); returns false when it was already gone. */
export async function remove(
  cluster: ClusterLike,
  ref: ObjectRef,
  opts: RemoveOptions = {}
): Promise<boolean> {
  const apiVersion = ref.apiVersion ?? defaultApiVersion(ref.kind)
  if (!apiVersion) throw new Error(`remove of ${ref.kind} ${ref.name} needs an apiVersion`)
  const conn: Connection = cluster
  const info = await resourceInfo(conn, apiVersion, ref.kind)
  const namespace = info.namespaced ? (ref.namespace ?? cluster.namespace) : undefined
  const attempt: Attempt = { verb: 'delete', resource: info.plural, namespace, name: ref.name }
  try {
    await withRetry(
      () =>
        requestJson<unknown>(
          conn,
          {
            method: 'DELETE',
            path: resourcePath(info, namespace, ref.name),
            query: { propagationPolicy: 'Background', dryRun: opts.dryRun ? 'All' : undefined },
            body: {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              propagationPolicy: 'Background',
              gracePeriodSeconds: opts.gracePeriodSeconds,
              dryRun: opts.dryRun ? ['All'] : undefined
            }
          },
          attempt
        ),
      { deadline: Date.now() + (opts.retryForMs ?? 60_000) }
    )
    return true
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return false
    throw err
  }
}

/** Reads ref; undefined when it does not exist. */
export async function read<T extends KubernetesObject>(
  cluster: ClusterLike,
  ref: ObjectRef,
  opts: { retryForMs?: number } = {}
): Promise<T | undefined> {
  const apiVersion = ref.apiVersion ?? defaultApiVersion(ref.kind)
  if (!apiVersion) throw new Error(`read of ${ref.kind} ${ref.name} needs an apiVersion`)
  const conn: Connection = cluster
  const info = await resourceInfo(conn, apiVersion, ref.kind)
  const namespace = info.namespaced ? (ref.namespace ?? cluster.namespace) : undefined
  const attempt: Attempt = { verb: 'get', resource: info.plural, namespace, name: ref.name }
  try {
    return await withRetry(
      () =>
        requestJson<T>(
          conn,
          { method: 'GET', path: resourcePath(info, namespace, ref.name) },
          attempt
        ),
      { deadline: Date.now() + (opts.retryForMs ?? 60_000) }
    )
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return undefined
    throw err
  }
}

/** Lists the objects of a kind matching a label selector, retrying transient failures. */
export async function list<T extends KubernetesObject>(
  cluster: ClusterLike,
  kind: { kind: string; apiVersion?: string; namespace?: string },
  labelSelector: string,
  opts: { retryForMs?: number } = {}
): Promise<T[]> {
  const apiVersion = kind.apiVersion ?? defaultApiVersion(kind.kind)
  if (!apiVersion) throw new Error(`list of ${kind.kind} needs an apiVersion`)
  const conn: Connection = cluster
  const info = await resourceInfo(conn, apiVersion, kind.kind)
  const namespace = info.namespaced ? (kind.namespace ?? cluster.namespace) : undefined
  const attempt: Attempt = { verb: 'list', resource: info.plural, namespace }
  const answer = await withRetry(
    () =>
      requestJson<{ items?: T[] }>(
        conn,
        { method: 'GET', path: resourcePath(info, namespace), query: { labelSelector } },
        attempt
      ),
    { deadline: Date.now() + (opts.retryForMs ?? 60_000) }
  )
  return answer.items ?? []
}
