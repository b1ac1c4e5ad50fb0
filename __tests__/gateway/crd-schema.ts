/**
 * The official Gateway API v1.6.1 CRDs (../shared/gateway-api-v1.6.1), and a check of an object
 * against a CRD's structural schema: types, required fields, enums, patterns, bounds, list sizes, and
 * fields the schema does not know (the API server would prune them: for us, data lost). Not CEL
 * (x-kubernetes-validations): that is the test cluster's job once it serves these CRDs.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

/** Repo root is the jest rootDir; shared/ sits beside the clone (as for the kube-apiserver recordings). */
export const CRD_DIR = path.resolve(process.cwd(), '..', 'shared', 'gateway-api-v1.6.1')

export interface Schema {
  type?: string
  properties?: Record<string, Schema>
  items?: Schema
  required?: string[]
  enum?: unknown[]
  pattern?: string
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  default?: unknown
  'x-kubernetes-list-type'?: string
  'x-kubernetes-preserve-unknown-fields'?: boolean
}

interface Crd {
  spec: {
    versions: { name: string; schema: { openAPIV3Schema: Schema } }[]
  }
}

const crds = new Map<string, Crd>()

/** The openAPIV3Schema of one version of a CRD file, e.g. ('httproutes', 'v1'). */
export function crdSchema(plural: string, version = 'v1'): Schema {
  const crd =
    crds.get(plural) ??
    (parse(
      readFileSync(path.join(CRD_DIR, `gateway.networking.k8s.io_${plural}.yaml`), 'utf8')
    ) as Crd)
  crds.set(plural, crd)
  const found = crd.spec.versions.find(v => v.name === version)
  if (!found) throw new Error(`${plural} has no version ${version}`)
  return found.schema.openAPIV3Schema
}

/** The schema at a path of property names, `[]` stepping into list items: ('spec', 'rules', '[]'). */
export function schemaAt(schema: Schema, ...path: string[]): Schema {
  return path.reduce<Schema>((s, step) => {
    const next = step === '[]' ? s.items : s.properties?.[step]
    if (!next) throw new Error(`no schema at ${path.join('.')}`)
    return next
  }, schema)
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (value === null) return 'null'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/** Every way `value` breaks `schema`, as `path: problem`; empty when it fits. */
export function schemaErrors(schema: Schema, value: unknown, path = ''): string[] {
  const at = path || '.'
  const type = typeOf(value)
  if (schema.type && schema.type !== type && !(schema.type === 'number' && type === 'integer')) {
    return [`${at}: ${type}, expected ${schema.type}`]
  }
  const errors: string[] = []
  if (schema.enum && !schema.enum.includes(value))
    errors.push(`${at}: ${String(value)} not in enum`)
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern).test(value))
      errors.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`)
    if (schema.minLength !== undefined && [...value].length < schema.minLength)
      errors.push(`${at}: shorter than ${schema.minLength}`)
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength)
      errors.push(`${at}: longer than ${schema.maxLength}`)
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${at}: ${value} < ${schema.minimum}`)
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(`${at}: ${value} > ${schema.maximum}`)
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(`${at}: fewer than ${schema.minItems} items`)
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(`${at}: more than ${schema.maxItems} items`)
    if (schema.items) {
      const items = schema.items
      value.forEach((item, i) => errors.push(...schemaErrors(items, item, `${path}[${i}]`)))
    }
  }
  if (type === 'object' && schema.properties) {
    const object = value as Record<string, unknown>
    for (const name of schema.required ?? []) {
      if (!(name in object)) errors.push(`${path}.${name}: required`)
    }
    for (const [name, field] of Object.entries(object)) {
      const fieldSchema = schema.properties[name]
      if (fieldSchema) errors.push(...schemaErrors(fieldSchema, field, `${path}.${name}`))
      else if (!schema['x-kubernetes-preserve-unknown-fields'])
        errors.push(`${path}.${name}: unknown field (the API server would prune it)`)
    }
  }
  return errors
}
