/**
 * The part of CEL (Common Expression Language) CRD validation rules use, enough for the Gateway
 * API CRDs: literals (raw and triple-quoted strings too), `self`/`oldSelf`, field access (with
 * `__name__` escapes), indexing, `? :`, `|| && !`, comparisons, `in`, `+ - * / %`, `has()`,
 * `size()`, the macros `all`, `exists`, `exists_one`, `filter`, `map`, and the string functions
 * `contains`, `startsWith`, `endsWith`, `matches`, `split`, `lowerAscii`, plus `duration()`,
 * `int()`, `string()`. A rule that uses anything else, or fails at run time (a missing key),
 * is reported as unsupported and not enforced (listed in CONFORMANCE.md).
 * https://kubernetes.io/docs/reference/using-api/cel/
 */
import { deepEqual } from './patch.js'
import { isRecord } from './types.js'

class Unsupported extends Error {}

type Tok = { k: 'num' | 'str' | 'id' | 'op'; v: string }

function lex(src: string): Tok[] {
  const out: Tok[] = []
  let i = 0
  const ops = [
    '&&',
    '||',
    '==',
    '!=',
    '<=',
    '>=',
    '!',
    '<',
    '>',
    '?',
    ':',
    '.',
    ',',
    '(',
    ')',
    '[',
    ']',
    '{',
    '}',
    '+',
    '-',
    '*',
    '/',
    '%'
  ]
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    const raw = /^[rR]/.test(c) && (src[i + 1] === '"' || src[i + 1] === "'")
    if (c === '"' || c === "'" || raw) {
      if (raw) i++
      const q = src[i]
      const triple = src.slice(i, i + 3) === q.repeat(3)
      const end = triple ? q.repeat(3) : q
      i += end.length
      let s = ''
      while (i < src.length && src.slice(i, i + end.length) !== end) {
        if (!raw && src[i] === '\\') {
          const e = src[i + 1]
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e
          i += 2
        } else s += src[i++]
      }
      i += end.length
      out.push({ k: 'str', v: s })
      continue
    }
    const num = /^\d+(\.\d+)?/.exec(src.slice(i))
    if (num) {
      out.push({ k: 'num', v: num[0] })
      i += num[0].length
      if (src[i] === 'u') i++
      continue
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))
    if (id) {
      out.push({ k: 'id', v: id[0] })
      i += id[0].length
      continue
    }
    const op = ops.find(o => src.startsWith(o, i))
    if (!op) throw new Unsupported(`unexpected ${c}`)
    out.push({ k: 'op', v: op })
    i += op.length
  }
  return out
}

type Env = Record<string, unknown>
type Node = (env: Env) => unknown

const MACROS = new Set(['all', 'exists', 'exists_one', 'filter', 'map'])

class Parser {
  private i = 0
  constructor(private readonly t: Tok[]) {}

  private peek(v?: string): boolean {
    const tok = this.t[this.i]
    return tok !== undefined && (v === undefined || (tok.v === v && tok.k !== 'str'))
  }

  private eat(v: string): void {
    if (!this.peek(v)) throw new Unsupported(`expected ${v}`)
    this.i++
  }

  parse(): Node {
    const n = this.ternary()
    if (this.i < this.t.length) throw new Unsupported('trailing input')
    return n
  }

  private ternary(): Node {
    const cond = this.or()
    if (!this.peek('?')) return cond
    this.eat('?')
    const a = this.ternary()
    this.eat(':')
    const b = this.ternary()
    return env => (truthy(cond(env)) ? a(env) : b(env))
  }

  private or(): Node {
    let l = this.and()
    while (this.peek('||')) {
      this.eat('||')
      const a = l
      const r = this.and()
      l = env => truthy(a(env)) || truthy(r(env))
    }
    return l
  }

  private and(): Node {
    let l = this.rel()
    while (this.peek('&&')) {
      this.eat('&&')
      const a = l
      const r = this.rel()
      l = env => truthy(a(env)) && truthy(r(env))
    }
    return l
  }

  /** One left-associative level of binary operators. */
  private level(
    ops: string[],
    next: () => Node,
    apply: (op: string, a: unknown, b: unknown) => unknown
  ): Node {
    let l = next()
    for (;;) {
      const op = ops.find(o => this.peek(o))
      if (!op) return l
      this.i++
      const a = l
      const r = next()
      l = env => apply(op, a(env), r(env))
    }
  }

