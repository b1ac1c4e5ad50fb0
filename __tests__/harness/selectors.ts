/**
 * Label and field selectors, as the list and watch verbs take them.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/
 */
import { badRequest } from './status.js'
import type { ResourceType } from './resources.js'
import { isRecord, type KObject, type LabelSelector } from './types.js'

export type Requirement =
  | { op: 'eq' | 'neq' | 'gt' | 'lt'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string }

export type Selector = (labels: Record<string, string> | undefined) => boolean

/** Splits on commas that are not inside a `( ... )` value set. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
    } else cur += ch
  }
  parts.push(cur)
  return parts.map(p => p.trim()).filter(p => p !== '')
}

// ------------------------------------------------ apimachinery labels.Parse, word for word

type Tok =
  'error' | 'end' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '('

const KEYWORDS: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '('
}

const SPECIAL = '=!(),><'
const SPACE = ' \t\r\n'

function lex(s: string): { tok: Tok; lit: string }[] {
  const out: { tok: Tok; lit: string }[] = []
  let i = 0
  for (;;) {
    while (i < s.length && SPACE.includes(s[i])) i++
    if (i >= s.length) {
      out.push({ tok: 'end', lit: '' })
      return out
    }
    if (SPECIAL.includes(s[i])) {
      let buf = ''
      let last: { tok: Tok; lit: string } | undefined
      while (i < s.length && SPECIAL.includes(s[i])) {
        const next = buf + s[i]
        if (KEYWORDS[next]) {
          buf = next
          last = { tok: KEYWORDS[next], lit: next }
          i++
        } else if (last) break
        else {
          buf = next
          i++
        }
      }
      out.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` })
      continue
    }
    let buf = ''
    while (i < s.length && !SPECIAL.includes(s[i]) && !SPACE.includes(s[i])) buf += s[i++]
    out.push({ tok: KEYWORDS[buf] ?? 'id', lit: buf })
  }
}

class SelectorParser {
  private pos = 0
  constructor(private readonly items: { tok: Tok; lit: string }[]) {}

  /** In the Values context `in` and `notin` are identifiers. */
  private look(values = true): { tok: Tok; lit: string } {
    const it = this.items[this.pos] ?? { tok: 'end', lit: '' }
    if (values && (it.tok === 'in' || it.tok === 'notin')) return { tok: 'id', lit: it.lit }
    return it
  }

  private take(values = true): { tok: Tok; lit: string } {
    const it = this.look(values)
    if (this.pos < this.items.length - 1) this.pos++
    return it
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = []
    for (;;) {
      const { tok, lit } = this.look()
      if (tok === 'end') return reqs
      if (tok !== 'id' && tok !== '!')
        throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`)
      try {
        reqs.push(this.requirement())
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`)
      }
      const t = this.take()
      if (t.tok === 'end') return reqs
      if (t.tok !== ',') throw new Error(`found '${t.lit}', expected: ',' or 'end of string'`)
      const t2 = this.look()
      if (t2.tok !== 'id' && t2.tok !== '!')
        throw new Error(`found '${t2.lit}', expected: identifier after ','`)
    }
  }

  private requirement(): Requirement {
    let t = this.take()
    let notExists = false
    if (t.tok === '!') {
      notExists = true
      t = this.take()
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`)
    const key = t.lit
    const after = this.look().tok
    if (notExists) return { op: 'notexists', key }
    if (after === 'end' || after === ',') return { op: 'exists', key }
    const op = this.take(false)
    switch (op.tok) {
      case 'in':
      case 'notin':
        return { op: op.tok, key, values: this.values() }
      case '=':
      case '==':
      case '!=':
        return { op: op.tok === '!=' ? 'neq' : 'eq', key, value: this.exactValue() }
      case '>':
      case '<': {
        const v = this.exactValue()
        if (!/^-?\d+$/.test(v))
          throw new Error(`for 'Gt', 'Lt' operators, the value must be an integer`)
        return { op: op.tok === '>' ? 'gt' : 'lt', key, value: v }
      }
      default:
        throw new Error(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`)
    }
  }

  private values(): string[] {
    const t = this.take()
    if (t.tok !== '(') throw new Error(`found '${t.lit}' expected: '('`)
    const { tok, lit } = this.look()
    if (tok === ')') {
      this.take()
      return ['']
    }
    if (tok !== 'id' && tok !== ',')
      throw new Error(`found '${lit}', expected: ',', ')' or identifier`)
    const set = new Set<string>()
    for (;;) {
      const c = this.take()
      if (c.tok === 'id') {
        set.add(c.lit)
        const n = this.look()
        if (n.tok === ',') continue
        if (n.tok === ')') break
        throw new Error(`found '${n.lit}', expected: ',' or ')'`)
      } else if (c.tok === ',') {
        if (set.size === 0) set.add('')
        const n = this.look()
        if (n.tok === ')') {
          set.add('')
          break
        }
        if (n.tok === ',') {
          this.take()
          set.add('')
        }
      } else throw new Error(`found '${c.lit}', expected: ',', or identifier`)
    }
    if (this.take().tok !== ')') throw new Error(`found '${lit}', expected: ')'`)
    return [...set].sort()
  }

  private exactValue(): string {
    const n = this.look()
    if (n.tok === 'end' || n.tok === ',') return ''
    const t = this.take()
    if (t.tok === 'id') return t.lit
    throw new Error(`found '${t.lit}', expected: identifier`)
  }
}

