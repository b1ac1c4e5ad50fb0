import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'
import { service } from '../harness/objects.js'

type Rec = Record<string, unknown>

interface Answer {
  body: Rec
}

interface Condition {
  type: string
  status: string
  reason: string
  message: string
  observedGeneration: number
}

interface Parent {
  parentRef: Rec
  controllerName: string
  conditions: Condition[]
}

const G = '/apis/gateway.networking.k8s.io/v1'
const ROUTES = `${G}/namespaces/shop/httproutes`
const MERGE = 'application/merge-patch+json'

describe('test cluster: the Gateway API controller', () => {
  let cluster: TestCluster
  const call = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const a = await rawRequest(cluster, method, path, body, contentType)
    return { ...a, warning: a.warnings?.join(', ') ?? null, body: a.body as Answer['body'] }
  }

  const parents = async (name: string): Promise<Parent[]> => {
    await cluster.settle()
    const r = await call('GET', `${ROUTES}/${name}`)
    return ((r.body.status as { parents?: Parent[] } | undefined)?.parents ?? []) as Parent[]
  }
  const conditions = (p: Parent) =>
    Object.fromEntries(p.conditions.map(c => [c.type, [c.status, c.reason, c.observedGeneration]]))
  const createRoute = (name: string, parent = 'gw', backend = 'web') =>
    call('POST', ROUTES, {
      metadata: { name },
      spec: {
        parentRefs: [{ name: parent }],
        rules: [{ backendRefs: [{ name: backend, port: 80 }] }]
      }
    })

  beforeEach(async () => {
    cluster = await startTestCluster({ gatewayApi: true, namespace: 'shop', controllers: false })
    await call('POST', `${G}/gatewayclasses`, {
      metadata: { name: 'eg' },
      spec: { controllerName: cluster.gateway?.controllerName }
    })
    await call('POST', `${G}/namespaces/shop/gateways`, {
      metadata: { name: 'gw' },
      spec: { gatewayClassName: 'eg', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] }
    })
    cluster.put(service('web', { namespace: 'shop' }))
  })
  afterEach(() => cluster.stop())

  it('accepts a route to an existing Gateway and resolves its Service, for its generation', async () => {
    await createRoute('web')
    const [p] = await parents('web')
    expect(p.controllerName).toBe('gateway.envoyproxy.io/gatewayclass-controller')
    expect(p.parentRef).toEqual({ name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' })
    expect(conditions(p)).toEqual({
      Accepted: ['True', 'Accepted', 1],
      ResolvedRefs: ['True', 'ResolvedRefs', 1]
    })
    await call('PATCH', `${ROUTES}/web`, { spec: { hostnames: ['shop.example.com'] } }, MERGE)
    const [again] = await parents('web')
    expect(conditions(again).Accepted).toEqual(['True', 'Accepted', 2])
  })

  it('reports BackendNotFound for a backendRef whose Service is missing', async () => {
    await createRoute('web', 'gw', 'nosuch')
    const [p] = await parents('web')
    expect(p.conditions.find(c => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
      message: 'Failed to process route rule 0 backendRef 0: service shop/nosuch not found.'
    })
  })

  it('refuses the routes a test tells it to, until told to accept them', async () => {
    cluster.gateway?.refuse(
      { name: 'web' },
      'NotAllowedByListeners',
      'no listener allows this route'
    )
    await createRoute('web')
    const [p] = await parents('web')
    expect(p.conditions.find(c => c.type === 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
      message: 'no listener allows this route'
    })
    cluster.gateway?.accept({ name: 'web' })
    const [accepted] = await parents('web')
    expect(conditions(accepted).Accepted).toEqual(['True', 'Accepted', 1])
  })

  it('holds the status of the routes a test tells it to, at their older generation, until released', async () => {
    await createRoute('web')
    await parents('web')
    cluster.gateway?.hold({ name: 'web' })
    await call('PATCH', `${ROUTES}/web`, { spec: { hostnames: ['shop.example.com'] } }, MERGE)
    const [held] = await parents('web')
    expect(conditions(held).Accepted).toEqual(['True', 'Accepted', 1])
    cluster.gateway?.release({ name: 'web' })
    const [released] = await parents('web')
    expect(conditions(released)).toEqual({
      Accepted: ['True', 'Accepted', 2],
      ResolvedRefs: ['True', 'ResolvedRefs', 2]
    })
  })

  it('writes nothing for a parent Gateway that does not exist', async () => {
    await createRoute('web', 'nosuch-gw')
    expect(await parents('web')).toEqual([])
  })

  it('marks its GatewayClass and Gateway accepted', async () => {
    await cluster.settle()
    const gw = await call('GET', `${G}/namespaces/shop/gateways/gw`)
    const types = ((gw.body.status as { conditions: Condition[] }).conditions ?? []).map(c => [
      c.type,
      c.status
    ])
    expect(types).toEqual([
      ['Accepted', 'True'],
      ['Programmed', 'True']
    ])
  })
})
