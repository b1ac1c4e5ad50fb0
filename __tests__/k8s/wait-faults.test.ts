import { deployment } from '../harness/objects.js'
import { apply } from '../../src/k8s/objects.js'
import { WaitError, waitForRollout } from '../../src/k8s/wait.js'
import { FAST, NS, count, fixture, rejection, until, type Fixture } from './helpers.js'

const APP = 'web-canary'
const IMAGE = 'registry.example.com/web:abc123'

/** Each fault strikes while both watches of a rollout wait are open; the wait must still resolve. */
describe('waitForRollout survives API server faults', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture()
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'hold' })
    await apply(
      f.cluster,
      deployment(APP, { namespace: NS, image: IMAGE, replicas: 2, track: 'canary' })
    )
    await until(() => f.tc.list('Pod', NS).length === 2, 'the pods')
    f.tc.resetRequests()
  })
  afterEach(async () => {
    f.tc.faults.clear()
    await f.stop()
  })

  /** Starts the wait and resolves once both watches are open (wrapped: an async function would flatten it). */
  async function waiting(
    opts: Partial<Parameters<typeof waitForRollout>[2]> = {}
  ): Promise<{ wait: Promise<void> }> {
    const wait = waitForRollout(f.cluster, APP, {
      timeoutMs: 20_000,
      logger: f.logger,
      ...FAST,
      ...opts
    })
    wait.catch(() => undefined)
    await until(() => count(f.tc.requests, 'watch') >= 2, 'both watches to open')
    return { wait }
  }

  it('resumes (without listing again) when the server ends the watches', async () => {
    const { wait } = await waiting()
    f.tc.faults.endWatches()
    await until(() => count(f.tc.requests, 'watch') >= 4, 'the watches to resume')
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    expect(count(f.tc.requests, 'list')).toBe(2)
  })

  it('resumes a watch that goes silent past the stall window', async () => {
    const { wait } = await waiting()
    f.tc.faults.stallWatches(1200)
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    expect(count(f.tc.requests, 'watch')).toBeGreaterThanOrEqual(4)
    expect(f.logger.lines.some(l => /no event for 300 ms, resuming the watch/.test(l))).toBe(true)
  })

  it('lists again after 410 Gone as an HTTP status', async () => {
    const { wait } = await waiting()
    f.tc.faults.goneNext(1)
    f.tc.faults.endWatches()
    await until(() => f.tc.requests.some(r => r.status === 410), 'the 410')
    await until(() => count(f.tc.requests, 'list') === 3, 'the re-list')
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    expect(f.tc.requests.filter(r => r.status === 410)).toHaveLength(1)
  })

  it('lists again after 410 Gone as an in-stream ERROR event', async () => {
    const { wait } = await waiting()
    f.tc.faults.goneNext(1, { inStream: true })
    f.tc.faults.endWatches()
    await until(() => count(f.tc.requests, 'list') === 3, 'the re-list')
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    expect(f.logger.lines.some(l => /expired, listing again/.test(l))).toBe(true)
  })

  it('waits out a 429 with Retry-After, then resumes', async () => {
    const { wait } = await waiting()
    f.tc.faults.tooManyNext(1, 1)
    f.tc.faults.endWatches()
    await until(() => f.tc.requests.some(r => r.status === 429), 'the 429')
    const at429 = f.tc.requests.length
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    expect(
      f.logger.lines.some(l =>
        /429 Too Many Requests.*retry after 1 s; retrying in \d{4,} ms/.test(l)
      )
    ).toBe(true)
    expect(f.tc.requests.length).toBeGreaterThan(at429)
  })

  it.each([500, 503] as const)('retries a %i, then resumes', async code => {
    const { wait } = await waiting()
    f.tc.faults.errorNext(2, code)
    f.tc.faults.endWatches()
    await until(() => f.tc.requests.filter(r => r.status === code).length === 2, `both ${code}s`)
    f.tc.kubelet.release({ image: IMAGE })
    await wait
  })

  it('keeps going with slow responses', async () => {
    f.tc.faults.latency(150)
    const { wait } = await waiting()
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    expect(count(f.tc.requests, 'watch')).toBe(2)
  })

  it('reconnects after the server refused connections for a while', async () => {
    const { wait } = await waiting()
    f.tc.faults.refuseFor(500)
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    expect(f.logger.lines.some(l => /connection refused by .*retrying in/.test(l))).toBe(true)
  })

  it('retries server errors only until the deadline, then says what it last saw', async () => {
    const { wait } = await waiting({ timeoutMs: 1000 })
    f.tc.faults.errorNext(10_000, 503)
    f.tc.faults.endWatches()
    const err = (await rejection(wait)) as WaitError
    expect(err.kind).toBe('timeout')
    expect(err.message).toMatch(
      /^timed out after 1 s waiting for deployment web-canary to roll out; last seen: 0 of 2 updated replicas are available/
    )
  })
})
