/**
 * The verbs, independent of HTTP: what kube-apiserver's generic registry does between decoding a
 * request and storing it (defaulting, validation, optimistic concurrency, status subresource split,
 * generation, managed fields, dry run, garbage collection). The HTTP layer and the controllers
 * both go through here.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/
 */
import { randomUUID } from 'node:crypto'
import { serverSideApply, trackUpdate, withLastApplied } from './apply.js'
import { goQuote } from './gojson.js'
import { deepEqual, jsonPatch, mergePatch, PatchError, strategicMerge } from './patch.js'
import { Registry, validateObject } from './registry/index.js'
import { groupVersion, type ResourceType } from './resources.js'
import { converterMismatch, decodeAs, goPrint, typedModel } from './schema.js'
import { typedPatchError } from './typed.js'
import {
  bodyStrictErrors,
  jsonPatchStrictErrors,
  patchStrictErrors,
  yamlDuplicateKeys,
  yamlStrictMessage
} from './strict.js'
import { fieldSelector, labelSelector } from './selectors.js'
import {
  alreadyExists,
  badRequest,
  conflict,
  failure,
  forbiddenError,
  invalid,
  invalidAs,
  notFound,
  patchNotApplied,
  preconditionConflict,
  STALE,
  StatusError,
  success,
  unsupportedMediaType,
  unsupportedPatchType,
  type Status
} from './status.js'
import type { Store } from './store.js'
import { clone, isRecord, now, type KObject } from './types.js'

export interface WriteOptions {
  dryRun?: boolean
  fieldManager?: string
  subresource?: string
  force?: boolean
  /** Ignore | Warn (the default) | Strict: what an unknown field costs */
  fieldValidation?: string
  /** collects the Warning headers the write earns (unknown fields dropped) */
  warnings?: string[]
  /** the request body as sent: where duplicate fields and their order are read from */
  body?: string
}

export interface DeleteOptions {
  dryRun?: boolean
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'
  /** the deprecated DeleteOptions field as sent: false asks for foreground and earns a 202 */
  orphanDependents?: boolean
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

/** What apiextensions' handler accepts for a custom resource (no strategic merge patch). */
const CUSTOM_RESOURCE_PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
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

  constructor(
    readonly store: Store,
    readonly registry: Registry = new Registry()
  ) {}

  kindOf(name: string): ResourceType {
    const t = this.registry.findKind(name)
    if (!t) throw new Error(`the test cluster does not serve kind ${name}`)
    return t
  }

  /**
   * GET of one object. A namespaced object asked for in a namespace that does not exist is the
   * namespace's 404 (recording 20: `namespaces "nosuchns" not found`).
   */
  get(t: ResourceType, ns: string | undefined, name: string): KObject {
    const o = this.store.get(t, namespaceOf(t, ns), name)
    if (o) return o
    const nsType = this.kindOf('Namespace')
    if (t.namespaced && ns && !this.store.get(nsType, undefined, ns)) throw notFound(nsType, ns)
    throw notFound(t, name)
  }

  list(t: ResourceType, ns: string | undefined, opts: ListOptions = {}): KObject[] {
    const byLabel = labelSelector(opts.labelSelector)
    const byField = fieldSelector(t, opts.fieldSelector)
    return this.store
      .list(t, namespaceOf(t, ns))
      .filter(o => byLabel(o.metadata.labels) && byField(o))
  }

  /**
   * The NamespaceLifecycle admission plugin: no new object in a namespace that is missing (404)
   * or terminating (403, recording 70).
   */
  private admitNamespace(t: ResourceType, ns: string | undefined, name: string): void {
    if (!t.namespaced || !ns) return
    const nsType = this.kindOf('Namespace')
    const live = this.store.get(nsType, undefined, ns)
    if (!live) throw notFound(nsType, ns)
    if (live.metadata.deletionTimestamp) {
      throw forbiddenError(
        t,
        name,
        `unable to create new content in namespace ${ns} because it is being terminated`
      )
    }
  }

