/**
 * Custom resources, served from CustomResourceDefinitions as kube-apiserver's apiextensions does:
 * the storage version's structural schema prunes unknown fields (a warning each), drops nulls,
 * applies defaults (also to what is read back, so a defaulted status shows at once), and
 * validates types, enums, patterns, bounds, lengths, item counts and required fields in
 * apiextensions' words (`spec.x: Invalid value: "string": spec.x in body must be of type
 * integer: "string"`); `x-kubernetes-validations` rules are evaluated by cel.ts where it knows
 * the functions they use. A custom resource always has a generation (bumped by any change outside
 * metadata and status), a PUT needs a resourceVersion, and `x-kubernetes-list-type` /
 * `list-map-keys` / `map-type` drive server-side apply's field ownership.
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
 */
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'
import type { Api } from './api.js'
import { evaluateRule } from './cel.js'
import { deepEqual } from './patch.js'
import type { ResourceType } from './registry/index.js'
import { resource } from './registry/strategy.js'
import { decodeAs, typedModel } from './schema.js'
import { printerColumns, type PrinterColumn } from './table.js'
import type { TypedNode } from './typed.js'
import { required, type FieldError } from './status.js'
import { isRecord, type KObject } from './types.js'

export interface Schema {
  type?: string
  format?: string
  properties?: Record<string, Schema>
  items?: Schema
  additionalProperties?: Schema | boolean
  required?: string[]
  enum?: unknown[]
  pattern?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: boolean
  exclusiveMaximum?: boolean
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  minProperties?: number
  maxProperties?: number
  default?: unknown
  nullable?: boolean
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-int-or-string'?: boolean
  'x-kubernetes-embedded-resource'?: boolean
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map'
  'x-kubernetes-list-map-keys'?: string[]
  'x-kubernetes-map-type'?: 'atomic' | 'granular'
  'x-kubernetes-validations'?: { rule: string; message?: string; messageExpression?: string }[]
}

interface CrdVersion {
  name: string
  additionalPrinterColumns?: PrinterColumn[]
  served?: boolean
  storage?: boolean
  schema?: { openAPIV3Schema?: Schema }
  subresources?: { status?: unknown; scale?: unknown }
}

export interface Crd {
  apiVersion?: string
  kind?: string
  metadata: { name?: string }
  spec: {
    group: string
    names: { kind: string; plural: string; singular?: string; shortNames?: string[] }
    scope: 'Namespaced' | 'Cluster'
    versions: CrdVersion[]
  }
}

// ------------------------------------------------------------------ pruning and defaulting

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v === 'object' ? 'object' : typeof v
}

function childSchema(s: Schema | undefined, key: string): Schema | undefined {
  if (!s) return undefined
  if (s.properties?.[key]) return s.properties[key]
  if (isRecord(s.additionalProperties)) return s.additionalProperties
  return undefined
}

/** Whether `key` of an object of schema `s` is kept by pruning. */
function known(s: Schema, key: string): boolean {
  return (
    s['x-kubernetes-preserve-unknown-fields'] === true ||
    s.properties?.[key] !== undefined ||
    s.additionalProperties !== undefined
  )
}

/** Structural pruning + null dropping + defaulting, in place order: prune, then default. */
function pruneAndDefault(
  v: unknown,
  s: Schema | undefined,
  path: string,
  unknown: string[]
): unknown {
  if (!s) return v
  if (Array.isArray(v)) {
    return s.items ? v.map((x, i) => pruneAndDefault(x, s.items, `${path}[${i}]`, unknown)) : v
  }
  if (!isRecord(v)) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k
    if (!known(s, k)) {
      unknown.push(p)
      continue
    }
    const cs = childSchema(s, k)
    // Nulls of fields that are not nullable are pruned before defaulting.
    if (x === null && !cs?.nullable) continue
    out[k] = pruneAndDefault(x, cs, p, unknown)
  }
  for (const [k, ps] of Object.entries(s.properties ?? {})) {
    if (out[k] === undefined && ps.default !== undefined) {
      out[k] = pruneAndDefault(structuredClone(ps.default), ps, path ? `${path}.${k}` : k, [])
    }
  }
  return out
}

// ------------------------------------------------------------------ validation

