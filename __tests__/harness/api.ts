/**
 * The verbs, independent of HTTP: what kube-apiserver's generic registry does between decoding a
 * request and storing it (defaulting, validation, optimistic concurrency, status subresource split,
 * generation, managed fields, dry run, garbage collection). The HTTP layer and the controllers
 * both go through here.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/
 */
import { randomUUID } from 'node:crypto'
import { serverSideApply, trackUpdate } from './apply.js'
import { applyDefaults } from './defaults.js'
import { typeMismatch } from './decode.js'
import { deepEqual, jsonPatch, mergePatch, PatchError, strategicMerge } from './patch.js'
import { findKind, groupVersion, RESOURCES, type ResourceType } from './resources.js'
import { fieldSelector, labelSelector } from './selectors.js'
import {
  alreadyExists,
  badRequest,
  conflict,
  failure,
  invalid,
  notFound,
  STALE,
  StatusError,
  success,
  unsupportedMediaType,
  type Status
} from './status.js'
import type { Store } from './store.js'
import { clone, isRecord, now, type KObject } from './types.js'
import { validate } from './validate.js'

export interface WriteOptions {
  dryRun?: boolean
  fieldManager?: string
  subresource?: string
  force?: boolean
}

export interface DeleteOptions {
  dryRun?: boolean
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'
  preconditions?: { uid?: string; resourceVersion?: string }
  gracePeriodSeconds?: number
}

export interface ListOptions {
  labelSelector?: string
  fieldSelector?: string
}

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml'
]

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789'

/** The 5-character suffix generateName and controllers use. */
export function randomSuffix(n = 5): string {
  let s = ''
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)]
  return s
}

function namespaceOf(t: ResourceType, ns: string | undefined): string | undefined {
  return t.namespaced ? ns : undefined
}

export class Api {
  private ipCounter = 0
  private podIPCounter = 0

  constructor(readonly store: Store) {}

  kindOf(name: string): ResourceType {
    const t = findKind(name)
    if (!t) throw new Error(`the test cluster does not serve kind ${name}`)
    return t
  }

  get(t: ResourceType, ns: string | undefined, name: string): KObject {
    const o = this.store.get(t, namespaceOf(t, ns), name)
    if (!o) throw notFound(t, name)
    return o
  }

  list(t: ResourceType, ns: string | undefined, opts: ListOptions = {}): KObject[] {
    const byLabel = labelSelector(opts.labelSelector)
    const byField = fieldSelector(t, opts.fieldSelector)
    return this.store
      .list(t, namespaceOf(t, ns))
      .filter(o => byLabel(o.metadata.labels) && byField(o))
  }

  private requireNamespace(t: ResourceType, ns: string | undefined): void {
    if (!t.namespaced || !ns) return
    const nsType = this.kindOf('Namespace')
    if (!this.store.get(nsType, undefined, ns)) throw notFound(nsType, ns)
  }

