/**
 * Server-side apply and field ownership (metadata.managedFields, FieldsV1).
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/
 *
 * A field set is a set of paths; a path is a list of FieldsV1 keys (`f:spec`, `k:{"name":"app"}`,
 * `v:"x"`, `i:0`), stored joined by newlines. Apply: the applier owns exactly what it sent; a
 * field another manager owns with a different value is a conflict unless `force`; fields the
 * applier owned before and no longer sends are removed unless someone else owns them. Other
 * writes (create/update/patch) take ownership of every field they changed.
 */
import { deepEqual } from './patch.js'
import type { ResourceType } from './resources.js'
import { zeroValueHas } from './schema.js'
import { StatusError, failure } from './status.js'
import { isRecord, now, type FieldsV1, type KObject, type ManagedFieldsEntry } from './types.js'

type Path = string[]
type FieldSet = Set<string>

const SEP = '\n'
const join = (p: Path): string => p.join(SEP)
const split = (s: string): Path => (s === '' ? [] : s.split(SEP))

/** Map-typed fields whose whole value is one field (x-kubernetes-map-type: atomic). */
const ATOMIC_MAPS = new Set(['selector'])

/** x-kubernetes-list-map-keys of the associative lists we serve; 'set' = list of unique scalars. */
export function listKeys(field: string, items: unknown[]): string[] | 'set' | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'containerStatuses':
    case 'initContainerStatuses':
      return ['name']
    case 'volumeMounts':
      return ['mountPath']
    case 'ports':
      return items.some(i => isRecord(i) && 'containerPort' in i)
        ? ['containerPort', 'protocol']
        : ['port', 'protocol']
    case 'conditions':
      return ['type']
    case 'ownerReferences':
      return ['uid']
    case 'hostAliases':
      return ['ip']
    case 'topologySpreadConstraints':
      return ['topologyKey', 'whenUnsatisfiable']
    case 'finalizers':
      return 'set'
    default:
      return undefined
  }
}

function keyValue(item: Record<string, unknown>, k: string): unknown {
  // protocol is a defaulted key: an item without it is the TCP one.
  return item[k] ?? (k === 'protocol' ? 'TCP' : undefined)
}

function keyElement(item: Record<string, unknown>, keys: string[]): string {
  const o: Record<string, unknown> = {}
  for (const k of [...keys].sort()) o[k] = keyValue(item, k)
  return `k:${JSON.stringify(o)}`
}

/** The field names of a FieldsV1 path, `[]` for a list item: how a CRD schema is looked up. */
function namesOf(path: Path): string[] {
  return path.map(pe => (pe.startsWith('f:') ? pe.slice(2) : '[]'))
}

/** A list's keys: from the CRD schema when the kind has one, else the built-in kinds' by field name. */
function keysOf(
  t: ResourceType | undefined,
  path: Path,
  field: string,
  items: unknown[]
): string[] | 'set' | undefined {
  if (t?.listType) {
    const lt = t.listType(namesOf(path))
    return lt === 'atomic' ? undefined : lt
  }
  return listKeys(field, items)
}

function atomicMap(t: ResourceType | undefined, path: Path, field: string): boolean {
  return t?.atomicMap ? t.atomicMap(namesOf(path)) : ATOMIC_MAPS.has(field)
}

/** List items that are one field whole (`+structType=atomic`): an owner reference. */
const ATOMIC_ITEMS = new Set(['ownerReferences'])

/**
 * Collects the fields an object sets into `out` (leaves, list items) and, when `nodes` is given,
 * the maps and associative lists that hold them (what an Update owns with `.` once it adds them).
 */
function walk(
  v: Record<string, unknown>,
  path: Path,
  out: FieldSet,
  t?: ResourceType,
  nodes?: FieldSet
): void {
  const entries = Object.entries(v).filter(([, x]) => x !== undefined)
  if (entries.length === 0) {
    if (path.length > 0) out.add(join(path))
    return
  }
  if (path.length > 0 && !isItem(join(path))) nodes?.add(join(path))
  for (const [k, x] of entries) {
    const p = [...path, `f:${k}`]
    if (Array.isArray(x)) walkList(k, x, p, out, t, nodes)
    else if (isRecord(x) && !atomicMap(t, p, k)) walk(x, p, out, t, nodes)
    else out.add(join(p))
  }
}

