import { connect, type Cluster } from '../../src/k8s/client.js'
import { lockName } from '../../src/k8s/labels.js'
import { acquireLock, microTime, type Lease, type Lock } from '../../src/k8s/lock.js'
import { MemoryLogger } from '../../src/logger.js'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'

const NAME = lockName('shop')
const FIRST = 'acme/shop run:1'
const SECOND = 'acme/shop run:2'

let tc: TestCluster
let cluster: Cluster
let logger: MemoryLogger
const held: Lock[] = []

beforeAll(async () => {
  tc = await startTestCluster({ controllers: false })
})

afterAll(async () => {
  await tc.stop()
})

beforeEach(async () => {
  logger = new MemoryLogger()
  cluster = await connect({ kubeconfig: tc.kubeconfig, namespace: 'default', logger })
  tc.resetRequests()
})

afterEach(async () => {
  // Stop every renewal timer and leave no Lease for the next test.
  await Promise.all(held.splice(0).map(lock => lock.release()))
  tc.remove('Lease', 'default', NAME)
  cluster.dispose()
})

async function acquire(
  holder: string,
  opts: { timeoutMs?: number; leaseDurationSeconds?: number; log?: MemoryLogger } = {}
): Promise<Lock> {
  const lock = await acquireLock(cluster, {
    app: 'shop',
    holder,
    timeoutMs: opts.timeoutMs ?? 5_000,
    leaseDurationSeconds: opts.leaseDurationSeconds,
    logger: opts.log ?? logger
  })
  held.push(lock)
  return lock
}

function lease(): Lease | undefined {
  return tc.get<Lease>('Lease', 'default', NAME)
}

/** A Lease written straight into the store, as another run left it. */
function leaseOf(holder: string, renewedAgoMs: number, durationSeconds = 60): Lease {
  const renewed = microTime(new Date(Date.now() - renewedAgoMs))
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: NAME, namespace: 'default' },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: durationSeconds,
      acquireTime: renewed,
      renewTime: renewed,
      leaseTransitions: 2
    }
  }
}

