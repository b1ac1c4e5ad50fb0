/**
 * Typed decoding, as kube-apiserver decodes a body into the Go struct of its kind: every field of
 * the kinds we serve is checked against its type (from the OpenAPI models @kubernetes/client-node
 * is generated from), a value of the wrong JSON type is refused with Go's UnmarshalTypeError
 * wording (the first one, in document order), unknown fields are dropped (and reported, for the
 * `unknown field` warning), and what Go's `omitempty` would not send back (null, empty lists and
 * maps) is dropped. Empty structs stay `{}`, as Go encodes them.
 */
import * as models from '@kubernetes/client-node'
import { goJsonType } from './gojson.js'
import { modelNode, type TypedNode } from './typed.js'
import { isRecord } from './types.js'

interface Attribute {
  baseName: string
  type: string
  format: string
}

type ModelClass = { attributeTypeMap?: Attribute[] }

const registry = models as unknown as Record<string, ModelClass | undefined>

const cache = new Map<string, Map<string, Attribute> | undefined>()

function attributes(model: string): Map<string, Attribute> | undefined {
  if (cache.has(model)) return cache.get(model)
  const cls = registry[model]
  const map = cls?.attributeTypeMap
    ? new Map(cls.attributeTypeMap.map(a => [a.baseName, a]))
    : undefined
  cache.set(model, map)
  return map
}

/**
 * metav1.Time / MicroTime fields that are plain structs in Go (not pointers): `omitempty` does not
 * drop them, so an unset one is sent as `null` (recording 33: `lastProbeTime: null`).
 */
const NULL_WHEN_UNSET: Record<string, string[]> = {
  V1PodCondition: ['lastProbeTime', 'lastTransitionTime'],
  V1JobCondition: ['lastProbeTime', 'lastTransitionTime'],
  V1DeploymentCondition: ['lastUpdateTime', 'lastTransitionTime'],
  V1ReplicaSetCondition: ['lastTransitionTime'],
  V1NamespaceCondition: ['lastTransitionTime'],
  V1ContainerStateRunning: ['startedAt'],
  V1ContainerStateTerminated: ['startedAt', 'finishedAt'],
  CoreV1Event: ['firstTimestamp', 'lastTimestamp', 'eventTime']
}

const MAP_OF = /^\{ \[key: string\]: (.*); \}$/
const ARRAY_OF = /^Array<(.*)>$/

/** The Go type name UnmarshalTypeError prints (`int32`, `v1.PodSpec`, `[]v1.Container`, `map[string]string`). */
export function goTypeName(type: string, format = ''): string {
  const arr = ARRAY_OF.exec(type)
  if (arr) return `[]${goTypeName(arr[1])}`
  const map = MAP_OF.exec(type)
  if (map) return `map[string]${goTypeName(map[1])}`
  switch (type) {
    case 'string':
      return 'string'
    case 'boolean':
      return 'bool'
    case 'number':
      return format === 'int32' || format === 'int64' ? format : 'float64'
    case 'Date':
      return 'v1.Time'
    case 'IntOrString':
      return 'intstr.IntOrString'
    case 'any':
    case 'object':
      return 'interface {}'
    default:
      return `v1.${structName(type)}`
  }
}

/** V1DeploymentSpec -> DeploymentSpec, CoreV1EventSeries -> EventSeries */
function structName(model: string): string {
  return model.replace(
    /^[A-Z][a-z]*V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])|^V\d+(?:(?:alpha|beta)\d+)?/,
    ''
  )
}

export interface Decoded {
  value: unknown
  /** Go's `json: cannot unmarshal ...` for the first misfit, if any */
  error?: string
  /** paths of the fields dropped as unknown (`spec.template.spec.containers[0].foo`) */
  unknown: string[]
}

interface Ctx {
  error?: string
  unknown: string[]
}

/** Where Go's decoder is: the innermost struct and the JSON field names from the root. */
interface Pos {
  struct: string
  fields: string[]
  /** the path with list indices, for unknown-field warnings */
  path: string
}