function walkList(
  field: string,
  items: unknown[],
  p: Path,
  out: FieldSet,
  t?: ResourceType,
  nodes?: FieldSet
): void {
  const keys = keysOf(t, p, field, items)
  if (items.length === 0 || keys === undefined) {
    out.add(join(p))
    return
  }
  nodes?.add(join(p))
  if (keys === 'set') {
    for (const i of items) out.add(join([...p, `v:${JSON.stringify(i)}`]))
  } else {
    for (const i of items) {
      if (!isRecord(i)) continue
      const ip = [...p, keyElement(i, keys)]
      out.add(join(ip))
      if (!ATOMIC_ITEMS.has(field)) walk(i, ip, out, t, nodes)
    }
  }
}

const STRIPPED = [
  'f:apiVersion',
  'f:kind',
  ['f:metadata', 'f:name'],
  ['f:metadata', 'f:namespace'],
  ['f:metadata', 'f:uid'],
  ['f:metadata', 'f:resourceVersion'],
  ['f:metadata', 'f:generation'],
  ['f:metadata', 'f:creationTimestamp'],
  ['f:metadata', 'f:deletionTimestamp'],
  ['f:metadata', 'f:managedFields'],
  ['f:metadata', 'f:selfLink']
].map(p => join(typeof p === 'string' ? [p] : p))

/**
 * Whether a manager of the main resource (or of /status) can own this path: what the strategy's
 * GetResetFields does not reset, status for the main resource; spec and the metadata the status
 * strategy keeps (a Deployment's labels, a Pod's ownerReferences) for /status.
 */
function ownable(p: string, t: ResourceType, subresource?: string): boolean {
  if (STRIPPED.some(s => p === s || p.startsWith(s + SEP))) return false
  if (p === 'f:metadata') return false
  if (!t.statusSubresource) return true
  const [top, field] = split(p)
  if (subresource !== 'status') return top !== 'f:status'
  if (top === 'f:metadata') return !(t.statusKeeps ?? []).some(k => field === `f:${k}`)
  return top !== 'f:spec'
}

/** The fields an object sets, less those no manager can own, for the main resource or /status. */
export function fieldSet(obj: unknown, t: ResourceType, subresource?: string): FieldSet {
  const all: FieldSet = new Set()
  if (isRecord(obj)) walk(obj, [], all, t)
  return new Set([...all].filter(p => ownable(p, t, subresource)))
}

/** The maps and associative lists holding an object's fields (ownable ones, as fieldSet). */
function nodeSet(obj: unknown, t: ResourceType, subresource?: string): FieldSet {
  const nodes: FieldSet = new Set()
  if (isRecord(obj)) walk(obj, [], new Set(), t, nodes)
  return new Set([...nodes].filter(p => ownable(p, t, subresource)))
}

/**
 * Whether a map or list is there before a write: set in the stored object, or part of the Go
 * zero value every object starts from (its non-pointer structs, schema.ts), which an Update
 * therefore never adds (`f:spec`, `f:template` get no `.`; `f:labels` of a new object does).
 */
function existedBefore(old: KObject | undefined, path: string, t: ResourceType): boolean {
  const v = valueAt(old, split(path))
  if (v !== undefined && v !== null) return true
  const names = split(path)
  if (!names.every(pe => pe.startsWith('f:'))) return false
  const fields = names.map(pe => pe.slice(2))
  // A custom resource has no Go struct: only its top-level objects are assumed there.
  if (t.decode) return fields.length === 1
  return zeroValueHas(t.model, fields)
}

function valueAt(obj: unknown, path: Path): unknown {
  let cur: unknown = obj
  for (const pe of path) {
    if (cur === undefined) return undefined
    if (pe.startsWith('f:')) {
      cur = isRecord(cur) ? cur[pe.slice(2)] : undefined
    } else if (pe.startsWith('k:')) {
      const key = JSON.parse(pe.slice(2)) as Record<string, unknown>
      cur = Array.isArray(cur)
        ? cur.find(i => isRecord(i) && Object.entries(key).every(([k, v]) => keyValue(i, k) === v))
        : undefined
    } else if (pe.startsWith('v:')) {
      const v: unknown = JSON.parse(pe.slice(2))
      cur = Array.isArray(cur) ? cur.find(i => deepEqual(i, v)) : undefined
    } else if (pe.startsWith('i:')) {
      cur = Array.isArray(cur) ? cur[Number(pe.slice(2))] : undefined
    } else return undefined
  }
  return cur
}

function removeAt(obj: unknown, path: Path): void {
  const parent = valueAt(obj, path.slice(0, -1))
  const last = path[path.length - 1]
  if (last.startsWith('f:')) {
    if (isRecord(parent)) delete parent[last.slice(2)]
    return
  }
  if (!Array.isArray(parent)) return
  const item = valueAt(obj, path)
  const i = parent.indexOf(item)
  if (i >= 0) parent.splice(i, 1)
}