  /** POST: a new object. */
  create(t: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions = {}): KObject {
    const obj = this.decode(t, body)
    if (t.namespaced) {
      if (obj.metadata.namespace && ns && obj.metadata.namespace !== ns) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request'
        )
      }
      obj.metadata.namespace = obj.metadata.namespace || ns
    } else delete obj.metadata.namespace
    this.requireNamespace(t, obj.metadata.namespace)
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`
    }
    const requestedRV = obj.metadata.resourceVersion
    this.prepareForCreate(t, obj)
    this.check(t, obj)
    // Storage refuses this before it looks for the name; the dry-run storage does not check it.
    if (requestedRV && !opts.dryRun) {
      // Recorded (27): a bare 500 with this message, no reason and no details.
      const bare: Status = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'resourceVersion should not be set on objects to be created',
        code: 500
      }
      throw new StatusError(bare)
    }
    if (this.store.get(t, obj.metadata.namespace, obj.metadata.name ?? ''))
      throw alreadyExists(t, obj.metadata.name ?? '')
    trackUpdate(undefined, obj, opts.fieldManager ?? 'unknown', t)
    if (opts.dryRun) return obj
    return this.store.create(t, obj)
  }

  private decode(t: ResourceType, body: unknown): KObject {
    if (!isRecord(body))
      throw badRequest('the body of the request could not be decoded as an object')
    const gv = groupVersion(t)
    const mismatch = typeMismatch(t.kind, body)
    if (mismatch) {
      throw badRequest(
        `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: ${mismatch}`
      )
    }
    const obj = clone(body) as KObject
    if (obj.apiVersion !== undefined && obj.apiVersion !== gv) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`
      )
    }
    if (obj.kind !== undefined && obj.kind !== t.kind) {
      throw badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${t.kind})`
      )
    }
    obj.apiVersion = gv
    obj.kind = t.kind
    obj.metadata = isRecord(obj.metadata) ? obj.metadata : {}
    return obj
  }

  /** What the registry's PrepareForCreate/BeforeCreate set: identity, timestamps, reset status. */
  private prepareForCreate(t: ResourceType, obj: KObject): void {
    const uid = randomUUID()
    obj.metadata.uid = uid
    obj.metadata.creationTimestamp = now()
    delete obj.metadata.resourceVersion
    delete obj.metadata.deletionTimestamp
    delete obj.metadata.managedFields
    if (t.generation) obj.metadata.generation = 1
    else delete obj.metadata.generation
    if (t.statusSubresource) delete obj.status
    if (t.kind === 'Pod') obj.status = { phase: 'Pending', qosClass: 'BestEffort' }
    if (t.kind === 'Namespace') obj.status = { phase: 'Active' }
    if (t.kind === 'Job') this.defaultJobSelector(obj, uid)
    if (t.kind === 'Service') this.allocateClusterIP(obj)
    applyDefaults(obj)
  }

  private defaultJobSelector(obj: KObject, uid: string): void {
    const spec = isRecord(obj.spec) ? obj.spec : undefined
    if (!spec || spec.manualSelector === true) return
    const name = obj.metadata.name ?? ''
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }
    const template = isRecord(spec.template) ? spec.template : (spec.template = {})
    const meta = isRecord(template.metadata) ? template.metadata : (template.metadata = {})
    meta.labels = {
      ...(isRecord(meta.labels) ? meta.labels : {}),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name
    }
  }

  private allocateClusterIP(obj: KObject): void {
    const spec = isRecord(obj.spec) ? obj.spec : (obj.spec = {})
    if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None']
      return
    }
    if (typeof spec.clusterIP === 'string' && spec.clusterIP) return
    this.ipCounter++
    const ip = `10.96.${Math.floor(this.ipCounter / 250)}.${(this.ipCounter % 250) + 1}`
    spec.clusterIP = ip
    spec.clusterIPs = [ip]
  }

  private check(t: ResourceType, obj: KObject, old?: KObject): void {
    const errs = validate(t, obj, old)
    if (errs.length > 0) throw invalid(t, obj.metadata.name ?? '', errs)
  }

  /** PUT: replaces the object (or its status), with optimistic concurrency on resourceVersion. */
  update(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {}
  ): KObject {
    const old = this.get(t, ns, name)
    const obj = this.decode(t, body)
    this.checkIdentity(t, ns, name, obj)
    return this.replace(t, old, obj, opts, true)
  }

  private checkIdentity(t: ResourceType, ns: string | undefined, name: string, obj: KObject): void {
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`
      )
    }
    if (t.namespaced && obj.metadata.namespace && ns && obj.metadata.namespace !== ns) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request'
      )
    }
  }

  /**
   * The shared update path: `obj` is the full desired object. Keeps identity fields, splits spec
   * from status by subresource, bumps generation on spec change, skips no-op writes.
   */
  private replace(
    t: ResourceType,
    old: KObject,
    obj: KObject,
    opts: WriteOptions,
    track: boolean
  ): KObject {
    const rv = obj.metadata.resourceVersion
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
      throw conflict(t, old.metadata.name ?? '', STALE)
    }
    let next: KObject
    if (opts.subresource === 'status') {
      next = clone(old)
      next.status = obj.status
      if (!track) next.metadata.managedFields = obj.metadata.managedFields
    } else {
      next = obj
      if (t.statusSubresource) {
        if (old.status === undefined) delete next.status
        else next.status = clone(old.status)
      }
      const m = next.metadata
      m.name = old.metadata.name
      m.namespace = old.metadata.namespace
      m.uid = old.metadata.uid
      m.creationTimestamp = old.metadata.creationTimestamp
      if (old.metadata.deletionTimestamp) m.deletionTimestamp = old.metadata.deletionTimestamp
      if (old.metadata.generation !== undefined) m.generation = old.metadata.generation
      else delete m.generation
      if (track) m.managedFields = old.metadata.managedFields
      if (
        t.kind === 'Service' &&
        isRecord(next.spec) &&
        isRecord(old.spec) &&
        (next.spec.clusterIP === undefined || next.spec.clusterIP === '')
      ) {
        next.spec.clusterIP = old.spec.clusterIP
        next.spec.clusterIPs = old.spec.clusterIPs
      }
      applyDefaults(next)
      if (t.generation && !deepEqual(next.spec, old.spec))
        next.metadata.generation = (old.metadata.generation ?? 0) + 1
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion
    this.check(t, next, old)
    if (track) trackUpdate(old, next, opts.fieldManager ?? 'unknown', t, opts.subresource)
    if (deepEqual(next, old)) return old
    if (opts.dryRun) return next
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.store.delete(t, next.metadata.namespace, next.metadata.name ?? '') ?? next
    }
    return this.store.update(t, next)
  }

  /** PATCH in any of the four patch formats; apply creates the object when absent. */
  patch(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    contentType: string,
    body: unknown,
    opts: WriteOptions = {}
  ): { object: KObject; created: boolean } {
    const type = contentType.split(';')[0].trim()
    if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(type)
    if (type !== 'application/apply-patch+yaml' && opts.force !== undefined) {
      throw new StatusError(
        failure(
          422,
          'Invalid',
          'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
          {
            group: 'meta.k8s.io',
            kind: 'PatchOptions',
            causes: [
              {
                reason: 'FieldValueForbidden',
                message: 'Forbidden: may not be specified for non-apply patch',
                field: 'force'
              }
            ]
          }
        )
      )
    }
    if (type === 'application/apply-patch+yaml') return this.apply(t, ns, name, body, opts)
    const old = this.get(t, ns, name)
    let patched: unknown
    try {
      if (type === 'application/json-patch+json') patched = jsonPatch(old, body)
      else if (type === 'application/merge-patch+json') patched = mergePatch(old, body)
      else patched = strategicMerge(old, body)
    } catch (e) {
      if (e instanceof PatchError) throw new StatusError(failure(422, 'Invalid', e.message))
      throw e
    }
    const mismatch = isRecord(patched) ? typeMismatch(t.kind, patched) : undefined
    if (mismatch) {
      // Recorded (63): the patched object fails to decode; nothing is stored.
      const message = `patch: Invalid value: ${JSON.stringify(JSON.stringify(patched))}: ${mismatch}`
      throw new StatusError(failure(422, 'Invalid', message))
    }
    const obj = this.decode(t, patched)
    this.checkIdentity(t, ns, name, obj)
    return { object: this.replace(t, old, obj, opts, true), created: false }
  }

  private apply(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions
  ): { object: KObject; created: boolean } {
    if (!opts.fieldManager) {
      throw new StatusError(
        failure(
          422,
          'Invalid',
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          {
            group: 'meta.k8s.io',
            kind: 'PatchOptions',
            causes: [
              {
                reason: 'FieldValueRequired',
                message: 'Required value: is required for apply patch',
                field: 'fieldManager'
              }
            ]
          }
        )
      )
    }
    const applied = this.decode(t, body)
    if (!isRecord(body) || body.apiVersion === undefined || body.kind === undefined) {
      throw badRequest('apiVersion and kind must be set in an apply patch')
    }
    this.checkIdentity(t, ns, name, applied)
    applied.metadata.name = name
    if (t.namespaced) applied.metadata.namespace = ns
    const live = this.store.get(t, namespaceOf(t, ns), name)
    const merged = serverSideApply({
      live,
      applied,
      manager: opts.fieldManager,
      force: opts.force === true,
      resource: t,
      subresource: opts.subresource
    })
    if (!live) {
      this.requireNamespace(t, ns)
      const managedFields = merged.metadata.managedFields
      this.prepareForCreate(t, merged)
      merged.metadata.managedFields = managedFields
      this.check(t, merged)
      if (opts.dryRun) return { object: merged, created: true }
      return { object: this.store.create(t, merged), created: true }
    }
    return { object: this.replace(t, live, merged, opts, false), created: false }
  }

  /** DELETE with preconditions and the garbage collector's propagation policies. */
  delete(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    opts: DeleteOptions = {}
  ): { body: KObject | Status; code: number } {
    const old = this.get(t, ns, name)
    const pre = opts.preconditions
    if (pre?.uid && pre.uid !== old.metadata.uid) {
      throw conflict(
        t,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`
      )
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        t,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ''}`
      )
    }
    // batch/v1 Jobs orphan their pods unless told otherwise (kept for backward compatibility).
    const policy = opts.propagationPolicy ?? (t.kind === 'Job' ? 'Orphan' : 'Background')
    const done = success({ name, group: t.group, kind: t.resource, uid: old.metadata.uid })
    if (opts.dryRun) return { body: t.kind === 'Pod' ? old : done, code: 200 }
    const finalizers = (old.metadata.finalizers ?? []).filter(
      f => f !== 'foregroundDeletion' && f !== 'orphan'
    )
    if (t.kind === 'Pod' && this.graceful(old, opts)) {
      // A pod on a node terminates gracefully: marked now, removed once its kubelet has stopped it.
      if (old.metadata.deletionTimestamp) return { body: old, code: 200 }
      const marked = clone(old)
      const grace = opts.gracePeriodSeconds ?? this.terminationGrace(old)
      marked.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
      marked.metadata.deletionGracePeriodSeconds = grace
      return { body: this.store.update(t, marked), code: 200 }
    }
    if (finalizers.length > 0 || policy === 'Foreground') {
      const marked = clone(old)
      marked.metadata.deletionTimestamp = marked.metadata.deletionTimestamp ?? now()
      marked.metadata.deletionGracePeriodSeconds = 0
      if (policy === 'Foreground')
        marked.metadata.finalizers = [
          ...new Set([...(old.metadata.finalizers ?? []), 'foregroundDeletion'])
        ]
      const stored = this.store.update(t, marked)
      if (policy === 'Foreground') this.collectForeground(t, stored)
      return { body: stored, code: 202 }
    }
    if (policy === 'Orphan') this.orphanDependents(old)
    const deleted = this.store.delete(t, old.metadata.namespace, name)
    if (policy === 'Background') this.collectDependents(old)
    if (t.resource === 'namespaces') this.emptyNamespace(name)
    return {
      body:
        t.kind === 'Pod' && deleted
          ? {
              ...deleted,
              metadata: {
                ...deleted.metadata,
                deletionTimestamp: now(),
                deletionGracePeriodSeconds: 0
              }
            }
          : done,
      code: 200
    }
  }

  private graceful(pod: KObject, opts: DeleteOptions): boolean {
    const spec = isRecord(pod.spec) ? pod.spec : {}
    const status = isRecord(pod.status) ? pod.status : {}
    // Unbound and finished pods go at once, as does an explicit grace period of 0.
    if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') return false
    return (opts.gracePeriodSeconds ?? this.terminationGrace(pod)) > 0
  }

  private terminationGrace(pod: KObject): number {
    const spec = isRecord(pod.spec) ? pod.spec : {}
    return typeof spec.terminationGracePeriodSeconds === 'number'
      ? spec.terminationGracePeriodSeconds
      : 30
  }

  deleteCollection(
    t: ResourceType,
    ns: string | undefined,
    list: ListOptions,
    opts: DeleteOptions
  ): KObject[] {
    const items = this.list(t, ns, list)
    for (const o of items) {
      try {
        this.delete(t, o.metadata.namespace, o.metadata.name ?? '', {
          ...opts,
          preconditions: undefined
        })
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e
      }
    }
    return items
  }

  private dependents(owner: KObject): { t: ResourceType; obj: KObject }[] {
    const out: { t: ResourceType; obj: KObject }[] = []
    for (const t of RESOURCES) {
      for (const obj of this.store.list(t, owner.metadata.namespace)) {
        if (obj.metadata.ownerReferences?.some(r => r.uid === owner.metadata.uid))
          out.push({ t, obj })
      }
    }
    return out
  }

  private orphanDependents(owner: KObject): void {
    for (const { t, obj } of this.dependents(owner)) {
      obj.metadata.ownerReferences = obj.metadata.ownerReferences?.filter(
        r => r.uid !== owner.metadata.uid
      )
      if (obj.metadata.ownerReferences?.length === 0) delete obj.metadata.ownerReferences
      this.store.update(t, obj)
    }
  }

  /** The garbage collector's background pass: dependents go right after their owner. */
  private collectDependents(owner: KObject): void {
    this.pendingGC++
    setImmediate(() => {
      this.pendingGC--
      for (const { t, obj } of this.dependents(owner)) {
        const live = this.store.get(t, obj.metadata.namespace, obj.metadata.name ?? '')
        if (!live) continue
        const deleted = this.store.delete(t, obj.metadata.namespace, obj.metadata.name ?? '')
        if (deleted) this.collectDependents(deleted)
      }
    })
  }

  /** Foreground: dependents first (recursively), then the owner. */
  private collectForeground(t: ResourceType, owner: KObject): void {
    this.pendingGC++
    setImmediate(() => {
      this.pendingGC--
      const deleteTree = (dt: ResourceType, o: KObject): void => {
        for (const d of this.dependents(o)) deleteTree(d.t, d.obj)
        this.store.delete(dt, o.metadata.namespace, o.metadata.name ?? '')
      }
      for (const d of this.dependents(owner)) deleteTree(d.t, d.obj)
      const live = this.store.get(t, owner.metadata.namespace, owner.metadata.name ?? '')
      if (!live) return
      const finalizers = (live.metadata.finalizers ?? []).filter(f => f !== 'foregroundDeletion')
      if (finalizers.length === 0)
        this.store.delete(t, live.metadata.namespace, live.metadata.name ?? '')
      else this.store.update(t, { ...live, metadata: { ...live.metadata, finalizers } })
    })
  }

  private emptyNamespace(ns: string): void {
    for (const t of RESOURCES) {
      if (!t.namespaced) continue
      for (const o of this.store.list(t, ns)) this.store.delete(t, ns, o.metadata.name ?? '')
    }
  }

  /** Garbage-collection passes queued but not run yet (for settle()). */
  pendingGC = 0

  /** Controllers' writes: an update as `manager`, skipped when nothing changed. */
  write(t: ResourceType, obj: KObject, manager: string, subresource?: string): KObject {
    const old = this.store.get(t, obj.metadata.namespace, obj.metadata.name ?? '')
    if (!old) return this.create(t, obj.metadata.namespace, obj, { fieldManager: manager })
    // Controllers read and write within one turn of the event loop: nothing can interleave.
    const next = clone(obj)
    delete next.metadata.resourceVersion
    return this.replace(t, old, next, { fieldManager: manager, subresource }, true)
  }

  /** The test's put(): create or replace as given, status included, no validation. */
  put(obj: KObject): KObject {
    const t = this.kindOf(obj.kind ?? '')
    const o = clone(obj)
    o.apiVersion = groupVersion(t)
    o.kind = t.kind
    o.metadata = isRecord(o.metadata) ? o.metadata : {}
    if (t.namespaced) o.metadata.namespace = o.metadata.namespace || 'default'
    const old = this.store.get(t, o.metadata.namespace, o.metadata.name ?? '')
    if (!old) {
      const status = o.status
      this.prepareForCreate(t, o)
      if (status !== undefined) o.status = status
      return this.store.create(t, o)
    }
    o.metadata.uid = old.metadata.uid
    o.metadata.creationTimestamp = old.metadata.creationTimestamp
    if (t.generation) {
      o.metadata.generation = deepEqual(o.spec, old.spec)
        ? old.metadata.generation
        : (old.metadata.generation ?? 0) + 1
    }
    applyDefaults(o)
    return this.store.update(t, o)
  }

  /** Pod IPs handed out by the fake kubelet. */
  nextPodIP(): string {
    this.podIPCounter++
    return `10.244.${Math.floor(this.podIPCounter / 250)}.${(this.podIPCounter % 250) + 1}`
  }
}