/** apiextensions' rendering of kube-openapi's errors as field errors. */
function invalid(path: string, value: unknown, detail: string): FieldError {
  return {
    field: path,
    reason: 'FieldValueInvalid',
    detail: `Invalid value: ${goValue(value)}: ${detail}`
  }
}

function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (v === null || v === undefined) return '"null"'
  return JSON.stringify(v)
}

/** What kube-openapi names a JSON type in `must be of type` messages. */
function openapiType(v: unknown): string {
  return typeOf(v)
}

function typeMatches(v: unknown, s: Schema): boolean {
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || Number.isInteger(v)
  switch (s.type) {
    case undefined:
      return true
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v)
    case 'number':
      return typeof v === 'number'
    case 'string':
      return typeof v === 'string'
    case 'boolean':
      return typeof v === 'boolean'
    case 'array':
      return Array.isArray(v)
    case 'object':
      return isRecord(v)
    default:
      return true
  }
}

function validateValue(
  v: unknown,
  s: Schema,
  path: string,
  errs: FieldError[],
  rules: RuleSite[]
): void {
  if (v === null && s.nullable) return
  if (!typeMatches(v, s)) {
    const type = s['x-kubernetes-int-or-string'] ? 'integer,string' : (s.type ?? '')
    const actual = openapiType(v)
    errs.push({
      field: path,
      reason: 'FieldValueTypeInvalid',
      detail: `Invalid value: ${JSON.stringify(actual)}: ${path} in body must be of type ${type}: ${JSON.stringify(actual)}`
    })
    return
  }
  if (s.enum && !s.enum.some(e => deepEqual(e, v))) {
    const values = s.enum.map(e => (typeof e === 'string' ? JSON.stringify(e) : JSON.stringify(e)))
    errs.push({
      field: path,
      reason: 'FieldValueNotSupported',
      detail: `Unsupported value: ${goValue(v)}: supported values: ${values.join(', ')}`
    })
  }
  if (typeof v === 'string') {
    if (s.maxLength !== undefined && [...v].length > s.maxLength) {
      errs.push({
        field: path,
        reason: 'FieldValueTooLong',
        detail: `Too long: may not be more than ${s.maxLength} bytes`
      })
    }
    if (s.minLength !== undefined && [...v].length < s.minLength)
      errs.push(invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`))
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v))
      errs.push(invalid(path, v, `${path} in body should match '${s.pattern}'`))
  }
  if (typeof v === 'number') {
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum))
      errs.push(
        invalid(
          path,
          v,
          `${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`
        )
      )
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum))
      errs.push(
        invalid(
          path,
          v,
          `${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`
        )
      )
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      errs.push({
        field: path,
        reason: 'FieldValueTooMany',
        detail: `Too many: ${v.length}: must have at most ${s.maxItems} items`
      })
    }
    if (s.minItems !== undefined && v.length < s.minItems)
      errs.push(invalid(path, v, `${path} in body should have at least ${s.minItems} items`))
    if (s['x-kubernetes-list-type'] === 'set' || s['x-kubernetes-list-type'] === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? []
      const id = (x: unknown): string =>
        s['x-kubernetes-list-type'] === 'map' && isRecord(x)
          ? JSON.stringify(keys.map(k => x[k]))
          : JSON.stringify(x)
      const seen = new Set<string>()
      v.forEach((x, i) => {
        const k = id(x)
        if (seen.has(k))
          errs.push({
            field: `${path}[${i}]`,
            reason: 'FieldValueDuplicate',
            detail: `Duplicate value: ${s['x-kubernetes-list-type'] === 'map' && isRecord(x) ? JSON.stringify(Object.fromEntries(keys.map(k => [k, x[k]]))) : goValue(x)}`
          })
        seen.add(k)
      })
    }
    if (s.items)
      v.forEach((x, i) => validateValue(x, s.items as Schema, `${path}[${i}]`, errs, rules))
  }
  if (isRecord(v)) {
    for (const r of s.required ?? []) {
      if (v[r] === undefined) errs.push(required(path ? `${path}.${r}` : r))
    }
    if (s.maxProperties !== undefined && Object.keys(v).length > s.maxProperties)
      errs.push({
        field: path,
        reason: 'FieldValueTooMany',
        detail: `Too many: ${Object.keys(v).length}: must have at most ${s.maxProperties} items`
      })
    for (const [k, x] of Object.entries(v)) {
      const cs = childSchema(s, k)
      if (cs && !(path === '' && k === 'metadata'))
        validateValue(x, cs, path ? `${path}.${k}` : k, errs, rules)
    }
  }
  for (const rule of s['x-kubernetes-validations'] ?? [])
    rules.push({ rule, value: v, path, schema: s })
}

interface RuleSite {
  rule: { rule: string; message?: string }
  value: unknown
  path: string
  schema: Schema
}

/** The x-kubernetes-validations rules that cel.ts cannot evaluate, for CONFORMANCE.md. */
export const unevaluatedRules = new Set<string>()

function celErrors(sites: RuleSite[], old: unknown): FieldError[] {
  const errs: FieldError[] = []
  for (const site of sites) {
    const oldSelf = site.path === '' ? old : lookup(old, site.path)
    // Transition rules (oldSelf) only run on update, where the old value exists.
    if (/\boldSelf\b/.test(site.rule.rule) && oldSelf === undefined) continue
    const result = evaluateRule(site.rule.rule, site.value, oldSelf)
    if (result === 'unsupported') {
      unevaluatedRules.add(site.rule.rule)
      continue
    }
    if (result === true) continue
    const type = site.schema.type ?? 'object'
    const message = site.rule.message ?? `failed rule: ${site.rule.rule}`
    errs.push({
      field: site.path,
      reason: 'FieldValueInvalid',
      detail: `Invalid value: ${JSON.stringify(type)}: ${message}`
    })
  }
  return errs
}

function lookup(v: unknown, path: string): unknown {
  let cur = v
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (Array.isArray(cur)) cur = cur[Number(part)]
    else if (isRecord(cur)) cur = cur[part]
    else return undefined
  }
  return cur
}

// ------------------------------------------------------------------ typed (server-side apply)

/** A CRD schema as SMD types it: metadata by ObjectMeta, lists keyed by their list type. */
function schemaNode(s: Schema, top = false): TypedNode {
  if (s['x-kubernetes-int-or-string']) return { kind: 'intOrString' }
  switch (s.type) {
    case 'integer':
    case 'number':
      return { kind: 'numeric' }
    case 'string':
      return { kind: 'string' }
    case 'boolean':
      return { kind: 'boolean' }
    case 'array': {
      const lt = s['x-kubernetes-list-type']
      return {
        kind: 'list',
        item: () => (s.items ? schemaNode(s.items) : { kind: 'any' }),
        keys: () =>
          lt === 'map' ? (s['x-kubernetes-list-map-keys'] ?? []) : lt === 'set' ? 'set' : undefined
      }
    }
    case 'object':
      if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties) return { kind: 'any' }
      return {
        kind: 'map',
        field: name => {
          if (top && name === 'metadata') return typedModel('V1ObjectMeta')
          if (top && (name === 'apiVersion' || name === 'kind')) return { kind: 'string' }
          const cs = childSchema(s, name)
          if (cs) return schemaNode(cs)
          return s['x-kubernetes-preserve-unknown-fields'] ? { kind: 'any' } : undefined
        }
      }
    default:
      return { kind: 'any' }
  }
}

// ------------------------------------------------------------------ the resource type

function schemaAt(root: Schema, names: string[]): Schema | undefined {
  let s: Schema | undefined = root
  for (const n of names) {
    if (!s) return undefined
    s = n === '[]' ? s.items : childSchema(s, n)
  }
  return s
}

/** The ResourceType a CRD adds: its storage version, with the schema's rules. */
export function crdResourceType(crd: Crd): ResourceType {
  const { group, names, scope } = crd.spec
  const version = crd.spec.versions.find(v => v.storage) ?? crd.spec.versions[0]
  const root: Schema = version.schema?.openAPIV3Schema ?? {
    'x-kubernetes-preserve-unknown-fields': true
  }
  const hasStatus = version.subresources?.status !== undefined
  const forValidation = (
    obj: KObject,
    sub: 'main' | 'status'
  ): { errs: FieldError[]; rules: RuleSite[] } => {
    const errs: FieldError[] = []
    const rules: RuleSite[] = []
    const statusSchema = root.properties?.status
    if (sub === 'main') validateValue(obj, root, '', errs, rules)
    else if (statusSchema && obj.status !== undefined)
      validateValue(obj.status, statusSchema, 'status', errs, rules)
    return { errs, rules }
  }
  return resource(group, version.name, names.plural, names.kind, {
    singular: names.singular ?? names.kind.toLowerCase(),
    namespaced: scope === 'Namespaced',
    ...(names.shortNames ? { shortNames: names.shortNames } : {}),
    subresources: [
      ...(hasStatus ? ['status'] : []),
      ...(version.subresources?.scale ? ['scale'] : [])
    ],
    generation: true,
    statusSubresource: hasStatus,
    model: '',
    unconditionalUpdate: false,
    ...(version.additionalPrinterColumns
      ? { table: printerColumns(version.additionalPrinterColumns) }
      : {}),
    decode(body: unknown) {
      const unknown: string[] = []
      if (!isRecord(body)) return { value: body, unknown }
      const { metadata, ...rest } = body
      const value = pruneAndDefault(rest, root, '', unknown) as Record<string, unknown>
      const meta = decodeAs('V1ObjectMeta', metadata ?? {})
      unknown.push(...meta.unknown.map(p => `metadata.${p}`))
      return {
        value: { ...value, metadata: meta.value ?? {} },
        unknown,
        ...(meta.error ? { error: meta.error } : {})
      }
    },
    defaults(obj: KObject) {
      const { metadata, ...rest } = obj
      const value = pruneAndDefault(rest, root, '', []) as Record<string, unknown>
      for (const k of Object.keys(obj)) if (k !== 'metadata' && !(k in value)) delete obj[k]
      Object.assign(obj, value, { metadata })
    },
    generationChanged(next: KObject, old: KObject) {
      const strip = (o: KObject): unknown => {
        const { metadata: _m, status: _s, ...rest } = o
        return hasStatus ? rest : { ...rest, status: _s }
      }
      return !deepEqual(strip(next), strip(old))
    },
    validate(obj: KObject, old?: KObject) {
      const { errs, rules } = forValidation(obj, 'main')
      return [
        ...errs,
        ...celErrors(
          rules.filter(r => !r.path.startsWith('status')),
          old
        )
      ]
    },
    validateStatus(obj: KObject, old: KObject) {
      const { errs, rules } = forValidation(obj, 'status')
      return [...errs, ...celErrors(rules, old)]
    },
    listType(names: string[]) {
      const s = schemaAt(root, names)
      if (!s || s.type !== 'array') return undefined
      const t = s['x-kubernetes-list-type'] ?? 'atomic'
      if (t === 'map') return s['x-kubernetes-list-map-keys'] ?? []
      return t
    },
    typedNode() {
      return schemaNode(root, true)
    },
    atomicMap(names: string[]) {
      const s = schemaAt(root, names)
      return s?.['x-kubernetes-map-type'] === 'atomic'
    }
  })
}

/** The CustomResourceDefinition objects in a YAML stream (other documents are ignored). */
export function isCrd(o: unknown): o is Crd {
  return (
    isRecord(o) &&
    o.kind === 'CustomResourceDefinition' &&
    isRecord(o.spec) &&
    Array.isArray(o.spec.versions)
  )
}

/** The CRDs in YAML files (each may hold several documents). */
export function readCrdFiles(paths: string[]): Crd[] {
  return paths.flatMap(p => {
    // Parsed once per process: the Gateway API CRDs are 650 kB of YAML.
    let crds = parsed.get(p)
    if (!crds) {
      crds = parseAllDocuments(readFileSync(p, 'utf8'))
        .map(d => d.toJS() as unknown)
        .filter(isCrd)
      parsed.set(p, crds)
    }
    return structuredClone(crds)
  })
}

const parsed = new Map<string, Crd[]>()

/**
 * Serves the kind of every CRD the cluster stores, from when it is stored (as apiextensions'
 * controllers do), and stops serving it when the CRD is deleted.
 */
export function serveCustomResources(api: Api): () => void {
  const crdType = api.kindOf('CustomResourceDefinition')
  for (const o of api.store.list(crdType)) if (isCrd(o)) api.registry.add(crdResourceType(o))
  return api.store.subscribe(e => {
    if (e.resource !== crdType || !isCrd(e.object)) return
    const { group, names } = e.object.spec
    if (e.type === 'DELETED') api.registry.remove(group, names.plural)
    else api.registry.add(crdResourceType(e.object))
  })
}
