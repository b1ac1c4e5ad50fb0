/**
 * Server-side apply's typed conversion (structured-merge-diff YAMLToTyped): before any merge, the
 * applied configuration must fit the kind's schema, or the apply fails with a 500 whose message
 * lists every misfit in SMD's path notation:
 * `failed to create typed patch object (ns/name; apps/v1, Kind=Deployment): .spec.foo: field not
 * declared in schema`, `.spec.replicas: expected numeric (int or float), got string`; several:
 * `errors:\n  .a: ...\n  .b: ...`. fieldValidation does not change this.
 */
import { listKeys } from './apply.js'
import { groupVersion, type ResourceType } from './resources.js'
import { failure, StatusError } from './status.js'
import { isRecord } from './types.js'

/** What the schema says of one node: its kind, and how to descend. */
export interface TypedNode {
  kind: 'map' | 'list' | 'numeric' | 'string' | 'boolean' | 'any' | 'intOrString'
  /** a field of a map (undefined: not declared) */
  field?(name: string): TypedNode | undefined
  /** the item of a list */
  item?(): TypedNode
  /** a list's keys (x-kubernetes-list-map-keys / patchMergeKey), 'set', or atomic (undefined) */
  keys?(items: unknown[]): string[] | 'set' | undefined
}

/** Go's %T of a decoded YAML value, as SMD prints it. */
function goType(v: unknown): string {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64'
  if (Array.isArray(v)) return '[]interface {}'
  return 'map[string]interface {}'
}

function keyPart(item: unknown, keys: string[] | 'set' | undefined, i: number): string {
  if (keys === 'set') return `[=${JSON.stringify(item)}]`
  if (!keys || !isRecord(item)) return `[${i}]`
  return `[${keys
    .filter(k => item[k] !== undefined)
    .map(k => `${k}=${JSON.stringify(item[k])}`)
    .join(',')}]`
}

function walk(v: unknown, node: TypedNode, path: string, errs: string[]): void {
  if (v === null || v === undefined || node.kind === 'any') return
  switch (node.kind) {
    case 'numeric':
      if (typeof v !== 'number')
        errs.push(`${path}: expected numeric (int or float), got ${goType(v)}`)
      return
    case 'string':
      if (typeof v !== 'string') errs.push(`${path}: expected string, got ${JSON.stringify(v)}`)
      return
    case 'boolean':
      if (typeof v !== 'boolean') errs.push(`${path}: expected boolean, got ${JSON.stringify(v)}`)
      return
    case 'intOrString':
      if (typeof v !== 'number' && typeof v !== 'string')
        errs.push(`${path}: expected numeric (int or float) or string, got ${goType(v)}`)
      return
    case 'list':
      if (!Array.isArray(v)) {
        errs.push(`${path}: expected list, got ${goType(v)}`)
        return
      }
      v.forEach((x, i) => {
        const keys = node.keys?.(v)
        if (node.item) walk(x, node.item(), `${path}${keyPart(x, keys, i)}`, errs)
      })
      return
    case 'map':
      if (!isRecord(v)) {
        errs.push(`${path}: expected map, got ${goType(v)}`)
        return
      }
      for (const [k, x] of Object.entries(v)) {
        const child = node.field?.(k)
        if (!child) errs.push(`${path}.${k}: field not declared in schema`)
        else walk(x, child, `${path}.${k}`, errs)
      }
  }
}

/** The 500 kube-apiserver answers to an apply that does not fit the schema, or nothing. */
export function typedPatchError(
  t: ResourceType,
  root: TypedNode,
  applied: unknown,
  ns: string | undefined,
  name: string
): StatusError | undefined {
  const errs: string[] = []
  walk(applied, root, '', errs)
  if (errs.length === 0) return undefined
  const gv = groupVersion(t)
  const gvk = `${t.group ? gv : `/${gv}`}, Kind=${t.kind}`
  const list = errs.length === 1 ? errs[0] : `errors:\n${errs.map(e => `  ${e}`).join('\n')}`
  const s = failure(
    500,
    '',
    `failed to create typed patch object (${ns ?? ''}/${name}; ${gvk}): ${list}`
  )
  delete s.reason
  return new StatusError(s)
}

/** The typed schema of a built-in kind, from its OpenAPI model (lists keyed as apply.ts keys them). */
export function modelNode(
  model: string,
  attributes: (m: string) => Map<string, { type: string }> | undefined
): TypedNode {
  const node = (type: string, field: string): TypedNode => {
    const arr = /^Array<(.*)>$/.exec(type)
    if (arr)
      return {
        kind: 'list',
        item: () => node(arr[1], field),
        keys: items => listKeys(field, items)
      }
    const map = /^\{ \[key: string\]: (.*); \}$/.exec(type)
    if (map) return { kind: 'map', field: () => node(map[1], field) }
    switch (type) {
      case 'string':
      case 'Date':
        return { kind: 'string' }
      case 'number':
        return { kind: 'numeric' }
      case 'boolean':
        return { kind: 'boolean' }
      case 'IntOrString':
        return { kind: 'intOrString' }
      case 'any':
      case 'object':
        return { kind: 'any' }
      default: {
        const attrs = attributes(type)
        if (!attrs) return { kind: 'any' }
        return {
          kind: 'map',
          field: name => {
            const a = attrs.get(name)
            return a ? node(a.type, name) : undefined
          }
        }
      }
    }
  }
  return node(model, '')
}
