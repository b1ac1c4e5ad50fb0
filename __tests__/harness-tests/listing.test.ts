import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'

const CMS = '/api/v1/namespaces/default/configmaps'

interface List {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }
  items: { metadata: { name: string } }[]
  message?: string
  code?: number
}

describe('test cluster: list resourceVersion semantics and paging', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
  })
  afterEach(() => cluster.stop())

  const list = async (q: string) => (await rawRequest(cluster, 'GET', `${CMS}?${q}`)).body as List
  const create = (name: string) => rawRequest(cluster, 'POST', CMS, { metadata: { name } })
  const names = (l: List) => l.items.map(i => i.metadata.name)

  it('answers an exact list at an older revision with the state at that revision', async () => {
    await create('a')
    const at = (await list('')).metadata.resourceVersion
    await create('b')
    await rawRequest(cluster, 'DELETE', `${CMS}/a`)
    const then = await list(`resourceVersion=${at}&resourceVersionMatch=Exact`)
    expect(names(then)).toEqual(['a'])
    expect(then.metadata.resourceVersion).toBe(at)
    expect(names(await list(''))).toEqual(['b'])
  })

  it('answers 504 to a resourceVersion ahead of the store', async () => {
    const now = Number((await list('')).metadata.resourceVersion)
    const ahead = await rawRequest(cluster, 'GET', `${CMS}?resourceVersion=${now + 100}`)
    expect(ahead.status).toBe(504)
    expect(ahead.body).toMatchObject({
      reason: 'Timeout',
      message: `Timeout: Too large resource version: ${now + 100}, current: ${now}`
    })
  })

  it('pages over the first page snapshot: later writes do not show up', async () => {
    for (const n of ['a', 'b', 'c']) await create(n)
    const first = await list('limit=2')
    expect(names(first)).toEqual(['a', 'b'])
    expect(first.metadata.remainingItemCount).toBe(1)
    await create('d')
    const rest = await list(`limit=2&continue=${first.metadata.continue ?? ''}`)
    expect(names(rest)).toEqual(['c'])
    expect(rest.metadata.resourceVersion).toBe(first.metadata.resourceVersion)
  })

  it('pages a resourceVersion=0 list from the cache too: limit honoured, continue set', async () => {
    for (const n of ['a', 'b', 'c']) await create(n)
    const first = await list('resourceVersion=0&limit=2')
    expect(names(first)).toEqual(['a', 'b'])
    expect(first.metadata.continue).toBeDefined()
    expect(first.metadata.remainingItemCount).toBe(1)
  })

  it('refuses resourceVersionMatch without a resourceVersion', async () => {
    const a = await rawRequest(cluster, 'GET', `${CMS}?resourceVersionMatch=Exact`)
    expect(a.status).toBe(422)
    expect(a.body).toMatchObject({
      message:
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'
    })
  })
})