function misfit(ctx: Ctx, pos: Pos, got: string, type: string): void {
  if (ctx.error) return
  ctx.error =
    pos.fields.length === 0
      ? `json: cannot unmarshal ${got} into Go value of type ${type}`
      : `json: cannot unmarshal ${got} into Go struct field ${pos.struct}.${pos.fields.join('.')} of type ${type}`
}

const INT_RANGE: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
}

function decodeValue(v: unknown, type: string, format: string, pos: Pos, ctx: Ctx): unknown {
  if (v === null || v === undefined) return undefined
  const arr = ARRAY_OF.exec(type)
  if (arr) {
    if (!Array.isArray(v)) {
      misfit(ctx, pos, goJsonType(v), goTypeName(type))
      return undefined
    }
    const out = v
      .map((x, i) => decodeValue(x, arr[1], '', { ...pos, path: `${pos.path}[${i}]` }, ctx))
      .filter(x => x !== undefined)
    return out.length > 0 ? out : undefined
  }
  const map = MAP_OF.exec(type)
  if (map) {
    if (!isRecord(v)) {
      misfit(ctx, pos, goJsonType(v), goTypeName(type))
      return undefined
    }
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      // Go keeps a null map value as the element's zero value.
      const d =
        x === null
          ? map[1] === 'string'
            ? ''
            : null
          : decodeValue(x, map[1], '', { ...pos, path: `${pos.path}[${k}]` }, ctx)
      if (d !== undefined) out[k] = d
    }
    return Object.keys(out).length > 0 ? out : undefined
  }
  switch (type) {
    case 'string':
      if (typeof v !== 'string') misfit(ctx, pos, goJsonType(v), 'string')
      return v
    case 'boolean':
      if (typeof v !== 'boolean') misfit(ctx, pos, goJsonType(v), 'bool')
      return v
    case 'number': {
      const go = goTypeName(type, format)
      if (typeof v !== 'number') misfit(ctx, pos, goJsonType(v), go)
      else if (go !== 'float64') {
        const [min, max] = INT_RANGE[go]
        if (!Number.isInteger(v) || v < min || v > max) misfit(ctx, pos, `number ${v}`, go)
      }
      return v
    }
    case 'Date':
      // metav1.Time decodes a JSON string; anything else fails inside its UnmarshalJSON.
      if (typeof v !== 'string') misfit(ctx, { ...pos, fields: [] }, goJsonType(v), 'string')
      return v
    case 'IntOrString':
      if (typeof v !== 'string' && typeof v !== 'number')
        misfit(ctx, { ...pos, fields: [] }, goJsonType(v), 'int32')
      return v
    case 'any':
    case 'object':
      return v
    default:
      return decodeStruct(v, type, pos, ctx)
  }
}

function decodeStruct(v: unknown, model: string, pos: Pos, ctx: Ctx): unknown {
  const attrs = attributes(model)
  if (!attrs) return v
  if (!isRecord(v)) {
    misfit(ctx, pos, goJsonType(v), goTypeName(model))
    return undefined
  }
  const struct = structName(model)
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) {
    const a = attrs.get(k)
    const path = pos.path ? `${pos.path}.${k}` : k
    if (!a) {
      ctx.unknown.push(path)
      continue
    }
    const d = decodeValue(x, a.type, a.format, { struct, fields: [...pos.fields, k], path }, ctx)
    if (d !== undefined) out[k] = d
  }
  for (const k of NULL_WHEN_UNSET[model] ?? []) if (!(k in out)) out[k] = null
  return out
}

/**
 * The struct fields that are values, not pointers, in the Go types (and `containers`, a slice
 * without omitempty): the zero value of their parent already holds them. Top-level metadata,
 * spec and status are values in every built-in kind.
 */
const VALUE_FIELDS: Record<string, string[]> = {
  V1DeploymentSpec: ['strategy', 'template'],
  V1ReplicaSetSpec: ['template'],
  V1JobSpec: ['template'],
  V1PodTemplateSpec: ['metadata', 'spec'],
  V1PodSpec: ['containers'],
  V1ServiceStatus: ['loadBalancer'],
  CoreV1Event: ['involvedObject', 'source']
}

