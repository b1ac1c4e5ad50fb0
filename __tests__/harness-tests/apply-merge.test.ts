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

  describe('after a client-side apply (kubectl apply without --server-side)', () => {
    const cm = '/api/v1/namespaces/default/configmaps/csa'
    const LAST = 'kubectl.kubernetes.io/last-applied-configuration'
    const config = (a: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'csa', namespace: 'default' },
      data: { a }
    })

    beforeEach(async () => {
      const created = await rawRequest(
        cluster,
        'POST',
        '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-client-side-apply',
        {
          ...config('1'),
          metadata: {
            ...config('1').metadata,
            annotations: { [LAST]: `${JSON.stringify(config('1'))}\n` }
          }
        }
      )
      expect(created.status).toBe(201)
    })

    const applyAs = (manager: string, a: string) =>
      rawRequest(
        cluster,
        'PATCH',
        `${cm}?fieldManager=${manager}`,
        config(a),
        'application/apply-patch+yaml'
      )

    it('lets kubectl’s server-side apply take over the fields it last applied, without a conflict', async () => {
      const a = await applyAs('kubectl', '2')
      expect(a.status).toBe(200)
      expect((a.body as { data: Record<string, string> }).data).toEqual({ a: '2' })
    })

    it('rewrites the last-applied annotation to what kubectl’s server-side apply sent', async () => {
      const a = await applyAs('kubectl', '2')
      const annotations = (a.body as KObject).metadata.annotations ?? {}
      expect(JSON.parse(annotations[LAST])).toEqual(config('2'))
    })

    it('still refuses another field manager with a conflict', async () => {
      const a = await applyAs('other', '2')
      expect(a.status).toBe(409)
      expect((a.body as { message: string }).message).toBe(
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a'
      )
    })
  })
})