/** `.spec.template.spec.containers[name="app"].image`: how SSA conflicts name a field. */
export function displayPath(path: string): string {
  return split(path)
    .map(pe => {
      if (pe.startsWith('f:')) return `.${pe.slice(2)}`
      if (pe.startsWith('k:')) {
        const key = JSON.parse(pe.slice(2)) as Record<string, unknown>
        return `[${Object.entries(key)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`
      }
      if (pe.startsWith('v:')) return `[=${pe.slice(2)}]`
      return `[${pe.slice(2)}]`
    })
    .join('')
}

export function toFieldsV1(set: FieldSet): FieldsV1 {
  const root: FieldsV1 = {}
  const nodeOf = (p: Path): FieldsV1 => {
    let n = root
    for (const pe of p) n = n[pe] ??= {}
    return n
  }
  for (const s of set) nodeOf(split(s))
  for (const s of set) {
    const n = nodeOf(split(s))
    if (Object.keys(n).some(k => k !== '.')) n['.'] = {}
  }
  return sortKeys(root)
}

function sortKeys(f: FieldsV1): FieldsV1 {
  const out: FieldsV1 = {}
  for (const k of Object.keys(f).sort((a, b) =>
    a === '.' ? -1 : b === '.' ? 1 : a.localeCompare(b)
  )) {
    out[k] = sortKeys(f[k])
  }
  return out
}

export function fromFieldsV1(
  f: FieldsV1 | undefined,
  prefix: Path = [],
  out: FieldSet = new Set()
): FieldSet {
  for (const [k, v] of Object.entries(f ?? {})) {
    if (k === '.') {
      out.add(join(prefix))
      continue
    }
    const p = [...prefix, k]
    if (!isRecord(v) || Object.keys(v).length === 0) out.add(join(p))
    else fromFieldsV1(v, p, out)
  }
  return out
}

function sameManager(
  e: ManagedFieldsEntry,
  manager: string,
  operation: string,
  subresource?: string
): boolean {
  return (
    e.manager === manager &&
    e.operation === operation &&
    (e.subresource ?? '') === (subresource ?? '')
  )
}

