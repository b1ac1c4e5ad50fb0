/**
 * Field validation's strict decoding errors (KEP 2885), worded and ordered as kube-apiserver
 * reports them: `unknown field "spec.x"` and `duplicate field "spec.y"` (sigs.k8s.io/json), and
 * go-yaml's `line N: key "y" already set in map` for an apply body. fieldValidation=Warn sends each
 * as a Warning, Strict refuses the request with all of them, Ignore says nothing.
 * Orders: a typed create or update body reports both kinds in document order, a field both unknown
 * and duplicated only as unknown; a custom resource's body all duplicates, then the unknown fields
 * its schema pruned; a patch the duplicates of the patch itself, then the unknown fields of the
 * patched object (handlers/patch.go, test/integration/apiserver/field_validation_test.go).
 */
import { LineCounter, parseDocument, visit, isMap, isScalar } from 'yaml'
import { goQuote, jsonKeys, type JsonKey } from './gojson.js'

const unknownField = (path: string): string => `unknown field ${goQuote(path)}`
const duplicateField = (path: string): string => `duplicate field ${goQuote(path)}`

/** saveStrictError keeps the first of equal messages. */
function dedupe(errs: string[]): string[] {
  return [...new Set(errs)]
}

function within(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`)
}

/** A create or update body decoded into its Go struct (or a custom resource by its schema). */
export function bodyStrictErrors(
  text: string,
  unknown: string[],
  customResource: boolean
): string[] {
  const keys = jsonKeys(text)
  const duplicates = keys.filter(k => k.duplicate)
  if (customResource)
    return dedupe([...duplicates.map(k => duplicateField(k.path)), ...unknown.map(unknownField)])
  // Go skips an unknown field's value: nothing inside it is reported as duplicated.
  const known = duplicates.filter(k => !unknown.some(u => within(k.path, u)))
  const firstOffset = (path: string): number =>
    keys.find(k => k.path === path)?.offset ?? Number.MAX_SAFE_INTEGER
  const located = [
    ...unknown.map(path => ({ offset: firstOffset(path), text: unknownField(path) })),
    ...known.map((k: JsonKey) => ({ offset: k.offset, text: duplicateField(k.path) }))
  ].sort((a, b) => a.offset - b.offset)
  return dedupe(located.map(e => e.text))
}

/** A merge or strategic merge patch: its own duplicates, then the patched object's unknown fields. */
export function patchStrictErrors(text: string, unknown: string[]): string[] {
  const duplicates = jsonKeys(text).filter(k => k.duplicate)
  return dedupe([...duplicates.map(k => duplicateField(k.path)), ...unknown.map(unknownField)])
}

const JSON_PATCH_OP_FIELDS = ['op', 'path', 'from', 'value']

/** A JSON patch: its operations decoded as handlers.jsonPatchOp, then the patched object. */
export function jsonPatchStrictErrors(text: string, unknown: string[]): string[] {
  const ops = jsonKeys(text).filter(k => /^\[\d+\]\.[^.[]+$/.test(k.path))
  const opErrors = ops.flatMap(k => {
    const field = k.path.slice(k.path.indexOf('.') + 1)
    if (!JSON_PATCH_OP_FIELDS.includes(field)) return [`json patch ${unknownField(k.path)}`]
    return k.duplicate ? [`json patch ${duplicateField(k.path)}`] : []
  })
  return dedupe([...opErrors, ...unknown.map(unknownField)])
}

/**
 * go-yaml's complaints about an apply body (YAML, or JSON read as YAML): one
 * `line N: key "x" already set in map` per repeated key, in document order.
 */
export function yamlDuplicateKeys(text: string): string[] {
  const fromJson = jsonKeys(text)
  if (fromJson.length > 0 || text.trim().startsWith('{'))
    return fromJson
      .filter(k => k.duplicate)
      .map(k => `line ${k.line}: key ${goQuote(k.key)} already set in map`)
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter })
  const out: { line: number; text: string }[] = []
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return
      const seen = new Set<unknown>()
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key
        if (seen.has(key) && isScalar(pair.key) && pair.key.range) {
          const line = lineCounter.linePos(pair.key.range[0]).line
          out.push({ line, text: `line ${line}: key ${goQuote(String(key))} already set in map` })
        }
        seen.add(key)
      }
    }
  })
  return out.sort((a, b) => a.line - b.line).map(e => e.text)
}

/** The 400 an apply earns with fieldValidation=Strict (handlers/patch.go applyPatcher). */
export function yamlStrictMessage(lines: string[]): string {
  return `error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n${lines.map(l => `  ${l}`).join('\n')}`
}