/** labels.Parse: the requirements, or a 400 worded as kube-apiserver words it (recording 25). */
export function parseLabelSelector(s: string): Requirement[] {
  try {
    return new SelectorParser(lex(s)).parse()
  } catch (e) {
    throw badRequest((e as Error).message)
  }
}

export function matchRequirements(
  reqs: Requirement[],
  labels: Record<string, string> | undefined
): boolean {
  const l = labels ?? {}
  return reqs.every(r => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key)
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value
      case 'neq':
        return !has || l[r.key] !== r.value
      case 'in':
        return has && r.values.includes(l[r.key])
      case 'notin':
        return !has || !r.values.includes(l[r.key])
      case 'gt':
        return has && /^-?\d+$/.test(l[r.key]) && Number(l[r.key]) > Number(r.value)
      case 'lt':
        return has && /^-?\d+$/.test(l[r.key]) && Number(l[r.key]) < Number(r.value)
      case 'exists':
        return has
      case 'notexists':
        return !has
    }
  })
}

export function labelSelector(s: string | undefined): Selector {
  if (!s) return () => true
  const reqs = parseLabelSelector(s)
  return labels => matchRequirements(reqs, labels)
}

/** metav1.LabelSelector (matchLabels + matchExpressions), as Deployments, ReplicaSets and Jobs hold it. */
export function matchesLabelSelector(
  sel: LabelSelector | undefined,
  labels: Record<string, string> | undefined
): boolean {
  if (!sel) return false
  const reqs: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({
    op: 'eq',
    key,
    value
  }))
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase()
    if (op === 'in' || op === 'notin') reqs.push({ op, key: e.key, values: e.values ?? [] })
    else if (op === 'exists') reqs.push({ op: 'exists', key: e.key })
    else if (op === 'doesnotexist') reqs.push({ op: 'notexists', key: e.key })
  }
  if (reqs.length === 0) return false
  return matchRequirements(reqs, labels)
}

function fieldValue(t: ResourceType, obj: KObject, path: string): string {
  const own = t.fieldValue?.(obj, path)
  if (own !== undefined) return own
  let cur: unknown = obj
  for (const seg of path.split('.')) cur = isRecord(cur) ? cur[seg] : undefined
  return cur === undefined || cur === null ? '' : String(cur)
}

export type FieldSelector = (obj: KObject) => boolean

export function fieldSelector(t: ResourceType, s: string | undefined): FieldSelector {
  if (!s) return () => true
  const reqs = splitTopLevel(s).map(part => {
    const m = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(part)
    if (!m)
      throw badRequest(
        `invalid field selector: invalid selector: '${s}'; can't understand '${part}'`
      )
    const field = m[1]
    const allowed = ['metadata.name', 'metadata.namespace', ...(t.selectableFields ?? [])]
    if (!allowed.includes(field)) {
      // Kinds with their own field label conversion refuse in its words; the rest in the
      // default conversion's (recording 26).
      if (t.selectableFields) throw badRequest(`field label not supported: ${field}`)
      throw badRequest(
        `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`
      )
    }
    return { field, neq: m[2] === '!=', value: m[3] }
  })
  return obj => reqs.every(r => (fieldValue(t, obj, r.field) === r.value) !== r.neq)
}
