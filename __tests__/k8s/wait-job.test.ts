import { job } from '../harness/objects.js'
import { apply } from '../../src/k8s/objects.js'
import { WaitError, waitForJob } from '../../src/k8s/wait.js'
import { FAST, NS, count, fixture, rejection, until, type Fixture } from './helpers.js'

const NAME = 'web-migrate-abc123'
const IMAGE = 'registry.example.com/web:abc123'

describe('waitForJob against the test cluster', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture()
  })
  afterEach(async () => {
    await f.stop()
  })

  const create = (opts: { backoffLimit?: number } = {}): Promise<unknown> =>
    apply(f.cluster, job(NAME, { namespace: NS, image: IMAGE, ...opts }))

  it('resolves when the Job completes', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'succeed', afterMs: 100 })
    await create()
    await waitForJob(f.cluster, NAME, { timeoutMs: 10_000, logger: f.logger, ...FAST })
    expect(f.tc.get<{ status?: { succeeded?: number } }>('Job', NS, NAME)?.status?.succeeded).toBe(
      1
    )
    expect(f.logger.lines).toContain(`${NAME}: 0 running, 1/1 succeeded, 0 failed`)
  })

  // Clean: no stall resumes either (a loaded machine can go 300 ms without an event).
  const CLEAN = { ...FAST, stallMs: 30_000 }
  it('makes at most 2 LISTs and 2 WATCHes on a clean wait', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'hold' })
    await create()
    await until(() => f.tc.list('Pod', NS).length === 1, 'the job pod')
    f.tc.resetRequests()
    const wait = waitForJob(f.cluster, NAME, { timeoutMs: 10_000, logger: f.logger, ...CLEAN })
    await until(() => count(f.tc.requests, 'watch') === 2, 'both watches')
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'succeed', afterMs: 10 })
    await wait
    expect(count(f.tc.requests, 'list')).toBeLessThanOrEqual(2)
    expect(count(f.tc.requests, 'watch')).toBeLessThanOrEqual(2)
  })

  it('rejects as soon as the Job fails, with the reason, exit code and last log lines', async () => {
    const logs = Array.from({ length: 60 }, (_, i) => `migration step ${i + 1}`)
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'fail', exitCode: 2, logs, afterMs: 50 })
    await create({ backoffLimit: 0 })
    // A generous timeout: failing must not sit it out.
    const err = (await rejection(
      waitForJob(f.cluster, NAME, { timeoutMs: 60_000, logger: f.logger, ...FAST })
    )) as WaitError
    expect(err).toBeInstanceOf(WaitError)
    expect(err.kind).toBe('failed')
    expect(err.verdict).toMatchObject({ certain: true, reason: 'BackoffLimitExceeded' })
    expect(err.message).toMatch(
      /^job web-migrate-abc123 failed: job web-migrate-abc123 failed \(BackoffLimitExceeded: Job has reached the specified backoff limit\)\. Its pod web-migrate-abc123-\S+: container "migrate" exited with code 2 \(Error\)\./
    )
    expect(err.message).toContain('Last 50 lines of its log:\n    migration step 11\n')
    expect(err.message).toMatch(/migration step 60$/)
    expect(err.message).not.toContain('migration step 10\n')
  })

  it('rejects at once when the Job’s pod cannot pull its image', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'imagepull' })
    await create()
    const err = (await rejection(
      waitForJob(f.cluster, NAME, { timeoutMs: 60_000, logger: f.logger, ...FAST })
    )) as WaitError
    expect(err.message).toMatch(
      /^job web-migrate-abc123 cannot run: pod \S+ cannot pull image "registry\.example\.com\/web:abc123"/
    )
  })

  it('times out naming the Job and what it last saw', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'hold' })
    await create()
    const err = (await rejection(
      waitForJob(f.cluster, NAME, { timeoutMs: 500, logger: f.logger, ...FAST })
    )) as WaitError
    expect(err.kind).toBe('timeout')
    expect(err.message).toBe(
      'timed out after 500 ms waiting for job web-migrate-abc123 to complete; last seen: 1 running, 0/1 succeeded, 0 failed'
    )
  })
})
