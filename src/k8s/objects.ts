/**
 * The object verbs: the only way anything outside k8s/ reads or writes the cluster. Reads return
 * undefined for a missing object; every write (server-side apply under our field manager, JSON
 * merge patch, a merge patch computed from the object as read (modify), delete, delete by selector)
 * is retried the same way on 429, 5xx and a refused connection, within one bounded budget.
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import type { Cluster } from './client.js'
import { type Attempt, KubeError } from './errors.js'
import { FIELD_MANAGER } from './labels.js'
import { type Connection, type Query, type RestRequest, requestJson } from './rest.js'
import { defaultApiVersion, resourceInfo, resourcePath, type ResourceInfo } from './resources.js'
import { withRetry } from './retry.js'

export interface ObjectRef {
  kind: string
  name: string
  /** Default: the apiVersion the action uses for the kind (Deployment -> apps/v1). */
  apiVersion?: string
  /** Default: the cluster's namespace. */
  namespace?: string
}

export interface KindRef {
  kind: string
  apiVersion?: string
  namespace?: string
}

export interface WriteOptions {
  /** Ask the server to validate and default without persisting (dryRun=All). */
  dryRun?: boolean
  /** How long transient failures (429, 5xx, refused) are retried; default 60 s. */
  retryForMs?: number
}

export interface ApplyOptions extends WriteOptions {
  /** Take over fields another manager owns instead of failing with a conflict. */
  force?: boolean
}

export interface RemoveOptions extends WriteOptions {
  gracePeriodSeconds?: number
}

type ClusterLike = Pick<Cluster, 'kubeConfig' | 'server' | 'namespace'>

const DEFAULT_RETRY_MS = 60_000
/** A read-modify-write (modify) that keeps meeting newer versions gives up after this many reads. */
const CONFLICT_ATTEMPTS = 5

/** The ref of an object (its kind, apiVersion, name and namespace). */
export function refOf(object: KubernetesObject): ObjectRef {
  return {
    kind: object.kind ?? '',
    apiVersion: object.apiVersion,
    name: object.metadata?.name ?? '',
    namespace: object.metadata?.namespace
  }
}

interface Located {
  conn: Connection
  info: ResourceInfo
  namespace: string | undefined
  /** What a request here attempts, for its error message. */
  attempt(verb: string, name?: string): Attempt
}

async function locate(cluster: ClusterLike, ref: KindRef, what: string): Promise<Located> {
  const apiVersion = ref.apiVersion ?? defaultApiVersion(ref.kind)
  if (!apiVersion) throw new Error(`${what} of ${ref.kind} needs an apiVersion`)
  const conn: Connection = cluster
  const info = await resourceInfo(conn, apiVersion, ref.kind)
  const namespace = info.namespaced ? (ref.namespace ?? cluster.namespace) : undefined
  return {
    conn,
    info,
    namespace,
    attempt: (verb, name) => ({ verb, resource: info.plural, namespace, name })
  }
}

/** One request, retried on transient failures until the budget is spent. */
function retried<T>(
  at: Located,
  request: RestRequest,
  attempt: Attempt,
  retryForMs = DEFAULT_RETRY_MS
): Promise<T> {
  return withRetry(() => requestJson<T>(at.conn, request, attempt), {
    deadline: Date.now() + retryForMs
  })
}

const isStatus = (err: unknown, status: number): boolean =>
  err instanceof KubeError && err.status === status

/** True when the server refused the request to this identity (403 Forbidden). */
export function isForbidden(err: unknown): boolean {
  return isStatus(err, 403)
}

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

/** Reads ref; undefined when it does not exist. */
export async function read<T extends KubernetesObject>(
  cluster: ClusterLike,
  ref: ObjectRef,
  opts: { retryForMs?: number } = {}
): Promise<T | undefined> {
  const at = await locate(cluster, ref, 'read')
  const attempt = at.attempt('get', ref.name)
  try {
    return await retried<T>(
      at,
      { method: 'GET', path: resourcePath(at.info, at.namespace, ref.name) },
      attempt,
      opts.retryForMs
    )
  } catch (err) {
    if (isStatus(err, 404)) return undefined
    throw err
  }
}

/** The objects of a kind, all or those matching a label selector. */
export async function list<T extends KubernetesObject>(
  cluster: ClusterLike,
  kind: KindRef,
  labelSelector?: string,
  opts: { retryForMs?: number } = {}
): Promise<T[]> {
  const at = await locate(cluster, kind, 'list')
  const attempt = at.attempt('list')
  const answer = await retried<{ items?: T[] }>(
    at,
    { method: 'GET', path: resourcePath(at.info, at.namespace), query: { labelSelector } },
    attempt,
    opts.retryForMs
  )
  return answer.items ?? []
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
  const at = await locate(cluster, refOf(obj), `apply of ${name}`)
  const attempt = at.attempt(opts.dryRun ? 'apply (dry run)' : 'apply', name)
  const query: Query = {
    fieldManager: FIELD_MANAGER,
    force: opts.force ? true : undefined,
    dryRun: opts.dryRun ? 'All' : undefined
  }
  return retried<T>(
    at,
    {
      method: 'PATCH',
      path: resourcePath(at.info, at.namespace, name),
      query,
      // JSON is YAML, and apply-patch+yaml is the content type every server version accepts.
      contentType: 'application/apply-patch+yaml',
      body: applyBody({ ...obj, apiVersion: at.info.apiVersion }, at.namespace)
    },
    attempt,
    opts.retryForMs
  )
}