  private rel(): Node {
    return this.level(['==', '!=', '<=', '>=', '<', '>', 'in'], () => this.add(), compare)
  }

  private add(): Node {
    return this.level(['+', '-'], () => this.mul(), arith)
  }

  private mul(): Node {
    return this.level(['*', '/', '%'], () => this.unary(), arith)
  }

  private unary(): Node {
    if (this.peek('!')) {
      this.eat('!')
      const n = this.unary()
      return env => !truthy(n(env))
    }
    if (this.peek('-')) {
      this.eat('-')
      const n = this.unary()
      return env => -(n(env) as number)
    }
    return this.member()
  }

  private args(): Node[] {
    const out: Node[] = []
    this.eat('(')
    while (!this.peek(')')) {
      out.push(this.ternary())
      if (!this.peek(')')) this.eat(',')
    }
    this.eat(')')
    return out
  }

  private member(): Node {
    let n = this.primary()
    for (;;) {
      if (this.peek('.')) {
        this.eat('.')
        const name = unescape(this.t[this.i++].v)
        if (this.peek('(')) {
          if (MACROS.has(name)) {
            this.eat('(')
            const v = this.t[this.i++].v
            this.eat(',')
            const body = this.ternary()
            this.eat(')')
            const target = n
            n = env => macro(name, target(env), v, body, env)
          } else {
            const target = n
            const args = this.args()
            n = env =>
              method(
                name,
                target(env),
                args.map(a => a(env))
              )
          }
        } else {
          const target = n
          n = env => field(target(env), name)
        }
      } else if (this.peek('[')) {
        this.eat('[')
        const idx = this.ternary()
        this.eat(']')
        const target = n
        n = env => index(target(env), idx(env))
      } else return n
    }
  }

  private primary(): Node {
    const tok = this.t[this.i++]
    if (!tok) throw new Unsupported('unexpected end')
    if (tok.k === 'num') {
      const v = Number(tok.v)
      return () => v
    }
    if (tok.k === 'str') return () => tok.v
    if (tok.k === 'op' && tok.v === '(') {
      const n = this.ternary()
      this.eat(')')
      return n
    }
    if (tok.k === 'op' && tok.v === '[') {
      const items: Node[] = []
      while (!this.peek(']')) {
        items.push(this.ternary())
        if (!this.peek(']')) this.eat(',')
      }
      this.eat(']')
      return env => items.map(x => x(env))
    }
    if (tok.k === 'id') {
      if (tok.v === 'true') return () => true
      if (tok.v === 'false') return () => false
      if (tok.v === 'null') return () => null
      if (tok.v === 'has' && this.peek('(')) {
        // has(a.b): presence of the last field, without evaluating it.
        this.eat('(')
        const start = this.i
        let depth = 0
        while (this.i < this.t.length && !(depth === 0 && this.peek(')'))) {
          if (this.peek('(')) depth++
          if (this.peek(')')) depth--
          this.i++
        }
        const inner = this.t.slice(start, this.i)
        this.eat(')')
        const last = inner.length - 1
        if (last < 2 || inner[last - 1].v !== '.') throw new Unsupported('has() needs a field')
        const target = new Parser(inner.slice(0, last - 1)).parse()
        const name = unescape(inner[last].v)
        return env => {
          const o = target(env)
          return isRecord(o) && o[name] !== undefined
        }
      }
      if (this.peek('(')) {
        const args = this.args()
        return env =>
          func(
            tok.v,
            args.map(a => a(env))
          )
      }
      return env => {
        if (!(tok.v in env)) throw new Unsupported(`unknown identifier ${tok.v}`)
        return env[tok.v]
      }
    }
    throw new Unsupported(`unexpected ${tok.v}`)
  }
}

/** CEL escapes reserved words in field names: `__namespace__` is `namespace`. */
function unescape(name: string): string {
  const m = /^__(.+)__$/.exec(name)
  return m ? m[1] : name
}

function truthy(v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Unsupported('not a bool')
  return v
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return deepEqual(a, b)
    case '!=':
      return !deepEqual(a, b)
    case 'in':
      if (Array.isArray(b)) return b.some(x => deepEqual(x, a))
      if (isRecord(b)) return typeof a === 'string' && a in b
      throw new Unsupported('in')
    default: {
      if (typeof a !== typeof b) throw new Unsupported('compare')
      const x = a as number | string
      const y = b as number | string
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y
    }
  }
}

