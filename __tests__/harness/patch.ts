/**
 * The three non-apply patch formats kube-apiserver accepts.
 * https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
 * - application/json-patch+json: RFC 6902
 * - application/merge-patch+json: RFC 7386
 * - application/strategic-merge-patch+json: lists merge by their patchMergeKey (below), `null`
 *   deletes, `$patch: replace|delete` directives, `$setElementOrder/...` accepted and ignored.
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

function mergeList(field: string, live: unknown[], patch: unknown[]): unknown[] {
  if (patch.length === 1 && isRecord(patch[0]) && patch[0].$patch === 'replace') return []
  if (MERGED_SCALAR_LISTS.has(field)) {
    const out = [...live]
    for (const p of patch) if (!out.some(x => deepEqual(x, p))) out.push(p)
    return out
  }
  const key = mergeKeyOf(field, [...patch, ...live])
  if (!key) return stripDirectives(patch) as unknown[]
  const out = live.map(x => structuredClone(x))
  for (const p of patch) {
    if (!isRecord(p)) continue
    const i = out.findIndex(x => isRecord(x) && x[key] === p[key])
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1)
    } else if (i >= 0) {
      out[i] = strategicMerge(out[i], p)
    } else {
      out.push(stripDirectives(p))
    }
  }
  return out
}

export function strategicMerge(live: Json, patch: Json): Json {
  if (!isRecord(patch)) return structuredClone(patch)
  if (patch.$patch === 'replace') return stripDirectives(patch)
  if (patch.$patch === 'delete') return undefined
  const out: Record<string, unknown> = isRecord(live) ? structuredClone(live) : {}
  for (const [k, v] of Object.entries(patch)) {
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
      out[k] = mergeList(k, Array.isArray(cur) ? cur : [], v)
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
