import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'

describe('test cluster: fault hooks', () => {
  let cluster: TestCluster
  let kc: KubeConfig
  let core: CoreV1Api

  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
    kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    core = kc.makeApiClient(CoreV1Api)
  })
  afterEach(() => cluster.stop())

  const path = '/api/v1/namespaces/default/configmaps'
  const cm = (name: string) =>
    core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name } } })

  /** Opens a watch; resolves `ended` with the error (or null) when the stream ends. */
  async function openWatch(query: Record<string, string> = {}) {
    type Obj = { code?: number; reason?: string; metadata?: { name?: string } }
    const events: { type: string; obj: Obj }[] = []
    let endedWith: (e: unknown) => void = () => {}
    const ended = new Promise<unknown>(r => (endedWith = r))
    const ctrl = await new Watch(kc).watch(
      path,
      query,
      (type: string, obj: Obj) => {
        events.push({ type, obj })
      },
      err => endedWith(err)
    )
    return { events, ended, ctrl }
  }

  it('endWatches closes open streams cleanly', async () => {
    const w = await openWatch()
    cluster.faults.endWatches()
    expect(await w.ended).toBeNull()
  })

  it('stallWatches holds events back, then delivers them', async () => {
    const w = await openWatch()
    cluster.faults.stallWatches(150)
    await cm('a')
    expect(w.events).toHaveLength(0)
    for (let i = 0; w.events.length === 0; i++) await new Promise(r => setTimeout(r, 10))
    expect(w.events.map(e => `${e.type} ${e.obj.metadata?.name}`)).toEqual(['ADDED a'])
    w.ctrl.abort()
  })

  it('goneNext answers the next watch with HTTP 410', async () => {
    cluster.faults.goneNext(1)
    const w = await openWatch({ resourceVersion: '1' })
    expect(await w.ended).toMatchObject({ statusCode: 410 })
    const again = await openWatch()
    again.ctrl.abort()
    expect(cluster.requests.filter(r => r.verb === 'watch').map(r => r.status)).toEqual([410, 200])
  })

  it('goneNext inStream answers 200 with an ERROR event carrying a 410 Expired Status', async () => {
    cluster.faults.goneNext(1, { inStream: true })
    const w = await openWatch({ resourceVersion: '1' })
    await w.ended
    expect(w.events).toEqual([
      {
        type: 'ERROR',
        obj: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' })
      }
    ])
  })

  it('tooManyNext answers 429 with Retry-After, then serves normally', async () => {
    cluster.faults.tooManyNext(1, 7)
    const raw = await fetch(`${cluster.url}/api/v1/namespaces/default/configmaps`, {
      headers: { Authorization: 'Bearer test-token' }
    })
    expect(raw.status).toBe(429)
    expect(raw.headers.get('retry-after')).toBe('7')
    expect(await raw.json()).toMatchObject({
      reason: 'TooManyRequests',
      code: 429,
      details: { retryAfterSeconds: 7 }
    })
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).resolves.toBeDefined()
  })

  it('errorNext answers 500 or 503 Status', async () => {
    cluster.faults.errorNext(1, 503)
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).rejects.toMatchObject({
      code: 503
    })
    cluster.faults.errorNext(1, 500)
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).rejects.toMatchObject({
      code: 500
    })
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).resolves.toBeDefined()
  })

  it('latency delays responses', async () => {
    cluster.faults.latency(60)
    const started = process.hrtime.bigint()
    await core.listNamespacedConfigMap({ namespace: 'default' })
    const tookMs = Number(process.hrtime.bigint() - started) / 1e6
    cluster.faults.latency(0)
    // A lower bound the delay itself guarantees, not a performance assertion.
    expect(tookMs).toBeGreaterThanOrEqual(55)
  })

  it('refuseFor refuses connections, then serves again on the same port', async () => {
    cluster.faults.refuseFor(100)
    await expect(fetch(`${cluster.url}/version`)).rejects.toThrow()
    let ok = false
    while (!ok) {
      await new Promise(r => setTimeout(r, 20))
      ok = await fetch(`${cluster.url}/version`).then(
        r => r.ok,
        () => false
      )
    }
    expect(ok).toBe(true)
  })

  it('clear removes pending faults', async () => {
    cluster.faults.errorNext(3, 500)
    cluster.faults.clear()
    await expect(core.listNamespacedConfigMap({ namespace: 'default' })).resolves.toBeDefined()
  })
})
