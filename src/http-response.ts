/**
 * Two things every HTTP caller of the action needs (smoke checks, Prometheus): a response body read
 * up to a bound, and the reason a request failed in words a person can act on.
 */

/**
 * Reads at most `maxBytes` of a response; `cut` says there was more, so a caller that needs the
 * body whole can refuse it rather than misread it.
 */
export async function readCapped(
  response: Response,
  maxBytes: number
): Promise<{ text: string; cut: boolean }> {
  if (!response.body) return { text: '', cut: false }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      break
    }
  }
  return {
    text: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'),
    cut: size > maxBytes
  }
}

/** fetch says only "fetch failed"; the cause (ECONNREFUSED, a certificate error) is what a person needs. */
export function describeError(error: unknown): string {
  // Duck-typed, not instanceof: errors from fetch may come from another realm (e.g. under jest).
  const message = fieldOf(error, 'message') ?? String(error)
  const cause: unknown = isObject(error) ? error.cause : undefined
  const causeMessage = fieldOf(cause, 'message')
  if (causeMessage === undefined) return message
  const code = fieldOf(cause, 'code')
  return `${message} (${code && !causeMessage.includes(code) ? `${code}: ` : ''}${causeMessage})`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function fieldOf(value: unknown, key: string): string | undefined {
  const field = isObject(value) ? value[key] : undefined
  return typeof field === 'string' ? field : undefined
}
