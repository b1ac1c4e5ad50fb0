/**
 * A check's rule: what the canary's value must satisfy, as an absolute bound or relative to stable.
 *
 *   rule   := ["canary"] ("<=" | "<" | ">=" | ">") expr
 *   expr   := term (("+" | "-") term)*
 *   term   := factor (("*" | "/") factor)*
 *   factor := number [unit] | "stable" | ("max" | "min") "(" expr ("," expr)* ")" | "(" expr ")" | "-" factor
 *   unit   := "%" (hundredths) | "ms" (thousandths) | "s"
 *
 * e.g. `<= 1%`, `<= stable * 1.2`, `<= max(stable * 1.5, stable + 0.5%)`, `< 300ms`.
 * A rule that names `stable` is relative: it needs stable's value to be judged at all.
 */

export type Comparator = '<=' | '<' | '>=' | '>'

type Expr =
  | { kind: 'number'; value: number; text: string }
  | { kind: 'stable' }
  | { kind: 'negate'; operand: Expr }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr }
  | { kind: 'call'; fn: 'max' | 'min'; args: Expr[] }

export interface Rule {
  /** The rule as written back, normalised: `canary <= max(stable * 1.5, stable + 0.5%)`. */
  text: string
  comparator: Comparator
  /** Names `stable`: judged only when stable has a value too. */
  relative: boolean
  bound: Expr
}

export class RuleSyntaxError extends Error {
  override name = 'RuleSyntaxError'
}

const TOKEN =
  /\s*(?:(<=|>=|<|>)|(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)(%|ms|s(?![A-Za-z]))?|([A-Za-z_]+)|([-+*/(),]))/y

type Token =
  | { type: 'comparator'; text: Comparator; at: number }
  | { type: 'number'; value: number; text: string; at: number }
  | { type: 'word'; text: string; at: number }
  | { type: 'punct'; text: string; at: number }

const UNIT: Record<string, number> = { '%': 0.01, ms: 0.001, s: 1 }

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break
    const at = TOKEN.lastIndex
    const match = TOKEN.exec(source)
    if (!match) {
      const here = source.slice(at).trimStart()
      throw new RuleSyntaxError(`unexpected ${JSON.stringify(here.slice(0, 12))}`)
    }
    const [, comparator, digits, unit, word, punct] = match
    if (comparator) tokens.push({ type: 'comparator', text: comparator as Comparator, at })
    else if (digits !== undefined) {
      const value = Number(digits) * (unit ? UNIT[unit] : 1)
      tokens.push({ type: 'number', value, text: `${digits}${unit ?? ''}`, at })
    } else if (word) tokens.push({ type: 'word', text: word, at })
    else tokens.push({ type: 'punct', text: punct, at })
  }
  return tokens
}

class Parser {
  private index = 0
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.index]
  }

  private next(what: string): Token {
    const token = this.tokens[this.index++]
    if (!token) throw new RuleSyntaxError(`${what} expected, the rule ends`)
    return token
  }

  private expect(text: string): void {
    const token = this.next(`"${text}"`)
    if (token.text !== text) {
      throw new RuleSyntaxError(`"${text}" expected, found "${token.text}"`)
    }
  }

  rule(): Rule {
    const first = this.peek()
    if (first?.type === 'word' && first.text === 'canary') this.index++
    const comparator = this.next('a comparison (<=, <, >=, >)')
    if (comparator.type !== 'comparator') {
      throw new RuleSyntaxError(
        `a rule starts with a comparison (<=, <, >=, >), found "${comparator.text}"`
      )
    }
    const bound = this.expr()
    const rest = this.peek()
    if (rest) throw new RuleSyntaxError(`unexpected "${rest.text}" after the bound`)
    return {
      text: `canary ${comparator.text} ${print(bound)}`,
      comparator: comparator.text,
      relative: namesStable(bound),
      bound
    }
  }

  private expr(): Expr {
    let left = this.term()
    for (let t = this.peek(); t?.text === '+' || t?.text === '-'; t = this.peek()) {
      this.index++
      left = { kind: 'binary', op: t.text, left, right: this.term() }
    }
    return left
  }

  private term(): Expr {
    let left = this.factor()
    for (let t = this.peek(); t?.text === '*' || t?.text === '/'; t = this.peek()) {
      this.index++
      left = { kind: 'binary', op: t.text, left, right: this.factor() }
    }
    return left
  }

  private factor(): Expr {
    const token = this.next('a number, stable, max(...) or min(...)')
    if (token.type === 'number') return { kind: 'number', value: token.value, text: token.text }
    if (token.text === '-') return { kind: 'negate', operand: this.factor() }
    if (token.text === '(') {
      const inner = this.expr()
      this.expect(')')
      return inner
    }
    if (token.type === 'word' && token.text === 'stable') return { kind: 'stable' }
    if (token.type === 'word' && (token.text === 'max' || token.text === 'min')) {
      this.expect('(')
      const args = [this.expr()]
      while (this.peek()?.text === ',') {
        this.index++
        args.push(this.expr())
      }
      this.expect(')')
      return { kind: 'call', fn: token.text, args }
    }
    throw new RuleSyntaxError(
      `"${token.text}" is not a number, stable, max(...) or min(...)${token.type === 'word' ? ' (the only name a rule knows is stable)' : ''}`
    )
  }
}

export function parseRule(source: string): Rule {
  if (source.length > 500) throw new RuleSyntaxError('a rule of at most 500 characters')
  return new Parser(tokenize(source)).rule()
}

function namesStable(expr: Expr): boolean {
  switch (expr.kind) {
    case 'stable':
      return true
    case 'number':
      return false
    case 'negate':
      return namesStable(expr.operand)
    case 'binary':
      return namesStable(expr.left) || namesStable(expr.right)
    case 'call':
      return expr.args.some(namesStable)
  }
}

const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 } as const

function print(expr: Expr, parent = 0, rightSide = false): string {
  switch (expr.kind) {
    case 'number':
      return expr.text
    case 'stable':
      return 'stable'
    case 'negate':
      return `-${print(expr.operand, 3)}`
    case 'call':
      return `${expr.fn}(${expr.args.map(a => print(a)).join(', ')})`
    case 'binary': {
      const own = PRECEDENCE[expr.op]
      const text = `${print(expr.left, own)} ${expr.op} ${print(expr.right, own, true)}`
      return own < parent || (own === parent && rightSide) ? `(${text})` : text
    }
  }
}

function evaluate(expr: Expr, stable: number): number {
  switch (expr.kind) {
    case 'number':
      return expr.value
    case 'stable':
      return stable
    case 'negate':
      return -evaluate(expr.operand, stable)
    case 'call': {
      const values = expr.args.map(a => evaluate(a, stable))
      return expr.fn === 'max' ? Math.max(...values) : Math.min(...values)
    }
    case 'binary': {
      const left = evaluate(expr.left, stable)
      const right = evaluate(expr.right, stable)
      if (expr.op === '+') return left + right
      if (expr.op === '-') return left - right
      if (expr.op === '*') return left * right
      return left / right
    }
  }
}

/** The bound the canary's value is compared with; NaN when stable's value makes it meaningless. */
export function ruleBound(rule: Rule, stable: number | undefined): number {
  if (rule.relative && stable === undefined) return NaN
  return evaluate(rule.bound, stable ?? NaN)
}

export function satisfies(value: number, comparator: Comparator, bound: number): boolean {
  switch (comparator) {
    case '<=':
      return value <= bound
    case '<':
      return value < bound
    case '>=':
      return value >= bound
    case '>':
      return value > bound
  }
}