/** How kube-apiserver names a manager in a conflict: `"name"`, or `"name" using apps/v1` for Update. */
function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager)
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`
  return s
}

function conflictError(conflicts: { entry: ManagedFieldsEntry; path: string }[]): StatusError {
  const causes = conflicts.map(c => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.entry)}`,
    field: displayPath(c.path)
  }))
  let message: string
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].entry)}: ${displayPath(conflicts[0].path)}`
  } else {
    const byManager = new Map<string, string[]>()
    for (const c of conflicts) {
      const m = printManager(c.entry)
      byManager.set(m, [...(byManager.get(m) ?? []), displayPath(c.path)])
    }
    const lines: string[] = []
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`)
      for (const p of byManager.get(m) ?? []) lines.push(`- ${p}`)
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`
  }
  return new StatusError({ ...failure(409, 'Conflict', message), details: { causes } })
}

function isItem(path: string): boolean {
  const last = split(path).pop() ?? ''
  return last.startsWith('k:') || last.startsWith('v:')
}

/** Merges an applied configuration into the live object: maps by key, keyed lists by item key. */
function mergeApplied(
  live: unknown,
  applied: unknown,
  field = '',
  t?: ResourceType,
  path: Path = []
): unknown {
  if (Array.isArray(applied)) {
    const keys = keysOf(t, path, field, applied)
    if (!Array.isArray(live) || keys === undefined) return structuredClone(applied)
    if (keys === 'set')
      return mergeListItems(
        live,
        applied,
        v => `v:${JSON.stringify(v)}`,
        (_, r) => r
      )
    const items = (l: unknown[]): unknown[] => l.filter(isRecord)
    return mergeListItems(
      items(live),
      items(applied),
      x => keyElement(x as Record<string, unknown>, keys),
      (l, r, pe) =>
        l === undefined ? structuredClone(r) : mergeApplied(l, r, '', t, [...path, pe])
    )
  }
  if (!isRecord(applied) || (path.length > 0 && atomicMap(t, path, field)))
    return structuredClone(applied)
  const out: Record<string, unknown> = isRecord(live) ? structuredClone(live) : {}
  for (const [k, v] of Object.entries(applied)) {
    if (v === null || v === undefined) delete out[k]
    else out[k] = mergeApplied(out[k], v, k, t, [...path, `f:${k}`])
  }
  return out
}

/**
 * SMD's mergingWalker.visitListItems: the applied items in their applied order; a live item the
 * configuration does not name stays where it was among them.
 */
function mergeListItems(
  live: unknown[],
  applied: unknown[],
  id: (item: unknown) => string,
  merge: (live: unknown, applied: unknown, pe: string) => unknown
): unknown[] {
  const lhs = live.map(id)
  const rhs = applied.map(id)
  const liveById = new Map(live.map((v, i) => [lhs[i], v]))
  const appliedById = new Map(applied.map((v, i) => [rhs[i], v]))
  const shared = rhs.filter(pe => liveById.has(pe))
  let nextShared = shared.shift()
  const merged = new Set<string>()
  const out: unknown[] = []
  const take = (pe: string): void => {
    merged.add(pe)
    out.push(merge(liveById.get(pe), appliedById.get(pe), pe))
  }
  let l = 0
  let r = 0
  while (l < lhs.length || r < rhs.length) {
    if (l < lhs.length && r < rhs.length) {
      if (lhs[l] === rhs[r]) {
        take(lhs[l])
        l++
        r++
        nextShared = shared.shift()
        continue
      }
      // A shared item, but not the one due now: it comes when the configuration names it.
      if (appliedById.has(lhs[l]) && nextShared !== undefined && nextShared !== lhs[l]) {
        l++
        continue
      }
    }
    if (l < lhs.length && (!appliedById.has(lhs[l]) || merged.has(lhs[l]))) {
      if (!appliedById.has(lhs[l])) out.push(structuredClone(live[l]))
      l++
      continue
    }
    if (r < rhs.length) {
      take(rhs[r])
      if (nextShared === rhs[r]) nextShared = shared.shift()
      r++
    } else l++
  }
  return out
}

/** The annotation client-side apply keeps its last configuration in. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/**
 * lastAppliedManager.allowedConflictsFromLastApplied: the fields of the last client-side applied
 * configuration that the live object still holds with the same value; a conflict on them does not
 * stop an apply by the field manager `kubectl` (how `kubectl apply --server-side` takes over).
 */
function lastAppliedAllowance(live: KObject, t: ResourceType): FieldSet {
  const text = live.metadata.annotations?.[LAST_APPLIED]
  if (!text) return new Set()
  let last: unknown
  try {
    last = JSON.parse(text)
  } catch {
    return new Set()
  }
  return new Set(
    [...fieldSet(last, t)].filter(p => {
      const was = valueAt(last, split(p))
      const now = valueAt(live, split(p))
      return now !== undefined && (isItem(p) || deepEqual(was, now))
    })
  )
}

/**
 * lastAppliedUpdater: after an apply by `kubectl` to an object that has the client-side apply
 * annotation, the result's annotation is set to the applied configuration (without the
 * annotation), JSON with sorted keys as the unstructured encoder writes it, so both apply styles
 * agree on what was last applied; ownership is left as the apply computed it.
 */
export function withLastApplied(
  result: KObject,
  applied: KObject,
  live: KObject | undefined,
  manager: string
): void {
  if (manager !== 'kubectl' || !live?.metadata.annotations?.[LAST_APPLIED]) return
  const copy = structuredClone(applied)
  const annotations = { ...(copy.metadata.annotations ?? {}) }
  delete annotations[LAST_APPLIED]
  if (Object.keys(annotations).length > 0) copy.metadata.annotations = annotations
  else delete copy.metadata.annotations
  result.metadata.annotations = {
    ...(result.metadata.annotations ?? {}),
    [LAST_APPLIED]: `${JSON.stringify(sortedKeys(copy))}\n`
  }
}

function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys)
  if (!isRecord(v)) return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map(k => [k, sortedKeys(v[k])])
  )
}

export interface ApplyRequest {
  live: KObject | undefined
  applied: KObject
  manager: string
  force: boolean
  resource: ResourceType
  subresource?: string
}

/** The object that results from an apply, with its managedFields; throws the 409 on conflicts. */
export function serverSideApply(req: ApplyRequest): KObject {
  const { live, applied, manager, force, resource: t, subresource } = req
  const apiVersion = applied.apiVersion ?? ''
  const appliedSet = fieldSet(applied, t, subresource)
  const entries: ManagedFieldsEntry[] = structuredClone(live?.metadata.managedFields ?? [])
  const conflicts: { entry: ManagedFieldsEntry; path: string }[] = []
  const others = entries.filter(e => !sameManager(e, manager, 'Apply', subresource))
  for (const e of others) {
    const owned = fromFieldsV1(e.fieldsV1)
    for (const p of appliedSet) {
      if (!owned.has(p) || isItem(p)) continue
      if (!deepEqual(valueAt(applied, split(p)), valueAt(live, split(p))))
        conflicts.push({ entry: e, path: p })
    }
  }
  if (conflicts.length > 0 && !force) {
    // lastAppliedManager: kubectl's own apply may take over what client-side apply last set.
    const allowed = manager === 'kubectl' && live ? lastAppliedAllowance(live, t) : new Set()
    const left = conflicts.filter(c => !allowed.has(c.path))
    if (left.length > 0) throw conflictError(left)
  }
  const kept: ManagedFieldsEntry[] = []
  const ownedByOthers: FieldSet = new Set()
  for (const e of others) {
    const owned = fromFieldsV1(e.fieldsV1)
    for (const c of conflicts) if (c.entry === e) owned.delete(c.path)
    if (owned.size === 0) continue
    for (const p of owned) ownedByOthers.add(p)
    kept.push({ ...e, fieldsV1: toFieldsV1(owned) })
  }
  const mine = entries.find(e => sameManager(e, manager, 'Apply', subresource))
  const previouslyMine = fromFieldsV1(mine?.fieldsV1)

  const base: unknown = live ? structuredClone(live) : {}
  // Fields this manager applied before and no longer applies go, unless another manager holds them.
  const dropped = [...previouslyMine]
    .filter(p => !appliedSet.has(p) && !ownedByOthers.has(p))
    .filter(p => ![...ownedByOthers].some(o => o.startsWith(p + SEP)))
  // An item goes whole: its own fields are not removed first (the key would no longer find it).
  const outermost = dropped
    .filter(p => !dropped.some(d => d !== p && p.startsWith(d + SEP)))
    .sort((a, b) => b.length - a.length)
  for (const p of outermost) removeAt(base, split(p))
  const merged = mergeApplied(base, applied, '', t) as KObject
  merged.metadata = { ...(isRecord(merged.metadata) ? merged.metadata : {}) }
  const entry: ManagedFieldsEntry = {
    manager,
    operation: 'Apply',
    apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(appliedSet),
    ...(subresource ? { subresource } : {})
  }
  // Keep the entries' order; the applier's entry stays in place or joins at the end.
  const result: ManagedFieldsEntry[] = []
  for (const e of entries) {
    if (e === mine) result.push(entry)
    else {
      const k = kept.find(x => sameManager(x, e.manager, e.operation, e.subresource))
      if (k) result.push(k)
    }
  }
  if (!mine) result.push(entry)
  merged.metadata.managedFields = result
  return merged
}

/**
 * Records a non-apply write: the writer owns every field it changed; other managers lose those
 * fields and any that no longer exist. Mutates `next.metadata.managedFields`.
 */
export function trackUpdate(
  old: KObject | undefined,
  next: KObject,
  manager: string,
  t: ResourceType,
  subresource?: string
): void {
  const nextSet = fieldSet(next, t, subresource)
  const changed: FieldSet = new Set()
  for (const p of nextSet) {
    const value = valueAt(next, split(p))
    // An empty struct the Go zero value already holds (a template's metadata {}) is no change.
    const zero = isRecord(value) && Object.keys(value).length === 0 && existedBefore(old, p, t)
    const before = valueAt(old, split(p)) ?? (zero ? value : undefined)
    if (before === undefined || (!isItem(p) && !deepEqual(before, value))) changed.add(p)
  }
  // A map or list the write brings into being is owned itself too (SMD's comparison: added).
  for (const p of nodeSet(next, t, subresource)) if (!existedBefore(old, p, t)) changed.add(p)
  const allNext = new Set([
    ...fieldSet(next, t),
    ...fieldSet(next, t, 'status'),
    ...nodeSet(next, t),
    ...nodeSet(next, t, 'status')
  ])
  const entries: ManagedFieldsEntry[] = []
  let mine: ManagedFieldsEntry | undefined
  for (const e of old?.metadata.managedFields ?? []) {
    const owned = [...fromFieldsV1(e.fieldsV1)].filter(p => allNext.has(p) && !changed.has(p))
    if (sameManager(e, manager, 'Update', subresource)) {
      mine = e
      for (const p of owned) changed.add(p)
      continue
    }
    if (owned.length > 0) entries.push({ ...e, fieldsV1: toFieldsV1(new Set(owned)) })
  }
  if (changed.size > 0) {
    const time = mine && deepEqual(toFieldsV1(changed), mine.fieldsV1) ? mine.time : now()
    entries.push({
      manager,
      operation: 'Update',
      apiVersion: next.apiVersion ?? '',
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(changed),
      ...(subresource ? { subresource } : {})
    })
  }
  if (entries.length > 0) next.metadata.managedFields = entries
  else delete next.metadata.managedFields
}