function arith(op: string, a: unknown, b: unknown): unknown {
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b]
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b
  if (typeof a !== 'number' || typeof b !== 'number') throw new Unsupported('arith')
  if (op === '+') return a + b
  if (op === '-') return a - b
  if (op === '*') return a * b
  if (op === '/') return Math.trunc(a / b)
  return a % b
}

function field(o: unknown, name: string): unknown {
  if (!isRecord(o) || o[name] === undefined) throw new Unsupported(`no such key: ${name}`)
  return o[name]
}

function index(o: unknown, i: unknown): unknown {
  if (Array.isArray(o) && typeof i === 'number') {
    if (i < 0 || i >= o.length) throw new Unsupported('index out of range')
    return o[i]
  }
  if (isRecord(o) && typeof i === 'string') return field(o, i)
  throw new Unsupported('index')
}

function size(v: unknown): number {
  if (typeof v === 'string') return [...v].length
  if (Array.isArray(v)) return v.length
  if (isRecord(v)) return Object.keys(v).length
  throw new Unsupported('size')
}

/** A CEL duration as milliseconds (`1h30m`, `500ms`, `10s`). */
function duration(s: unknown): number {
  if (typeof s !== 'string') throw new Unsupported('duration')
  const units: Record<string, number> = {
    h: 3600000,
    m: 60000,
    s: 1000,
    ms: 1,
    us: 0.001,
    ns: 0.000001
  }
  let total = 0
  const re = /(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g
  let matched = ''
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * units[m[2]]
    matched += m[0]
  }
  if (matched !== s) throw new Unsupported('duration syntax')
  return total
}

function func(name: string, args: unknown[]): unknown {
  switch (name) {
    case 'size':
      return size(args[0])
    case 'duration':
      return duration(args[0])
    case 'int':
      return Math.trunc(Number(args[0]))
    case 'string':
      return String(args[0])
    default:
      throw new Unsupported(`function ${name}`)
  }
}

function method(name: string, target: unknown, args: unknown[]): unknown {
  if (name === 'size') return size(target)
  if (typeof target !== 'string') throw new Unsupported(`method ${name}`)
  const a = args[0]
  switch (name) {
    case 'contains':
      return target.includes(String(a))
    case 'startsWith':
      return target.startsWith(String(a))
    case 'endsWith':
      return target.endsWith(String(a))
    case 'matches':
      return new RegExp(String(a)).test(target)
    case 'split':
      return target.split(String(a))
    case 'lowerAscii':
      return target.toLowerCase()
    default:
      throw new Unsupported(`method ${name}`)
  }
}

function macro(name: string, target: unknown, v: string, body: Node, env: Env): unknown {
  const items = Array.isArray(target) ? target : isRecord(target) ? Object.keys(target) : undefined
  if (!items) throw new Unsupported('macro target')
  const run = (x: unknown): unknown => body({ ...env, [v]: x })
  switch (name) {
    case 'all':
      return items.every(x => truthy(run(x)))
    case 'exists':
      return items.some(x => truthy(run(x)))
    case 'exists_one':
      return items.filter(x => truthy(run(x))).length === 1
    case 'filter':
      return items.filter(x => truthy(run(x)))
    default:
      return items.map(run)
  }
}

const compiled = new Map<string, Node | 'unsupported'>()

/** Whether the rule parses with the functions this evaluator knows (unknown calls fail at run time). */
export function parses(rule: string): boolean {
  try {
    new Parser(lex(rule)).parse()
    return true
  } catch {
    return false
  }
}

/** Evaluates a rule against `self` (and `oldSelf`): true, false, or 'unsupported'. */
export function evaluateRule(
  rule: string,
  self: unknown,
  oldSelf: unknown
): boolean | 'unsupported' {
  let node = compiled.get(rule)
  if (node === undefined) {
    try {
      node = new Parser(lex(rule)).parse()
    } catch {
      node = 'unsupported'
    }
    compiled.set(rule, node)
  }
  if (node === 'unsupported') return 'unsupported'
  try {
    const v = node({ self, oldSelf })
    return typeof v === 'boolean' ? v : 'unsupported'
  } catch (e) {
    if (e instanceof Unsupported || e instanceof TypeError || e instanceof SyntaxError)
      return 'unsupported'
    throw e
  }
}
