/**
 * Server-side apply's merge (structured-merge-diff): associative lists merged item by item in the
 * applied order, fields an applier stops sending removed unless another manager owns them, and
 * defaults coming back for what was removed.
 */
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'
import type { KObject } from '../harness/types.js'

const path = '/apis/apps/v1/namespaces/default/deployments/web'

interface Container {
  name: string
  image: string
}

function web(containers: Container[], replicas?: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } }
    }
  }
}

const app = { name: 'app', image: 'app:1' }
const side = { name: 'side', image: 'side:1' }

describe('test cluster: server-side apply merges', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
  })
  afterEach(() => cluster.stop())

  async function apply(manager: string, body: unknown): Promise<KObject> {
    const a = await rawRequest(
      cluster,
      'PATCH',
      `${path}?fieldManager=${manager}`,
      body,
      'application/apply-patch+yaml'
    )
    expect([200, 201]).toContain(a.status)
    return a.body as KObject
  }

  const names = (o: KObject): string[] =>
    (o.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers.map(
      c => c.name
    )

  it('adds a second applier’s container after the first one’s, each owning its item', async () => {
    await apply('alice', web([app]))
    const out = await apply('bob', web([side]))
    expect(names(out)).toEqual(['app', 'side'])
    const bob = out.metadata.managedFields?.find(e => e.manager === 'bob')
    expect(JSON.stringify(bob?.fieldsV1)).toContain('k:{\\"name\\":\\"side\\"}')
    expect(JSON.stringify(bob?.fieldsV1)).not.toContain('k:{\\"name\\":\\"app\\"}')
  })

  it('orders the items a configuration names as it names them', async () => {
    await apply('alice', web([app, side]))
    const out = await apply('alice', web([side, app]))
    expect(names(out)).toEqual(['side', 'app'])
  })

  it('keeps a live item the configuration does not name in its place among the applied ones', async () => {
    await apply('alice', web([app, side]))
    const third = { name: 'third', image: 'third:1' }
    const out = await apply('bob', web([third, side]))
    expect(names(out)).toEqual(['app', 'third', 'side'])
  })

  it('removes the item an applier stops applying and keeps another manager’s', async () => {
    await apply('alice', web([app]))
    await apply('bob', web([side]))
    const out = await apply('bob', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' }
    })
    expect(names(out)).toEqual(['app'])
  })

  it('defaults a field again once its only applier stops sending it', async () => {
    await apply('alice', web([app], 3))
    const out = await apply('alice', web([app]))
    expect((out.spec as { replicas: number }).replicas).toBe(1)
  })

  it('keeps a field an Update manager took over when the applier stops sending it', async () => {
    await apply('alice', web([app], 2))
    await rawRequest(
      cluster,
      'PATCH',
      `${path}/scale?fieldManager=hpa`,
      { spec: { replicas: 4 } },
      'application/merge-patch+json'
    )
    const out = await apply('alice', web([app]))
    expect((out.spec as { replicas: number }).replicas).toBe(4)
  })
})
