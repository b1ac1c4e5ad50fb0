/**
 * Go's encoding/json syntax errors, word for word: kube-apiserver decodes request bodies, patches
 * and continue tokens with Go, and its Status messages carry these texts (recording 27:
 * `invalid character 'n' looking for beginning of object key string`). A port of the scanner's
 * states (encoding/json/scanner.go), reporting only the first error.
 */

class SyntaxError extends Error {}

/** scanner.go quoteChar: how an offending byte is printed. */
export function quoteChar(c: string): string {
  if (c === "'") return `'\\''`
  if (c === '"') return `'"'`
  const quoted = JSON.stringify(c)
  // strconv.Quote spells control characters \x01, JSON \u0001.
  const inner = quoted.slice(1, -1).replace(/\\u00([0-9a-f]{2})/g, '\\x$1')
  return `'${inner}'`
}

class Scanner {
  private i = 0
  constructor(private readonly s: string) {}

  private peek(): string | undefined {
    return this.s[this.i]
  }

  private next(): string {
    const c = this.s[this.i++]
    if (c === undefined) throw new SyntaxError('unexpected end of JSON input')
    return c
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i])) this.i++
  }

  private fail(c: string, context: string): never {
    throw new SyntaxError(`invalid character ${quoteChar(c)} ${context}`)
  }

  document(): void {
    this.ws()
    this.value()
    this.ws()
    const c = this.peek()
    if (c !== undefined) this.fail(c, 'after top-level value')
  }

  private value(): void {
    this.ws()
    const c = this.next()
    if (c === '{') return this.object()
    if (c === '[') return this.array()
    if (c === '"') return this.string()
    if (c === '-' || (c >= '0' && c <= '9')) return this.number(c)
    if (c === 't') return this.literal('true')
    if (c === 'f') return this.literal('false')
    if (c === 'n') return this.literal('null')
    this.fail(c, 'looking for beginning of value')
  }

  private object(): void {
    this.ws()
    let c = this.next()
    if (c === '}') return
    for (;;) {
      if (c !== '"') this.fail(c, 'looking for beginning of object key string')
      this.string()
      this.ws()
      c = this.next()
      if (c !== ':') this.fail(c, 'after object key')
      this.value()
      this.ws()
      c = this.next()
      if (c === '}') return
      if (c !== ',') this.fail(c, 'after object key:value pair')
      this.ws()
      c = this.next()
    }
  }

  private array(): void {
    this.ws()
    if (this.peek() === ']') {
      this.i++
      return
    }
    for (;;) {
      this.value()
      this.ws()
      const c = this.next()
      if (c === ']') return
      if (c !== ',') this.fail(c, 'after array element')
    }
  }

  private string(): void {
    for (;;) {
      const c = this.next()
      if (c === '"') return
      if (c === '\\') {
        const e = this.next()
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            const h = this.next()
            if (!/[0-9a-fA-F]/.test(h)) this.fail(h, 'in \\u hexadecimal character escape')
          }
        } else if (!'"\\/bfnrt'.includes(e)) this.fail(e, 'in string escape code')
      } else if (c < ' ') this.fail(c, 'in string literal')
    }
  }

  private digits(): void {
    while (this.i < this.s.length && this.s[this.i] >= '0' && this.s[this.i] <= '9') this.i++
  }

  private number(first: string): void {
    let c = first
    if (c === '-') {
      c = this.next()
      if (!(c >= '0' && c <= '9')) this.fail(c, 'in numeric literal')
    }
    if (c !== '0') this.digits()
    if (this.peek() === '.') {
      this.i++
      const d = this.next()
      if (!(d >= '0' && d <= '9')) this.fail(d, 'after decimal point in numeric literal')
      this.digits()
    }
    const e = this.peek()
    if (e === 'e' || e === 'E') {
      this.i++
      let d = this.next()
      if (d === '+' || d === '-') d = this.next()
      if (!(d >= '0' && d <= '9')) this.fail(d, 'in exponent of numeric literal')
      this.digits()
    }
  }

  private literal(word: string): void {
    for (const want of word.slice(1)) {
      const c = this.next()
      if (c !== want) this.fail(c, `in literal ${word} (expecting '${want}')`)
    }
  }
}

/** The error Go's json.Unmarshal reports for malformed JSON, or undefined when it is well formed. */
export function goJsonSyntaxError(text: string): string | undefined {
  try {
    new Scanner(text).document()
    return undefined
  } catch (e) {
    if (e instanceof SyntaxError) return e.message
    throw e
  }
}

/** JSON.parse with Go's error text on failure. */
export function parseGoJson(text: string): { value: unknown } | { error: string } {
  const error = goJsonSyntaxError(text)
  if (error !== undefined) return { error }
  return { value: JSON.parse(text) as unknown }
}

/** The JSON type name Go's UnmarshalTypeError reports for a value. */
export function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return 'number'
  return typeof v === 'object' ? 'object' : typeof v
}

/** strconv.Quote, as Go's %q prints a string (field.Invalid values). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1')
}

/** One object key of a JSON text: its path from the root (`spec.template.spec.containers[0].name`). */
export interface JsonKey {
  path: string
  /** the key itself */
  key: string
  /** where the key starts in the text, for ordering */
  offset: number
  /** 1-based line of the key, as go-yaml counts it */
  line: number
  /** the key was already set in the same object */
  duplicate: boolean
}

/**
 * Every object key of a well-formed JSON text, in document order: what sigs.k8s.io/json's strict
 * decoder walks to report `duplicate field "path"` (JSON.parse keeps only the last value).
 */
export function jsonKeys(text: string): JsonKey[] {
  const keys: JsonKey[] = []
  let i = 0
  let line = 1
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) {
      if (text[i] === '\n') line++
      i++
    }
  }
  const str = (): string => {
    const start = i
    i++
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    i++
    return JSON.parse(text.slice(start, i)) as string
  }
  const value = (path: string): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const seen = new Set<string>()
      ws()
      if (text[i] === '}') {
        i++
        return
      }
      for (;;) {
        ws()
        const offset = i
        const keyLine = line
        const key = str()
        const p = path ? `${path}.${key}` : key
        keys.push({ path: p, key, offset, line: keyLine, duplicate: seen.has(key) })
        seen.add(key)
        ws()
        i++ // ':'
        value(p)
        ws()
        if (text[i++] === '}') return
      }
    }
    if (c === '[') {
      i++
      ws()
      if (text[i] === ']') {
        i++
        return
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`)
        ws()
        if (text[i++] === ']') return
      }
    }
    if (c === '"') {
      str()
      return
    }
    while (i < text.length && !',}] \t\r\n'.includes(text[i])) i++
  }
  if (goJsonSyntaxError(text) !== undefined) return []
  value('')
  return keys
}
