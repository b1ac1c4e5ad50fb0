/**
 * A small bcrypt ($2b$) for writing htpasswd files: the registry's htpasswd auth accepts only bcrypt,
 * and neither `htpasswd` (apache2-utils) nor a bcrypt package is guaranteed on the machine.
 * Blowfish's initial P-array and S-boxes are the hex digits of pi, so they are computed, not pasted.
 */
import { randomBytes } from 'node:crypto'

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const WORDS = 18 + 4 * 256

let piWords: Uint32Array | undefined

/** The first `count` 32-bit words of pi's fractional part in hex (0x243f6a88, 0x85a308d3, ...). */
function piFractionWords(count: number): Uint32Array {
  const bits = BigInt(count * 32 + 64)
  const one = 1n << bits
  const arctanInverse = (x: bigint): bigint => {
    let sum = 0n
    let power = one / x
    const x2 = x * x
    for (let k = 1n, sign = 1n; power !== 0n; k += 2n, sign = -sign) {
      sum += (sign * power) / k
      power /= x2
    }
    return sum
  }
  // Machin: pi = 16 atan(1/5) - 4 atan(1/239)
  const pi = 16n * arctanInverse(5n) - 4n * arctanInverse(239n)
  const fraction = (pi - 3n * one) >> 64n
  const words = new Uint32Array(count)
  for (let i = 0; i < count; i++) {
    words[i] = Number((fraction >> BigInt((count - 1 - i) * 32)) & 0xffffffffn)
  }
  return words
}

class Blowfish {
  readonly p: Uint32Array
  readonly s: Uint32Array[]

  constructor() {
    piWords ??= piFractionWords(WORDS)
    this.p = piWords.slice(0, 18)
    this.s = [0, 1, 2, 3].map(i => piWords!.slice(18 + i * 256, 18 + (i + 1) * 256))
  }

  private f(x: number): number {
    const [s0, s1, s2, s3] = this.s
    return (((s0[x >>> 24] + s1[(x >>> 16) & 0xff]) ^ s2[(x >>> 8) & 0xff]) + s3[x & 0xff]) >>> 0
  }

  encipher(block: Uint32Array, offset: number): void {
    let l = block[offset]
    let r = block[offset + 1]
    for (let i = 0; i < 16; i += 2) {
      l = (l ^ this.p[i]) >>> 0
      r = (r ^ this.f(l)) >>> 0
      r = (r ^ this.p[i + 1]) >>> 0
      l = (l ^ this.f(r)) >>> 0
    }
    block[offset] = (r ^ this.p[17]) >>> 0
    block[offset + 1] = (l ^ this.p[16]) >>> 0
  }

  /** bcrypt's ExpandKey(state, salt, key); salt undefined is the plain Blowfish key schedule. */
  expand(key: Uint8Array, salt?: Uint8Array): void {
    const keyStream = cyclicWords(key)
    for (let i = 0; i < 18; i++) this.p[i] = (this.p[i] ^ keyStream()) >>> 0
    const saltStream = salt ? cyclicWords(salt) : () => 0
    const block = new Uint32Array(2)
    const fill = (target: Uint32Array): void => {
      for (let i = 0; i < target.length; i += 2) {
        block[0] ^= saltStream()
        block[1] ^= saltStream()
        this.encipher(block, 0)
        target[i] = block[0]
        target[i + 1] = block[1]
      }
    }
    fill(this.p)
    for (const box of this.s) fill(box)
  }
}

function cyclicWords(data: Uint8Array): () => number {
  let position = 0
  return () => {
    let word = 0
    for (let i = 0; i < 4; i++) {
      word = ((word << 8) | data[position]) >>> 0
      position = (position + 1) % data.length
    }
    return word
  }
}

function encode(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2
    for (let c = 0; c < chars; c++) out += BCRYPT_ALPHABET[(chunk >> (18 - 6 * c)) & 0x3f]
  }
  return out
}

function decode(text: string, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let buffer = 0
  let bits = 0
  let n = 0
  for (const ch of text) {
    buffer = (buffer << 6) | BCRYPT_ALPHABET.indexOf(ch)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      if (n < length) bytes[n++] = (buffer >> bits) & 0xff
    }
  }
  return bytes
}

/** bcrypt with an encoded 22-character salt; exported so known vectors can check it. */
export function bcryptWithSalt(
  password: string,
  cost: number,
  salt22: string,
  prefix = '2b'
): string {
  const salt = decode(salt22, 16)
  const key = Buffer.concat([Buffer.from(password, 'utf8'), Buffer.from([0])]).subarray(0, 72)
  const state = new Blowfish()
  state.expand(key, salt)
  for (let round = 0; round < 2 ** cost; round++) {
    state.expand(key)
    state.expand(salt)
  }
  const text = Buffer.from('OrpheanBeholderScryDoubt', 'latin1')
  const ctext = new Uint32Array(6)
  for (let i = 0; i < 6; i++) ctext[i] = text.readUInt32BE(i * 4)
  for (let round = 0; round < 64; round++) {
    for (let i = 0; i < 6; i += 2) state.encipher(ctext, i)
  }
  const out = Buffer.alloc(24)
  ctext.forEach((word, i) => out.writeUInt32BE(word, i * 4))
  const costText = String(cost).padStart(2, '0')
  return `$${prefix}$${costText}$${encode(salt).slice(0, 22)}${encode(out.subarray(0, 23))}`
}

/** A bcrypt hash with a random salt; cost 4 (the minimum) keeps test setup fast. */
export function bcrypt(password: string, cost = 4): string {
  return bcryptWithSalt(password, cost, encode(randomBytes(16)).slice(0, 22))
}
