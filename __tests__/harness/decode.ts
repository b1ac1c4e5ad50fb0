/**
 * The typed part of decoding: Go's encoding/json refuses a field whose JSON type does not fit the
 * Go struct field, before any validation. Only fields listed here are checked; the rest pass as is.
 */
import { isRecord } from './types.js'

type GoType = 'string' | 'int32' | 'map[string]string'

/** A checked field: its path in the object, the Go struct that holds it and its Go type. */
interface Field {
  path: string[]
  struct: string
  type: GoType
}

const META: Field[] = [
  { path: ['metadata', 'name'], struct: 'ObjectMeta', type: 'string' },
  { path: ['metadata', 'namespace'], struct: 'ObjectMeta', type: 'string' },
  { path: ['metadata', 'generateName'], struct: 'ObjectMeta', type: 'string' },
  { path: ['metadata', 'labels'], struct: 'ObjectMeta', type: 'map[string]string' },
  { path: ['metadata', 'annotations'], struct: 'ObjectMeta', type: 'map[string]string' }
]

const BY_KIND: Record<string, Field[]> = {
  ConfigMap: [{ path: ['data'], struct: 'ConfigMap', type: 'map[string]string' }],
  Deployment: [{ path: ['spec', 'replicas'], struct: 'DeploymentSpec', type: 'int32' }]
}

/** The JSON type name Go's UnmarshalTypeError reports. */
function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  if (typeof v === 'boolean') return 'bool'
  return typeof v === 'object' ? 'object' : typeof v
}

/** Go's message for a value that does not fit, or undefined when it fits (null always fits). */
function misfit(v: unknown, type: GoType): string | undefined {
  if (v === null || v === undefined) return undefined
  if (type === 'string') return typeof v === 'string' ? undefined : jsonType(v)
  if (type === 'int32') return Number.isInteger(v) ? undefined : jsonType(v)
  if (!isRecord(v)) return jsonType(v)
  // A map value of the wrong type names the map's field and the element type.
  const bad = Object.values(v).find(e => e !== null && typeof e !== 'string')
  return bad === undefined ? undefined : jsonType(bad)
}

/**
 * The `json: cannot unmarshal ...` text for the first field of `obj` whose JSON type does not fit,
 * or undefined when all listed fields fit.
 */
export function typeMismatch(kind: string, obj: Record<string, unknown>): string | undefined {
  for (const f of [...META, ...(BY_KIND[kind] ?? [])]) {
    let v: unknown = obj
    for (const k of f.path) v = isRecord(v) ? v[k] : undefined
    const got = misfit(v, f.type)
    if (!got) continue
    const type = f.type === 'map[string]string' && isRecord(v) ? 'string' : f.type
    return `json: cannot unmarshal ${got} into Go struct field ${f.struct}.${f.path.join('.')} of type ${type}`
  }
  return undefined
}
