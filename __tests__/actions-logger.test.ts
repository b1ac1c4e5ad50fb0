import { actionsLogger } from '../src/actions-logger.js'

/** The workflow commands actionsLogger writes to stdout while fn runs. */
function commandsOf(fn: () => void): string[] {
  const written: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  try {
    fn()
  } finally {
    process.stdout.write = write
  }
  return written.join('').split(/\r?\n/).filter(Boolean)
}

describe('actionsLogger.mask', () => {
  it('registers a one-line secret as it is', () => {
    expect(commandsOf(() => actionsLogger.mask('s3cr3t-token'))).toEqual([
      '::add-mask::s3cr3t-token'
    ])
  })

  it('registers a multi-line secret line by line, as the runner masks, never printing a line bare', () => {
    const pem =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\nhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n'
    expect(commandsOf(() => actionsLogger.mask(pem))).toEqual([
      '::add-mask::MIIEvQIBADANBgkq',
      '::add-mask::hkiG9w0BAQEFAASC'
    ])
  })
})
