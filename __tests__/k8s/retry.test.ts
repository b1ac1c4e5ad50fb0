import { KubeError } from '../../src/k8s/errors.js'
import { backoffDelay, isTransient, retryDelay, withRetry } from '../../src/k8s/retry.js'

const attempt = { verb: 'get', resource: 'pods' }
const httpFailure = (status: number, retryAfterMs?: number): KubeError =>
  new KubeError(`status ${status}`, { code: status, reason: 'x', attempt, status, retryAfterMs })
const socketFailure = (code: string): Error => Object.assign(new Error(code), { code })

describe('isTransient', () => {
  it.each([429, 500, 502, 503, 504])('retries HTTP %i', s =>
    expect(isTransient(httpFailure(s))).toBe(true)
  )
  it.each([400, 401, 403, 404, 409, 410, 422])('does not retry HTTP %i', s =>
    expect(isTransient(httpFailure(s))).toBe(false)
  )
  it('retries a refused or reset connection', () => {
    expect(isTransient(socketFailure('ECONNREFUSED'))).toBe(true)
    expect(isTransient(socketFailure('ECONNRESET'))).toBe(true)
  })
  it('does not retry a DNS or TLS failure', () => {
    expect(isTransient(socketFailure('ENOTFOUND'))).toBe(false)
    expect(isTransient(socketFailure('CERT_HAS_EXPIRED'))).toBe(false)
  })
})

describe('backoff', () => {
  const max = { baseMs: 100, capMs: 1000, random: () => 0.999999 }
  it('doubles up to the cap', () => {
    expect([0, 1, 2, 3, 4, 10].map(n => backoffDelay(n, max))).toEqual([
      100, 200, 400, 800, 1000, 1000
    ])
  })
  it('is jittered between 1 ms and the ceiling', () => {
    expect(backoffDelay(3, { ...max, random: () => 0 })).toBe(1)
    expect(backoffDelay(3, { ...max, random: () => 0.5 })).toBe(400)
  })
  it('waits at least as long as Retry-After asks', () => {
    expect(retryDelay(httpFailure(429, 3000), 0, max)).toBe(3000)
    expect(retryDelay(httpFailure(429, 10), 3, max)).toBe(800)
  })
})

describe('withRetry', () => {
  const fast = { baseMs: 1, capMs: 2 }
  it('retries transient failures until it succeeds', async () => {
    let calls = 0
    const result = await withRetry(
      async () => {
        calls++
        if (calls < 3) throw httpFailure(503)
        return 'ok'
      },
      { deadline: Date.now() + 5000, backoff: fast }
    )
    expect([result, calls]).toEqual(['ok', 3])
  })

  it('throws a permanent failure at once', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw httpFailure(403)
        },
        { deadline: Date.now() + 5000, backoff: fast }
      )
    ).rejects.toThrow('status 403')
    expect(calls).toBe(1)
  })

  it('gives up with the last error when Retry-After would pass the deadline', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw httpFailure(429, 60_000)
        },
        { deadline: Date.now() + 1000, backoff: fast }
      )
    ).rejects.toThrow('status 429')
    expect(calls).toBe(1)
  })
})
