/**
 * The three non-apply patch formats kube-apiserver accepts.
 * https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
 * - application/json-patch+json: RFC 6902
 * - application/merge-patch+json: RFC 7386
 * - application/strategic-merge-patch+json: lists merge by their patchMergeKey (below), `null`
 *   deletes, `$patch: replace|delete` directives, `$retainKeys`, `$deleteFromPrimitiveList/...`,
 *   `$setElementOrder/...` (the order of the merged list).
 */
import { isRecord } from './types.js'

export class PatchError extends Error {}

type Json = unknown

// ---------------------------------------------------------------- RFC 6902

function unescape(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~')
}

function pointer(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${path}`)
  return path.slice(1).split('/').map(unescape)
}

function childOf(parent: Json, key: string): Json {
  if (Array.isArray(parent)) return parent[Number(key)]
  if (isRecord(parent)) return parent[key]
  return undefined
}

function resolveParent(doc: Json, segs: string[], path: string): Json {
  let cur = doc
  for (const s of segs.slice(0, -1)) {
    cur = childOf(cur, s)
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`)
  }
  return cur
}

function addAt(doc: Json, path: string, value: Json): Json {
  const segs = pointer(path)
  if (segs.length === 0) return value
  const parent = resolveParent(doc, segs, path)
  const last = segs[segs.length - 1]
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last)
    if (!Number.isInteger(i) || i < 0 || i > parent.length)
      throw new PatchError(`add operation does not apply: index out of bounds: ${path}`)
    parent.splice(i, 0, value)
  } else if (isRecord(parent)) {
    parent[last] = value
  } else throw new PatchError(`add operation does not apply: doc is missing path: "${path}"`)
  return doc
}

function removeAt(doc: Json, path: string): Json {
  const segs = pointer(path)
  const parent = resolveParent(doc, segs, path)
  const last = segs[segs.length - 1]
  if (Array.isArray(parent)) {
    const i = Number(last)
    if (!Number.isInteger(i) || i < 0 || i >= parent.length)
      throw new PatchError(`remove operation does not apply: doc is missing path: "${path}"`)
    parent.splice(i, 1)
  } else if (isRecord(parent) && last in parent) {
    delete parent[last]
  } else
    throw new PatchError(
      `remove operation does not apply: doc is missing path: "${path}": missing value`
    )
  return doc
}