/** Whether the Go zero value of `model` has something (a struct, a null slice) at this field path. */
export function zeroValueHas(model: string, fields: string[]): boolean {
  let type = model
  for (const [i, name] of fields.entries()) {
    const a = attributes(type)?.get(name)
    if (!a) return false
    const topLevel = i === 0 && ['metadata', 'spec', 'status'].includes(name)
    if (!topLevel && !(VALUE_FIELDS[type] ?? []).includes(name)) return false
    type = a.type
  }
  return true
}

/** Decodes `body` as the Go struct of `model` (V1Deployment, ...), as encoding/json does. */
export function decodeAs(model: string, body: unknown): Decoded {
  const ctx: Ctx = { unknown: [] }
  const value = decodeStruct(body, model, { struct: structName(model), fields: [], path: '' }, ctx)
  return { value, unknown: ctx.unknown, ...(ctx.error ? { error: ctx.error } : {}) }
}

/** The typed schema server-side apply checks an applied configuration against (typed.ts). */
export function typedModel(model: string): TypedNode {
  return modelNode(model, attributes)
}

/** Whether the models know this type (custom resources are decoded by their CRD schema instead). */
export function hasModel(model: string): boolean {
  return attributes(model) !== undefined
}

/** Go's %+v of decoded JSON (map[string]interface{} and friends), as kube prints a patch map. */
export function goPrint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>'
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`
  if (isRecord(v))
    return `map[${Object.keys(v)
      .sort()
      .map(k => `${k}:${goPrint(v[k])}`)
      .join(' ')}]`
  return String(v)
}

/** The Go kind name of a decoded JSON value (json numbers decode as int64 or float64). */
function goKind(v: unknown): string {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64'
  return Array.isArray(v) ? 'slice' : 'map'
}

/**
 * runtime.DefaultUnstructuredConverter's refusal of the first value that does not fit, as a
 * strategic merge patch's result meets it (`unrecognized type: int32`, `cannot convert int64 to
 * string`, `cannot restore struct from: string`), or undefined.
 */
export function converterMismatch(model: string, v: unknown): string | undefined {
  const scalar = (type: string, format: string, x: unknown): string | undefined => {
    if (x === null) return undefined
    const target =
      type === 'string' || type === 'Date'
        ? 'string'
        : type === 'boolean'
          ? 'bool'
          : format === 'int32' || format === 'int64'
            ? format
            : 'float64'
    const k = goKind(x)
    if (k === target || (target === 'string' && type === 'Date' && k === 'string')) return undefined
    const numeric = (t: string): boolean => ['int32', 'int64', 'float64'].includes(t)
    if (numeric(target) && k === 'int64') return undefined
    if (target === 'float64' && k === 'float64') return undefined
    if ((k === 'int64' || k === 'float64') && (numeric(target) || target === 'string'))
      return `cannot convert ${k} to ${target}`
    return `unrecognized type: ${target}`
  }
  const walk = (type: string, format: string, x: unknown): string | undefined => {
    if (x === null || x === undefined) return undefined
    const arr = ARRAY_OF.exec(type)
    if (arr) {
      if (!Array.isArray(x)) return `cannot restore slice from ${goKind(x)}`
      for (const item of x) {
        const e = walk(arr[1], '', item)
        if (e) return e
      }
      return undefined
    }
    const map = MAP_OF.exec(type)
    if (map) {
      if (!isRecord(x)) return `cannot restore map from ${goKind(x)}`
      for (const item of Object.values(x)) {
        const e = walk(map[1], '', item)
        if (e) return e
      }
      return undefined
    }
    if (['string', 'boolean', 'number', 'Date'].includes(type)) return scalar(type, format, x)
    if (type === 'IntOrString' || type === 'any' || type === 'object') return undefined
    const attrs = attributes(type)
    if (!attrs) return undefined
    if (!isRecord(x)) return `cannot restore struct from: ${goKind(x)}`
    for (const [k, item] of Object.entries(x)) {
      const a = attrs.get(k)
      const e = a ? walk(a.type, a.format, item) : undefined
      if (e) return e
    }
    return undefined
  }
  return walk(model, '', v)
}