/**
 * A JSON merge patch (RFC 7386) of ref: only the keys given change, null removes one. For what
 * our apply must not come to own (a phase annotation, a Service selector someone else applies).
 */
export async function mergePatch<T extends KubernetesObject>(
  cluster: ClusterLike,
  ref: ObjectRef,
  patch: object,
  opts: WriteOptions = {}
): Promise<T> {
  const at = await locate(cluster, ref, 'patch')
  const attempt = at.attempt(opts.dryRun ? 'patch (dry run)' : 'patch', ref.name)
  return retried<T>(
    at,
    {
      method: 'PATCH',
      path: resourcePath(at.info, at.namespace, ref.name),
      query: { fieldManager: FIELD_MANAGER, dryRun: opts.dryRun ? 'All' : undefined },
      contentType: 'application/merge-patch+json',
      body: patch
    },
    attempt,
    opts.retryForMs
  )
}

/** What modify did: the object as written (or as read, when nothing was to change). */
export interface Modified<T> {
  /** Undefined when the object does not exist and nothing was asked of it. */
  object?: T
  changed: boolean
}

/**
 * A JSON merge patch computed from the object as it is now, and made only if nobody wrote it since:
 * the patch carries the resourceVersion read, so a write in between is answered 409 Conflict; then
 * the object is read and the patch computed again, at most CONFLICT_ATTEMPTS times. For a list the
 * patch replaces whole (an atomic list of an object others own): their change is kept, never
 * overwritten. `change` returns undefined when there is nothing to change: then nothing is written.
 */
export async function modify<T extends KubernetesObject>(
  cluster: ClusterLike,
  ref: ObjectRef,
  change: (current: T | undefined) => object | undefined,
  opts: WriteOptions = {}
): Promise<Modified<T>> {
  const at = await locate(cluster, ref, 'patch')
  const attempt = at.attempt(opts.dryRun ? 'patch (dry run)' : 'patch', ref.name)
  for (let tries = 1; ; tries++) {
    const current = await read<T>(cluster, ref, opts)
    const patch = change(current)
    if (!patch) return { object: current, changed: false }
    if (!current) {
      throw new Error(
        `${ref.kind} ${ref.name} not found in namespace ${at.namespace ?? cluster.namespace}: it cannot be patched`
      )
    }
    const precondition = (patch as { metadata?: object }).metadata ?? {}
    const body = {
      ...patch,
      metadata: { ...precondition, resourceVersion: current.metadata?.resourceVersion }
    }
    try {
      const object = await retried<T>(
        at,
        {
          method: 'PATCH',
          path: resourcePath(at.info, at.namespace, ref.name),
          query: { fieldManager: FIELD_MANAGER, dryRun: opts.dryRun ? 'All' : undefined },
          contentType: 'application/merge-patch+json',
          body
        },
        attempt,
        opts.retryForMs
      )
      return { object, changed: true }
    } catch (err) {
      if (tries >= CONFLICT_ATTEMPTS || !isStatus(err, 409)) throw err
    }
  }
}

/** Deletes ref in the background (dependents follow); returns false when it was already gone. */
export async function remove(
  cluster: ClusterLike,
  ref: ObjectRef,
  opts: RemoveOptions = {}
): Promise<boolean> {
  const at = await locate(cluster, ref, 'remove')
  const attempt = at.attempt('delete', ref.name)
  try {
    await retried<unknown>(
      at,
      {
        method: 'DELETE',
        path: resourcePath(at.info, at.namespace, ref.name),
        query: { propagationPolicy: 'Background', dryRun: opts.dryRun ? 'All' : undefined },
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: 'Background',
          gracePeriodSeconds: opts.gracePeriodSeconds,
          dryRun: opts.dryRun ? ['All'] : undefined
        }
      },
      attempt,
      opts.retryForMs
    )
    return true
  } catch (err) {
    if (isStatus(err, 404)) return false
    throw err
  }
}

/**
 * Deletes every object of a kind matching labelSelector in one request (deletecollection); where
 * that verb is not granted, lists them and deletes each.
 */
export async function removeAll(
  cluster: ClusterLike,
  kind: KindRef,
  labelSelector: string,
  opts: WriteOptions = {}
): Promise<void> {
  const at = await locate(cluster, kind, 'remove')
  const attempt = at.attempt('deletecollection')
  try {
    await retried<unknown>(
      at,
      {
        method: 'DELETE',
        path: resourcePath(at.info, at.namespace),
        query: { labelSelector, propagationPolicy: 'Background' }
      },
      attempt,
      opts.retryForMs
    )
  } catch (err) {
    if (!isForbidden(err)) throw err
    for (const item of await list(cluster, kind, labelSelector, opts)) {
      await remove(cluster, { ...kind, name: item.metadata?.name ?? '' }, opts)
    }
  }
}