function getAt(doc: Json, path: string): Json {
  let cur = doc
  for (const s of pointer(path)) {
    cur = childOf(cur, s)
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`)
  }
  return cur
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter(k => a[k] !== undefined)
    const kb = Object.keys(b).filter(k => b[k] !== undefined)
    return ka.length === kb.length && ka.every(k => deepEqual(a[k], b[k]))
  }
  return false
}

export function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops))
    throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch')
  let out = structuredClone(doc)
  for (const op of ops) {
    if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string')
      throw new PatchError('invalid JSON patch operation')
    const path = op.path
    switch (op.op) {
      case 'add':
        out = addAt(out, path, structuredClone(op.value))
        break
      case 'remove':
        out = removeAt(out, path)
        break
      case 'replace':
        getAt(out, path)
        out = removeAt(out, path)
        out = addAt(out, path, structuredClone(op.value))
        break
      case 'move': {
        const v = getAt(out, String(op.from))
        out = removeAt(out, String(op.from))
        out = addAt(out, path, v)
        break
      }
      case 'copy':
        out = addAt(out, path, structuredClone(getAt(out, String(op.from))))
        break
      case 'test':
        if (!deepEqual(getAt(out, path), op.value))
          throw new PatchError(`testing value ${path} failed: test failed`)
        break
      default:
        throw new PatchError(`Unexpected kind: ${op.op}`)
    }
  }
  return out
}

// ---------------------------------------------------------------- RFC 7386

export function mergePatch(target: Json, patch: Json): Json {
  if (!isRecord(patch)) return structuredClone(patch)
  const out: Record<string, unknown> = isRecord(target) ? structuredClone(target) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

// ---------------------------------------------------------------- strategic merge patch

/**
 * patchMergeKey of the list fields (k8s.io/api struct tags `patchStrategy:"merge"`) in the kinds
 * we serve. A list not named here is replaced whole, as its Go type says.
 */
export function mergeKeyOf(field: string, items: unknown[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name'
    case 'volumeMounts':
      return 'mountPath'
    case 'volumeDevices':
      return 'devicePath'
    case 'ports':
      // Container ports merge on containerPort, Service ports on port.
      return items.some(i => isRecord(i) && 'containerPort' in i) ? 'containerPort' : 'port'
    case 'conditions':
      return 'type'
    case 'ownerReferences':
      return 'uid'
    case 'hostAliases':
      return 'ip'
    case 'topologySpreadConstraints':
      return 'topologyKey'
    default:
      return undefined
  }
}

/** Lists of scalars that strategic merge patch unions instead of replacing. */
const MERGED_SCALAR_LISTS = new Set(['finalizers'])

function stripDirectives(v: Json): Json {
  if (Array.isArray(v))
    return v.filter(i => !(isRecord(i) && i.$patch === 'delete')).map(stripDirectives)
  if (!isRecord(v)) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue
    if (x === null) continue
    out[k] = stripDirectives(x)
  }
  return out
}

/** The identity of a list item: its merge key's value, or the value itself for scalars. */
function identityOf(item: unknown, key: string | undefined): string {
  return key && isRecord(item) ? JSON.stringify(item[key]) : JSON.stringify(item)
}

/**
 * strategicpatch mergeSortedSlice: server-only items (`left`) are interleaved into the patch items
 * (`right`) by their order in the live list; the relative order of each side is kept.
 */
function mergeSorted(
  left: unknown[],
  right: unknown[],
  serverOrder: string[],
  key: string | undefined
): unknown[] {
  const out: unknown[] = []
  let i = 0
  let j = 0
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++])
    else if (j >= right.length) out.push(left[i++])
    else {
      const li = serverOrder.indexOf(identityOf(left[i], key))
      const ri = serverOrder.indexOf(identityOf(right[j], key))
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++])
      else out.push(right[j++])
    }
  }
  return out
}

/**
 * normalizeElementOrder: the items the patch names, in the patch's (or $setElementOrder's)
 * order, with the server-only items placed by their live order (recording 53: a container
 * added by a patch comes first).
 */
function normalizeOrder(
  merged: unknown[],
  patchOrder: string[],
  live: unknown[],
  key: string | undefined
): unknown[] {
  const inPatch = (x: unknown): boolean => patchOrder.includes(identityOf(x, key))
  const patchItems = merged
    .filter(inPatch)
    .sort((a, b) => patchOrder.indexOf(identityOf(a, key)) - patchOrder.indexOf(identityOf(b, key)))
  const serverOrder = live.map(x => identityOf(x, key))
  const serverOnly = merged
    .filter(x => !inPatch(x))
    .sort(
      (a, b) => serverOrder.indexOf(identityOf(a, key)) - serverOrder.indexOf(identityOf(b, key))
    )
  return mergeSorted(serverOnly, patchItems, serverOrder, key)
}

function mergeList(
  field: string,
  live: unknown[],
  patch: unknown[],
  setOrder: unknown[] | undefined
): unknown[] {
  if (patch.some(p => isRecord(p) && p.$patch === 'replace'))
    return stripDirectives(patch.filter(p => !(isRecord(p) && p.$patch === 'replace'))) as unknown[]
  if (MERGED_SCALAR_LISTS.has(field)) {
    const merged = [...live]
    for (const p of patch) if (!merged.some(x => deepEqual(x, p))) merged.push(p)
    const order = (setOrder ?? patch).map(x => identityOf(x, undefined))
    return normalizeOrder(merged, order, live, undefined)
  }
  const key = mergeKeyOf(field, [...patch, ...live])
  if (!key) return stripDirectives(patch) as unknown[]
  const merged = live.map(x => structuredClone(x))
  for (const p of patch) {
    if (!isRecord(p)) continue
    const i = merged.findIndex(x => isRecord(x) && deepEqual(x[key], p[key]))
    if (p.$patch === 'delete') {
      if (i >= 0) merged.splice(i, 1)
    } else if (i >= 0) {
      merged[i] = strategicMerge(merged[i], p)
    } else {
      merged.push(stripDirectives(p))
    }
  }
  const named = (setOrder ?? patch.filter(p => !(isRecord(p) && p.$patch === 'delete'))).map(x =>
    identityOf(x, key)
  )
  return normalizeOrder(merged, named, live, key)
}

export function strategicMerge(live: Json, patch: Json): Json {
  if (!isRecord(patch)) return structuredClone(patch)
  if (patch.$patch === 'replace') return stripDirectives(patch)
  if (patch.$patch === 'delete') return undefined
  const out: Record<string, unknown> = isRecord(live) ? structuredClone(live) : {}
  const retain = patch.$retainKeys
  if (Array.isArray(retain)) {
    // $retainKeys (kubectl sends it for a Deployment's strategy): the fields it does not list go;
    // a patch that sets a field outside it is refused (ErrPatchContentNotMatchRetainKeys).
    for (const k of Object.keys(patch))
      if (!k.startsWith('$') && patch[k] !== null && !retain.includes(k))
        throw new PatchError('the patch contains fields that are not in $retainKeys')
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k]
  }
  const orderOf = (field: string): unknown[] | undefined => {
    const v = patch[`$setElementOrder/${field}`]
    return Array.isArray(v) ? v : undefined
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/')) {
      // An order given for a list the patch does not touch reorders the live list.
      const field = k.slice('$setElementOrder/'.length)
      const cur = out[field]
      if (!(field in patch) && Array.isArray(cur) && Array.isArray(v)) {
        const key = MERGED_SCALAR_LISTS.has(field) ? undefined : mergeKeyOf(field, cur)
        out[field] = normalizeOrder(
          cur,
          v.map(x => identityOf(x, key)),
          cur,
          key
        )
      }
      continue
    }
    if (k.startsWith('$')) {
      if (k.startsWith('$deleteFromPrimitiveList/')) {
        const field = k.slice('$deleteFromPrimitiveList/'.length)
        const cur = out[field]
        if (Array.isArray(cur) && Array.isArray(v))
          out[field] = cur.filter(x => !v.some(d => deepEqual(d, x)))
      }
      continue
    }
    if (v === null) {
      delete out[k]
    } else if (Array.isArray(v)) {
      const cur = out[k]
      out[k] = mergeList(k, Array.isArray(cur) ? cur : [], v, orderOf(k))
    } else if (isRecord(v)) {
      const merged = strategicMerge(out[k], v)
      if (merged === undefined) delete out[k]
      else out[k] = merged
    } else {
      out[k] = v
    }
  }
  return out
}