  /** POST: a new object. */
  create(t: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions = {}): KObject {
    const obj = this.decode(t, body, opts)
    if (t.namespaced) {
      if (obj.metadata.namespace && ns && obj.metadata.namespace !== ns) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request'
        )
      }
      obj.metadata.namespace = obj.metadata.namespace || ns
    } else delete obj.metadata.namespace
    this.admitNamespace(t, obj.metadata.namespace, obj.metadata.name ?? '')
    // The create handler records the creator's fields on the decoded (defaulted) object, before
    // the registry's PrepareForCreate and mutating admission add theirs (handlers/create.go).
    t.defaults?.(obj)
    trackUpdate(undefined, obj, opts.fieldManager ?? 'unknown', t)
    const managedFields = obj.metadata.managedFields
    if (!obj.metadata.name && obj.metadata.generateName) {
      // names.SimpleNameGenerator: the base is cut to 58 characters before the 5 random ones.
      obj.metadata.name = `${obj.metadata.generateName.slice(0, 58)}${randomSuffix()}`
    }
    const requestedRV = obj.metadata.resourceVersion
    this.prepareForCreate(t, obj)
    if (managedFields) obj.metadata.managedFields = managedFields
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
    if (opts.dryRun) return obj
    return this.store.create(t, obj)
  }

  /**
   * The body as the kind's Go struct: a wrong JSON type is refused in Go's words, unknown fields
   * are dropped (a warning each, or 400 with fieldValidation=Strict), empties omitted.
   */
  private decode(t: ResourceType, body: unknown, opts: WriteOptions = {}): KObject {
    const gv = groupVersion(t)
    if (!isRecord(body)) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${t.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`
      )
    }
    const kind = typeof body.kind === 'string' && body.kind ? body.kind : t.kind
    const version =
      typeof body.apiVersion === 'string' && body.apiVersion
        ? (body.apiVersion.split('/').pop() ?? t.version)
        : t.version
    const cannot = `${kind} in version "${version}" cannot be handled as a ${t.kind}`
    const decoded = decodeKind(t, body)
    if (decoded.error) throw badRequest(`${cannot}: ${decoded.error}`)
    if (opts.fieldValidation !== 'Ignore') {
      const errs =
        opts.body !== undefined
          ? bodyStrictErrors(opts.body, decoded.unknown, Boolean(t.decode))
          : decoded.unknown.map(p => `unknown field ${JSON.stringify(p)}`)
      strictDecoding(errs, opts, all => badRequest(`${cannot}: strict decoding error: ${all}`))
    }
    const obj = decoded.value as KObject
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

  /** Stored objects hold what Go would have decoded: empties omitted, unset plain times null. */
  private normalize(t: ResourceType, obj: KObject): KObject {
    const d = decodeKind(t, obj)
    return d.error ? obj : (d.value as KObject)
  }

  /** What the registry's PrepareForCreate/BeforeCreate set: identity, timestamps, reset status. */
  private prepareForCreate(t: ResourceType, obj: KObject): void {
    obj.metadata.uid = randomUUID()
    obj.metadata.creationTimestamp = now()
    delete obj.metadata.resourceVersion
    delete obj.metadata.deletionTimestamp
    delete obj.metadata.deletionGracePeriodSeconds
    delete obj.metadata.managedFields
    if (t.generation) obj.metadata.generation = 1
    else delete obj.metadata.generation
    if (t.statusSubresource) delete obj.status
    t.prepareForCreate?.(obj, { allocateClusterIP: () => this.allocateClusterIP() })
    t.defaults?.(obj)
    t.admit?.(obj)
  }

  private allocateClusterIP(): string {
    this.ipCounter++
    return `10.96.${Math.floor(this.ipCounter / 250)}.${(this.ipCounter % 250) + 1}`
  }

  private check(t: ResourceType, obj: KObject, old?: KObject, subresource?: string): void {
    const errs = validateObject(t, obj, old, subresource)
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
    const obj = this.decode(t, body, opts)
    this.checkIdentity(t, ns, name, obj)
    const rv = obj.metadata.resourceVersion
    if (!t.unconditionalUpdate && (rv === undefined || rv === '')) {
      // The generic store names the resource, not the kind (store.go Update), recording 50.
      throw invalidAs(t.group, t.resource, name, [
        {
          field: 'metadata.resourceVersion',
          reason: 'FieldValueInvalid',
          detail: 'Invalid value: 0: must be specified for an update'
        }
      ])
    }
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
   * from status by subresource (the status strategies' PrepareForUpdate), bumps generation on spec
   * change, skips no-op writes.
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
    const next = obj
    if (opts.subresource === 'status') {
      // A status write keeps the stored spec; metadata it may change, except what the kind resets.
      if (old.spec === undefined) delete next.spec
      else next.spec = clone(old.spec)
      const meta: Record<string, unknown> = next.metadata
      for (const field of t.statusKeeps ?? []) {
        if (old.metadata[field] === undefined) delete meta[field]
        else meta[field] = clone(old.metadata[field])
      }
    } else if (t.statusSubresource) {
      if (old.status === undefined) delete next.status
      else next.status = clone(old.status)
    }
    const m = next.metadata
    m.name = old.metadata.name
    m.namespace = old.metadata.namespace
    if (m.namespace === undefined) delete m.namespace
    m.uid = old.metadata.uid
    m.creationTimestamp = old.metadata.creationTimestamp
    if (old.metadata.deletionTimestamp) m.deletionTimestamp = old.metadata.deletionTimestamp
    else delete m.deletionTimestamp
    if (old.metadata.deletionGracePeriodSeconds !== undefined)
      m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds
    else delete m.deletionGracePeriodSeconds
    if (old.metadata.generation !== undefined) m.generation = old.metadata.generation
    else delete m.generation
    // FieldManager.Update: managedFields a write sets (not empty, not on a subresource) replace the
    // stored ones as the starting point (how kubectl hands client-side apply fields to an applier).
    const given = m.managedFields
    const baseline =
      track && opts.subresource === undefined && Array.isArray(given) && given.length > 0
        ? given
        : old.metadata.managedFields
    if (track) m.managedFields = old.metadata.managedFields
    if (opts.subresource !== 'status') {
      t.prepareForUpdate?.(next, old)
      t.defaults?.(next)
      const changed = t.generationChanged
        ? t.generationChanged(next, old)
        : !deepEqual(next.spec, old.spec)
      if (t.generation && changed) next.metadata.generation = (old.metadata.generation ?? 0) + 1
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion
    this.check(t, next, old, opts.subresource)
    if (track) {
      const from = { ...old, metadata: { ...old.metadata, managedFields: baseline } }
      trackUpdate(from, next, opts.fieldManager ?? 'unknown', t, opts.subresource)
    }
    const stored = this.normalize(t, next)
    if (sameIgnoringManagedTimes(stored, old)) return old
    if (opts.dryRun) return stored
    if (
      stored.metadata.deletionTimestamp &&
      (stored.metadata.finalizers ?? []).length === 0 &&
      (t.finalized?.(stored) ?? true)
    ) {
      return this.store.delete(t, stored.metadata.namespace, stored.metadata.name ?? '') ?? stored
    }
    return this.store.update(t, stored)
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
    if (
      t.decode &&
      (type === 'application/strategic-merge-patch+json' || !PATCH_TYPES.includes(type))
    )
      throw unsupportedPatchType(CUSTOM_RESOURCE_PATCH_TYPES)
    if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType()
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
    if (type === 'application/json-patch+json' && !Array.isArray(body)) {
      const got = isRecord(body) ? 'object' : body === null ? 'null' : typeof body
      throw badRequest(
        `error decoding patch: json: cannot unmarshal ${got} into Go value of type []handlers.jsonPatchOp`
      )
    }
    const old = this.get(t, ns, name)
    let patched: unknown
    try {
      if (type === 'application/json-patch+json') patched = jsonPatch(old, body)
      else if (type === 'application/merge-patch+json') patched = mergePatch(old, body)
      else patched = strategicMerge(old, body)
    } catch (e) {
      // The patch library's refusal reaches the client as a bare 422 (recording 52).
      if (e instanceof PatchError) throw patchNotApplied()
      throw e
    }
    const decoded = decodeKind(t, patched)
    const strategic = type === 'application/strategic-merge-patch+json'
    const converted = strategic && !t.decode ? converterMismatch(t.model, patched) : undefined
    if (converted) {
      // A strategic merge result goes through the unstructured converter, which quotes the patch
      // itself as Go prints a map (applyPatchToObject).
      throw invalidAs('', '', '', [
        {
          field: 'patch',
          reason: 'FieldValueInvalid',
          detail: `Invalid value: ${goQuote(goPrint(body))}: ${converted}`
        }
      ])
    }
    if (decoded.error) {
      // Recorded (63): the patched object fails to decode; nothing is stored.
      throw invalidAs('', '', '', [
        {
          field: 'patch',
          reason: 'FieldValueInvalid',
          detail: `Invalid value: ${goQuote(JSON.stringify(patched))}: ${decoded.error}`
        }
      ])
    }
    if (opts.fieldValidation !== 'Ignore') {
      const text = opts.body ?? JSON.stringify(body)
      const errs =
        type === 'application/json-patch+json'
          ? jsonPatchStrictErrors(text, decoded.unknown)
          : patchStrictErrors(text, decoded.unknown)
      // The patch handler refuses with the patched object (or, strategic, the patch) quoted.
      const quoted = strategic ? goQuote(goPrint(body)) : goQuote(JSON.stringify(patched))
      strictDecoding(errs, opts, all =>
        invalidAs('', '', '', [
          {
            field: 'patch',
            reason: 'FieldValueInvalid',
            detail: `Invalid value: ${quoted}: strict decoding error: ${all}`
          }
        ])
      )
    }
    const obj = this.decode(t, patched, { ...opts, fieldValidation: 'Ignore' })
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
    // The typed conversion of the applied configuration comes before anything else (SMD).
    const typed = typedPatchError(
      t,
      t.typedNode ? t.typedNode() : typedModel(t.model),
      body,
      namespaceOf(t, ns),
      name
    )
    if (typed) throw typed
    const applied = this.decode(t, body, { ...opts, fieldValidation: 'Ignore' })
    if (!isRecord(body) || body.apiVersion === undefined || body.kind === undefined) {
      throw badRequest('apiVersion and kind must be set in an apply patch')
    }
    this.checkIdentity(t, ns, name, applied)
    applied.metadata.name = name
    if (t.namespaced) applied.metadata.namespace = ns
    const live = this.store.get(t, namespaceOf(t, ns), name)
    if (!live) this.admitNamespace(t, ns, name)
    const merged = serverSideApply({
      live,
      applied,
      manager: opts.fieldManager,
      force: opts.force === true,
      resource: t,
      subresource: opts.subresource
    })
    withLastApplied(merged, applied, live, opts.fieldManager)
    // After the merge (conflicts come first), the body is read again strictly for repeated keys.
    if (opts.fieldValidation !== 'Ignore' && opts.body !== undefined) {
      const lines = yamlDuplicateKeys(opts.body)
      if (opts.fieldValidation === 'Strict' && lines.length > 0)
        throw badRequest(yamlStrictMessage(lines))
      opts.warnings?.push(...lines)
    }
    if (!live) {
      const managedFields = merged.metadata.managedFields
      this.prepareForCreate(t, merged)
      merged.metadata.managedFields = managedFields
      this.check(t, merged)
      const created = this.normalize(t, merged)
      if (opts.dryRun) return { object: created, created: true }
      return { object: this.store.create(t, created), created: true }
    }
    return { object: this.replace(t, live, merged, opts, false), created: false }
  }

  /**
   * DELETE with preconditions and the garbage collector's propagation policies: Orphan and
   * Foreground leave the object with the `orphan` / `foregroundDeletion` finalizer (and a
   * deletionTimestamp) for the collector (gc.ts) to finish; the answer is then the object.
   */
  delete(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    opts: DeleteOptions = {}
  ): { body: KObject | Status; code: number } {
    const old = this.get(t, ns, name)
    const pre = opts.preconditions
    if (pre?.uid && pre.uid !== old.metadata.uid) {
      throw preconditionConflict(
        t,
        name,
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${old.metadata.uid ?? ''}). The object might have been deleted and then recreated`
      )
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw preconditionConflict(
        t,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion ?? ''}). The object might have been modified`
      )
    }
    // batch/v1 Jobs orphan their pods unless told otherwise (kept for backward compatibility).
    const policy = opts.propagationPolicy ?? t.defaultDeletePolicy ?? 'Background'
    const done = success({ name, group: t.group, kind: t.resource, uid: old.metadata.uid })
    // handlers/delete.go: 202 only when the object stays and orphanDependents=false was sent.
    const code = (stays: boolean): number => (stays && opts.orphanDependents === false ? 202 : 200)
    const grace = t.deleteGracePeriod?.(old, opts.gracePeriodSeconds) ?? 0
    if (grace > 0) {
      // A pod on a node terminates gracefully: marked now, removed once its kubelet has stopped it.
      if (old.metadata.deletionTimestamp) return { body: old, code: 200 }
      const marked = clone(old)
      marked.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
      marked.metadata.deletionGracePeriodSeconds = grace
      if (opts.dryRun) return { body: marked, code: 200 }
      return { body: this.store.update(t, marked), code: 200 }
    }
    if (t.markOnDelete) return this.markDeleted(t, old, opts)
    // deletionFinalizersForGarbageCollection: the policy's finalizer joins any the object has.
    let finalizers = (old.metadata.finalizers ?? []).filter(
      f => f !== 'foregroundDeletion' && f !== 'orphan'
    )
    if (policy === 'Orphan') finalizers = [...finalizers, 'orphan']
    if (policy === 'Foreground') finalizers = [...finalizers, 'foregroundDeletion']
    if (finalizers.length > 0) {
      const marked = markAsDeleting(old)
      marked.metadata.finalizers = finalizers
      if (opts.dryRun) return { body: marked, code: code(true) }
      return { body: this.store.update(t, marked), code: code(true) }
    }
    if (opts.dryRun) return { body: t.returnsDeletedObject ? old : done, code: 200 }
    const deleted = this.store.delete(t, old.metadata.namespace, name)
    return {
      body:
        t.returnsDeletedObject && deleted
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

  /**
   * A registry whose Delete only marks (the namespace's: Terminating, kept until the namespace
   * controller in gc.ts has emptied it, recording 70).
   */
  private markDeleted(
    t: ResourceType,
    old: KObject,
    opts: DeleteOptions
  ): { body: KObject | Status; code: number } {
    if (old.metadata.deletionTimestamp) {
      // namespace/storage: a second DELETE while the controller empties it.
      throw conflict(
        t,
        old.metadata.name ?? '',
        'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.'
      )
    }
    const marked = markAsDeleting(old)
    t.markOnDelete?.(marked)
    if (opts.dryRun) return { body: marked, code: 200 }
    return { body: this.store.update(t, marked), code: 200 }
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

  /** Every stored object that names `owner` in its ownerReferences. */
  dependents(owner: KObject): { t: ResourceType; obj: KObject }[] {
    const out: { t: ResourceType; obj: KObject }[] = []
    for (const t of this.registry.all()) {
      if (owner.metadata.namespace === undefined ? false : !t.namespaced) continue
      for (const obj of this.store.list(t, owner.metadata.namespace)) {
        if (obj.metadata.ownerReferences?.some(r => r.uid === owner.metadata.uid))
          out.push({ t, obj })
      }
    }
    return out
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
    let o = clone(obj)
    o.apiVersion = groupVersion(t)
    o.kind = t.kind
    o.metadata = isRecord(o.metadata) ? o.metadata : {}
    if (t.namespaced) o.metadata.namespace = o.metadata.namespace || 'default'
    const old = this.store.get(t, o.metadata.namespace, o.metadata.name ?? '')
    if (!old) {
      const status = o.status
      this.prepareForCreate(t, o)
      if (status !== undefined) o.status = status
      return this.store.create(t, this.normalize(t, o))
    }
    o.metadata.uid = old.metadata.uid
    o.metadata.creationTimestamp = old.metadata.creationTimestamp
    if (t.generation) {
      o.metadata.generation = deepEqual(o.spec, old.spec)
        ? old.metadata.generation
        : (old.metadata.generation ?? 0) + 1
    }
    t.defaults?.(o)
    o = this.normalize(t, o)
    return this.store.update(t, o)
  }

  /** Pod IPs handed out by the fake kubelet. */
  nextPodIP(): string {
    this.podIPCounter++
    return `10.244.${Math.floor(this.podIPCounter / 250)}.${(this.podIPCounter % 250) + 1}`
  }
}

/**
 * fieldValidation: Warn (the default) sends each strict decoding error as a warning, Strict
 * refuses with all of them (joined by `, `), Ignore says nothing.
 */
function strictDecoding(
  errs: string[],
  opts: WriteOptions,
  refusal: (all: string) => StatusError
): void {
  if (errs.length === 0 || opts.fieldValidation === 'Ignore') return
  if (opts.fieldValidation === 'Strict') throw refusal(errs.join(', '))
  opts.warnings?.push(...errs)
}

/** A body as the kind's Go struct, or by its CRD's schema for a custom resource. */
function decodeKind(t: ResourceType, body: unknown): ReturnType<typeof decodeAs> {
  return t.decode ? t.decode(body) : decodeAs(t.model, body)
}

/**
 * store.go markAsDeleting: deletionTimestamp now (kept if already set), grace 0, and a generation
 * bump for kinds that count generations.
 */
export function markAsDeleting(obj: KObject): KObject {
  const marked = clone(obj)
  const m = marked.metadata
  if (!m.deletionTimestamp && (m.generation ?? 0) > 0) m.generation = (m.generation ?? 0) + 1
  m.deletionTimestamp = m.deletionTimestamp ?? now()
  m.deletionGracePeriodSeconds = 0
  return marked
}

/** A write that changes nothing but managed-field timestamps is a no-op (no new resourceVersion). */
function sameIgnoringManagedTimes(a: KObject, b: KObject): boolean {
  const strip = (o: KObject): KObject => ({
    ...o,
    metadata: {
      ...o.metadata,
      managedFields: o.metadata.managedFields?.map(e => ({ ...e, time: undefined }))
    }
  })
  return deepEqual(strip(a), strip(b))
}
