import type { KubernetesObject } from '@kubernetes/client-node'
import { WaitError, waitForObject, type ObjectVerdict } from '../../src/k8s/wait.js'
import { FAST, NS, count, fixture, rejection, until, type Fixture } from './helpers.js'

type ConfigMap = KubernetesObject & { data?: Record<string, string> }

const REF = { kind: 'ConfigMap', name: 'gate' }

/** done at state=open, failed at state=broken, pending otherwise (saying the state). */
function judge(object: ConfigMap | undefined): ObjectVerdict {
  const state = object?.data?.state
  if (state === 'open') return { state: 'done' }
  if (state === 'broken') return { state: 'failed', message: 'the gate broke' }
  return { state: 'pending', message: `the gate is ${state ?? 'missing'}` }
}

describe('waitForObject against the test cluster', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture()
  })
  afterEach(async () => {
    await f.stop()
  })

  const put = (state: string) =>
    f.tc.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'gate', namespace: NS },
      data: { state }
    } as KubernetesObject)
  const wait = (timeoutMs = 10_000) =>
    waitForObject<ConfigMap>(f.cluster, REF, 'the gate to open', judge, {
      timeoutMs,
      logger: f.logger,
      ...FAST
    })

  it('resolves once the object is judged done, watching it (one LIST, one WATCH)', async () => {
    put('closed')
    f.tc.resetRequests()
    const waiting = wait()
    await until(() => count(f.tc.requests, 'watch') === 1, 'the watch')
    put('open')
    await waiting
    expect([count(f.tc.requests, 'list'), count(f.tc.requests, 'get')]).toEqual([1, 0])
    expect(f.logger.lines).toContain('the gate is closed')
  })

  it('rejects at once with the message of a failed verdict', async () => {
    put('broken')
    const err = (await rejection(wait(60_000))) as WaitError
    expect([err.kind, err.message]).toEqual(['failed', 'the gate broke'])
  })

  it('times out with the last pending message', async () => {
    put('closed')
    const err = (await rejection(wait(300))) as WaitError
    expect(err.kind).toBe('timeout')
    expect(err.message).toBe(
      'timed out after 300 ms waiting for the gate to open; last seen: the gate is closed'
    )
  })

  it('stops when the caller aborts', async () => {
    put('closed')
    const controller = new AbortController()
    const waiting = waitForObject<ConfigMap>(f.cluster, REF, 'the gate to open', judge, {
      timeoutMs: 60_000,
      logger: f.logger,
      signal: controller.signal,
      ...FAST
    })
    controller.abort(new Error('cancelled'))
    const err = (await rejection(waiting)) as WaitError
    expect(err.kind).toBe('aborted')
    expect(await f.tc.openWatches()).toBe(0)
  })
})
