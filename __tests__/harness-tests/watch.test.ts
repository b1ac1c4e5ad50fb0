import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'

interface Seen {
  type: string
  name?: string
  rv?: string
  code?: number
  reason?: string
}

/** Collects a watch's events until `done` says enough, then aborts it. */
async function collect(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean>,
  act: () => Promise<void>,
  done: (seen: Seen[]) => boolean
): Promise<{ seen: Seen[]; ended: boolean }> {
  const seen: Seen[] = []
  let ended = false
  let resolveDone: () => void = () => {}
  const finished = new Promise<void>(r => (resolveDone = r))
  const check = () => {
    if (done(seen) || ended) resolveDone()
  }
  const ctrl = await new Watch(kc).watch(
    path,
    query,
    (
      type: string,
      obj: {
        metadata?: { name?: string; resourceVersion?: string }
        code?: number
        reason?: string
      }
    ) => {
      seen.push({
        type,
        name: obj.metadata?.name,
        rv: obj.metadata?.resourceVersion,
        code: obj.code,
        reason: obj.reason
      })
      check()
    },
    () => {
      ended = true
      check()
    }
  )
  await act()
  check()
  await finished
  ctrl.abort()
  return { seen, ended }
}

describe('test cluster: watch', () => {
  let cluster: TestCluster
  let kc: KubeConfig
  let core: CoreV1Api
  const cm = (name: string, labels: Record<string, string> = {}) =>
    core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name, labels }, data: { a: '1' } }
    })

  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false, bookmarkIntervalMs: 20 })
    kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    core = kc.makeApiClient(CoreV1Api)
  })
  afterEach(() => cluster.stop())

  const path = '/api/v1/namespaces/default/configmaps'

  it('sends ADDED for existing objects, then MODIFIED and DELETED as they happen', async () => {
    await cm('a')
    const { seen } = await collect(
      kc,
      path,
      {},
      async () => {
        await core.patchNamespacedConfigMap({
          name: 'a',
          namespace: 'default',
          body: [{ op: 'add', path: '/data/b', value: '2' }]
        })
        await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'default' })
      },
      s => s.some(e => e.type === 'DELETED')
    )
    expect(seen.map(e => `${e.type} ${e.name}`)).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a'])
  })

  it('answers a watch-list request with the current objects, then the initial-events-end bookmark', async () => {
    await cm('a')
    const { seen } = await collect(
      kc,
      path,
      { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true },
      async () => undefined,
      s => s.some(e => e.type === 'BOOKMARK')
    )
    expect(
      seen
        .filter(e => e.name !== 'kube-root-ca.crt')
        .slice(0, 2)
        .map(e => e.type)
    ).toEqual(['ADDED', 'BOOKMARK'])
  })

  it('resumes from a resourceVersion with only the later events', async () => {
    await cm('a')
    const list = await core.listNamespacedConfigMap({ namespace: 'default' })
    await cm('b')
    const { seen } = await collect(
      kc,
      path,
      { resourceVersion: list.metadata!.resourceVersion! },
      async () => {},
      s => s.length >= 1
    )
    expect(seen.map(e => `${e.type} ${e.name}`)).toEqual(['ADDED b'])
  })

  it('answers an in-stream ERROR 410 Expired to a resourceVersion older than the kept history', async () => {
    await cluster.stop()
    cluster = await startTestCluster({ controllers: false, watchHistory: 2 })
    kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    core = kc.makeApiClient(CoreV1Api)
    const first = await cm('a')
    await cm('b')
    await cm('c')
    await cm('d')
    const { seen } = await collect(
      kc,
      path,
      { resourceVersion: first.metadata!.resourceVersion! },
      async () => {},
      s => s.length >= 1
    )
    expect(seen[0]).toMatchObject({ type: 'ERROR', code: 410, reason: 'Expired' })
  })

  it('sends BOOKMARK events when allowed, carrying the current resourceVersion', async () => {
    const { seen } = await collect(
      kc,
      path,
      { allowWatchBookmarks: true },
      async () => {},
      s => s.some(e => e.type === 'BOOKMARK')
    )
    const bookmark = seen.find(e => e.type === 'BOOKMARK')
    expect(Number(bookmark?.rv)).toBeGreaterThan(0)
  })

  it('filters by label selector: leaving the selection is a DELETED, entering an ADDED', async () => {
    await cm('a', { track: 'canary' })
    const { seen } = await collect(
      kc,
      path,
      { labelSelector: 'track=canary' },
      async () => {
        await cm('other', { track: 'stable' })
        await core.patchNamespacedConfigMap({
          name: 'a',
          namespace: 'default',
          body: [{ op: 'replace', path: '/metadata/labels/track', value: 'stable' }]
        })
        await core.patchNamespacedConfigMap({
          name: 'other',
          namespace: 'default',
          body: [{ op: 'replace', path: '/metadata/labels/track', value: 'canary' }]
        })
      },
      s => s.length >= 3
    )
    expect(seen.map(e => `${e.type} ${e.name}`)).toEqual(['ADDED a', 'DELETED a', 'ADDED other'])
  })

  it('ends the stream after timeoutSeconds', async () => {
    const { ended } = await collect(
      kc,
      path,
      { timeoutSeconds: 1 },
      async () => {},
      () => false
    )
    expect(ended).toBe(true)
  })

  it('counts watches in the request log', async () => {
    await collect(
      kc,
      path,
      {},
      async () => cm('a').then(() => undefined),
      s => s.length >= 1
    )
    expect(cluster.requests.find(r => r.verb === 'watch')).toMatchObject({
      resource: 'configmaps',
      namespace: 'default',
      status: 200
    })
  })
})
