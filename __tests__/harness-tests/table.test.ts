import { startTestCluster, type TestCluster } from '../harness/cluster.js'

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'

interface Table {
  kind: string
  columnDefinitions: { name: string; type: string; priority: number }[]
  rows: { cells: unknown[]; object?: { kind: string } }[]
}

describe('test cluster: server-side printing (Table)', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false, gatewayApi: { controller: false } })
  })
  afterEach(() => cluster.stop())

  const table = async (path: string, accept = TABLE): Promise<Table> => {
    const res = await fetch(cluster.url + path, {
      headers: { authorization: 'Bearer test-token', accept }
    })
    return (await res.json()) as Table
  }

  it("answers a ConfigMap list as a Table with kubectl's columns and metadata rows", async () => {
    cluster.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
      data: { a: '1', b: '2' }
    } as never)
    const t = await table('/api/v1/namespaces/default/configmaps')
    expect(t.kind).toBe('Table')
    expect(t.columnDefinitions.map(c => c.name)).toEqual(['Name', 'Data', 'Age'])
    expect(t.rows[0].cells.slice(0, 2)).toEqual(['c', 2])
    expect(t.rows[0].object?.kind).toBe('PartialObjectMetadata')
  })

  it("uses a CRD's additionalPrinterColumns", async () => {
    cluster.put({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'default' },
      spec: { hostnames: ['a.example.com', 'b.example.com'] }
    } as never)
    const t = await table('/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes')
    expect(t.columnDefinitions.map(c => c.name)).toEqual(['Name', 'Hostnames', 'Age'])
    expect(t.rows[0].cells.slice(0, 2)).toEqual(['r', 'a.example.com,b.example.com'])
  })

  it('answers plain JSON when the client does not ask for a Table', async () => {
    const t = await table('/api/v1/namespaces', 'application/json')
    expect(t.kind).toBe('NamespaceList')
  })
})