/** Resolves once check() holds; gives up after a generous bound so a broken lock fails, not hangs. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`never happened: ${what}`)
}

describe('acquireLock', () => {
  test('creates a Lease named for the app, held by this run, with MicroTime timestamps', async () => {
    const lock = await acquire(FIRST)
    expect(lock.holder).toBe(FIRST)
    const spec = lease()?.spec
    expect(spec?.holderIdentity).toBe(FIRST)
    expect(spec?.leaseDurationSeconds).toBe(60)
    expect(spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    expect(spec?.acquireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    expect(lock.lost.aborted).toBe(false)
  })

  test('release deletes the Lease', async () => {
    const lock = await acquire(FIRST)
    await lock.release()
    expect(lease()).toBeUndefined()
  })

  test('release is idempotent: a second call sends nothing and does not throw', async () => {
    const lock = await acquire(FIRST)
    await lock.release()
    const before = tc.requests.length
    await expect(lock.release()).resolves.toBeUndefined()
    expect(tc.requests.length).toBe(before)
  })

  test('a second run waits, then fails naming the holder, its run and since when', async () => {
    await acquire(FIRST)
    const since = lease()?.spec?.acquireTime ?? ''
    tc.resetRequests()
    await expect(acquire(SECOND, { timeoutMs: 400 })).rejects.toThrow(
      `another run holds the lock ${NAME}: ${FIRST} (since ${since}); waited 400ms`
    )
    // It looked more than once before giving up: it waited rather than failing at the first 409.
    expect(
      tc.requests.filter(r => r.resource === 'leases' && r.verb === 'get').length
    ).toBeGreaterThan(1)
    expect(lease()?.spec?.holderIdentity).toBe(FIRST)
  })

  test('the second run gets the lock once the first releases it', async () => {
    const first = await acquire(FIRST)
    const waiting = acquire(SECOND, { timeoutMs: 20_000 })
    await eventually(
      () => logger.lines.some(l => l.includes(`for ${FIRST} to release`)),
      'the second run announced it waits'
    )
    await first.release()
    const second = await waiting
    expect(second.holder).toBe(SECOND)
    expect(lease()?.spec?.holderIdentity).toBe(SECOND)
  })

  test('an expired Lease is taken over with a warning naming the previous holder', async () => {
    tc.put(leaseOf('acme/shop run:7', 120_000))
    await acquire(FIRST)
    const spec = lease()?.spec
    expect(spec?.holderIdentity).toBe(FIRST)
    expect(spec?.leaseTransitions).toBe(3)
    expect(logger.lines.some(l => l.startsWith('warning:') && l.includes('acme/shop run:7'))).toBe(
      true
    )
    // Taken over by a replace under the old resourceVersion, not by deleting and creating.
    expect(
      tc.requests.some(r => r.resource === 'leases' && r.verb === 'update' && r.status === 200)
    ).toBe(true)
    expect(tc.requests.some(r => r.resource === 'leases' && r.verb === 'delete')).toBe(false)
  })

  test('a live Lease of another run is not taken over', async () => {
    tc.put(leaseOf('acme/shop run:7', 1_000))
    await expect(acquire(FIRST, { timeoutMs: 200 })).rejects.toThrow(/acme\/shop run:7/)
    expect(lease()?.spec?.holderIdentity).toBe('acme/shop run:7')
  })

  test('of two runs racing for an expired Lease, exactly one gets it', async () => {
    tc.put(leaseOf('acme/shop run:7', 120_000))
    const results = await Promise.allSettled([
      acquire(FIRST, { timeoutMs: 300 }),
      acquire(SECOND, { timeoutMs: 300 })
    ])
    const winners = results.filter(r => r.status === 'fulfilled')
    expect(winners).toHaveLength(1)
    const winner = (winners[0] as PromiseFulfilledResult<Lock>).value.holder
    expect(lease()?.spec?.holderIdentity).toBe(winner)
  })

  test('renewal keeps renewTime moving, so the Lease outlives its duration', async () => {
    await acquire(FIRST, { leaseDurationSeconds: 1 })
    const first = lease()?.spec?.renewTime
    await eventually(() => lease()?.spec?.renewTime !== first, 'renewTime changed')
    const second = lease()?.spec?.renewTime
    await eventually(() => lease()?.spec?.renewTime !== second, 'renewTime changed again')
    expect(Date.parse(lease()?.spec?.renewTime ?? '')).toBeGreaterThan(Date.parse(first ?? ''))
    expect(lease()?.spec?.holderIdentity).toBe(FIRST)
  })

  test('a renewed Lease is not taken over by a run waiting longer than its duration', async () => {
    await acquire(FIRST, { leaseDurationSeconds: 1 })
    await expect(acquire(SECOND, { timeoutMs: 2_500, log: new MemoryLogger() })).rejects.toThrow(
      `: ${FIRST} (since`
    )
    expect(lease()?.spec?.holderIdentity).toBe(FIRST)
  })

  test('renewal that finds another holder aborts `lost`, naming it', async () => {
    const lock = await acquire(FIRST, { leaseDurationSeconds: 1 })
    tc.put(leaseOf('acme/shop run:9', 0))
    await eventually(() => lock.lost.aborted, 'lost aborted')
    expect(String(lock.lost.reason)).toContain('acme/shop run:9')
    expect(lease()?.spec?.holderIdentity).toBe('acme/shop run:9')
  })

  test('renewals failing for longer than the lease duration abort `lost`', async () => {
    const lock = await acquire(FIRST, { leaseDurationSeconds: 1 })
    tc.faults.errorNext(1_000, 503)
    await eventually(() => lock.lost.aborted, 'lost aborted')
    tc.faults.clear()
    expect(String(lock.lost.reason)).toContain('could not be renewed for 1 s')
  })

  test('release after a takeover does not delete the new holder’s Lease', async () => {
    const stalled = await acquire(FIRST)
    // The first run stopped renewing (a frozen runner): its Lease looks two minutes old.
    const mine = lease()
    tc.put({
      ...leaseOf(FIRST, 120_000),
      metadata: { ...leaseOf(FIRST, 0).metadata, uid: mine?.metadata.uid }
    })
    const takeover = new MemoryLogger()
    await acquire(SECOND, { log: takeover })
    expect(takeover.lines.some(l => l.startsWith('warning:') && l.includes(FIRST))).toBe(true)

    await expect(stalled.release()).resolves.toBeUndefined()
    expect(lease()?.spec?.holderIdentity).toBe(SECOND)
    expect(logger.lines.some(l => l.startsWith('warning:') && l.includes(SECOND))).toBe(true)
  })

  test('release of a Lease already gone does not throw', async () => {
    const lock = await acquire(FIRST)
    tc.remove('Lease', 'default', NAME)
    await expect(lock.release()).resolves.toBeUndefined()
  })

  test('a cancelled wait stops with the cancellation, not a timeout', async () => {
    await acquire(FIRST)
    const controller = new AbortController()
    const waiting = acquireLock(cluster, {
      app: 'shop',
      holder: SECOND,
      timeoutMs: 20_000,
      logger,
      signal: controller.signal
    })
    await eventually(() => logger.lines.some(l => l.includes('to release')), 'the second run waits')
    controller.abort(new Error('workflow cancelled'))
    await expect(waiting).rejects.toThrow('workflow cancelled')
  })
})
