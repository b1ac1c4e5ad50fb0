import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment
} from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { deployment } from '../harness/objects.js'
import { rawRequest } from '../harness/raw.js'

/** The Status body client-node's ApiException carries. */
function statusOf(e: unknown): {
  code: number
  reason: string
  message: string
  details?: Record<string, unknown>
} {
  const body = (e as { body?: unknown }).body
  return typeof body === 'string' ? JSON.parse(body) : (body as never)
}

async function failure(p: Promise<unknown>): Promise<ReturnType<typeof statusOf>> {
  try {
    await p
  } catch (e) {
    return statusOf(e)
  }
  throw new Error('expected the request to fail')
}

describe('test cluster: CRUD through client-node', () => {
  let cluster: TestCluster
  let kc: KubeConfig
  let apps: AppsV1Api
  let core: CoreV1Api

  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
    kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    apps = kc.makeApiClient(AppsV1Api)
    core = kc.makeApiClient(CoreV1Api)
  })
  afterEach(() => cluster.stop())

  it('creates and reads back a Deployment with identity fields set by the server', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web')
    })
    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })
    expect(read.metadata?.uid).toBe(created.metadata?.uid)
    expect(read.metadata?.resourceVersion).toMatch(/^\d+$/)
    expect(read.metadata?.generation).toBe(1)
    expect(read.metadata?.creationTimestamp).toBeInstanceOf(Date)
  })

  it('fills defaults as the API server does', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web')
    })
    expect(created.spec?.strategy?.type).toBe('RollingUpdate')
    expect(created.spec?.revisionHistoryLimit).toBe(10)
    expect(created.spec?.progressDeadlineSeconds).toBe(600)
    expect(created.spec?.template.spec?.containers[0].ports?.[0].protocol).toBe('TCP')
  })

  it('answers 404 NotFound with a Status naming the resource', async () => {
    const s = await failure(apps.readNamespacedDeployment({ name: 'nope', namespace: 'default' }))
    expect(s).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'deployments.apps "nope" not found',
      details: { name: 'nope', group: 'apps', kind: 'deployments' }
    })
  })

  it('answers 409 AlreadyExists for a second create', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    const s = await failure(
      apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    )
    expect(s).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'deployments.apps "web" already exists'
    })
  })

  it('answers 422 Invalid with a cause for a name that is not DNS-1123', async () => {
    const body = deployment('Bad_Name')
    const s = await failure(apps.createNamespacedDeployment({ namespace: 'default', body }))
    expect(s.code).toBe(422)
    expect(s.reason).toBe('Invalid')
    expect(s.message).toContain(
      'Deployment.apps "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'
    )
    expect(s.details).toMatchObject({
      name: 'Bad_Name',
      group: 'apps',
      kind: 'Deployment',
      causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }]
    })
  })

  it('answers 422 Invalid when a pod template has no containers', async () => {
    const body = deployment('web')
    body.spec!.template.spec!.containers = []
    const s = await failure(apps.createNamespacedDeployment({ namespace: 'default', body }))
    expect(s).toMatchObject({
      code: 422,
      details: {
        causes: [{ reason: 'FieldValueRequired', field: 'spec.template.spec.containers' }]
      }
    })
  })

  it('answers 409 Conflict to a PUT carrying a stale resourceVersion', async () => {
    const first = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web')
    })
    await apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      body: { ...first, spec: { ...first.spec!, replicas: 5 } }
    })
    const s = await failure(
      apps.replaceNamespacedDeployment({
        name: 'web',
        namespace: 'default',
        body: { ...first, spec: { ...first.spec!, replicas: 7 } }
      })
    )
    expect(s).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again'
    })
  })

  it('bumps generation on a spec change and not on a label change', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
    const labelled = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { metadata: { labels: { x: 'y' } } } },
      merge
    )
    expect(labelled.metadata?.generation).toBe(1)
    const scaled = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { spec: { replicas: 4 } } },
      merge
    )
    expect(scaled.metadata?.generation).toBe(2)
  })

  it('ignores status on the main resource and spec on /status', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
    const main = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { status: { replicas: 9 } } },
      merge
    )
    expect(main.status?.replicas).toBeUndefined()
    const status = await apps.patchNamespacedDeploymentStatus(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { replicas: 9 }, status: { replicas: 3 } }
      },
      merge
    )
    expect(status.status?.replicas).toBe(3)
    expect(status.spec?.replicas).toBe(2)
  })

  it('strategic-merge-patches containers by name and env by name', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: {
          spec: {
            template: {
              spec: {
                containers: [{ name: 'app', image: 'web:2', env: [{ name: 'NEW', value: '1' }] }]
              }
            }
          }
        }
      },
      smp
    )
    const c = patched.spec!.template.spec!.containers
    expect(c).toHaveLength(1)
    expect(c[0].image).toBe('web:2')
    // Items the patch names come first, as strategic merge orders them (recording 53).
    expect(c[0].env?.map(e => e.name)).toEqual(['NEW', 'LOG_LEVEL'])
    expect(c[0].readinessProbe?.httpGet?.path).toBe('/healthz')
  })

  it('applies a JSON patch', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: [{ op: 'replace', path: '/spec/replicas', value: 6 }]
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)
    )
    expect(patched.spec?.replicas).toBe(6)
  })

  it('stores nothing, emits nothing and keeps resourceVersion on dryRun=All', async () => {
    const before = await core.listNamespacedPod({ namespace: 'default' })
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web'),
      dryRun: 'All'
    })
    expect(cluster.get('Deployment', 'default', 'web')).toBeUndefined()
    const after = await core.listNamespacedPod({ namespace: 'default' })
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion)
    expect(cluster.writes()).toHaveLength(0)
    expect(cluster.requests.some(r => r.verb === 'create' && r.dryRun)).toBe(true)
  })

  it('validates on dryRun: an invalid object still answers 422', async () => {
    const s = await failure(
      apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('Bad_Name'),
        dryRun: 'All'
      })
    )
    expect(s.code).toBe(422)
  })

  it('deletes with a Success Status and then answers 404', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    const st = await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'default' })
    expect(st).toMatchObject({ kind: 'Status', status: 'Success' })
    const s = await failure(apps.readNamespacedDeployment({ name: 'web', namespace: 'default' }))
    expect(s.code).toBe(404)
  })

  it('lists with label selectors: =, !=, in, notin, exists, !exists', async () => {
    const mk = (name: string, labels: Record<string, string>) =>
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name, labels }, data: {} }
      })
    await mk('a', { tier: 'web', env: 'prod' })
    await mk('b', { tier: 'db', env: 'prod' })
    await mk('c', { tier: 'web' })
    const names = async (labelSelector: string) =>
      (await core.listNamespacedConfigMap({ namespace: 'default', labelSelector })).items.map(
        i => i.metadata?.name
      )
    expect(await names('tier=web')).toEqual(['a', 'c'])
    expect(await names('tier!=web')).toEqual(['b'])
    expect(await names('tier in (db, cache)')).toEqual(['b'])
    expect(await names('tier notin (db)')).toEqual(['a', 'c'])
    expect(await names('env')).toEqual(['a', 'b'])
    expect(await names('!env')).toEqual(['c'])
    expect(await names('tier=web,env=prod')).toEqual(['a'])
  })

  it('lists with field selectors on metadata.name and status.phase', async () => {
    cluster.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'default' },
      spec: { nodeName: 'n', containers: [{ name: 'a', image: 'x' }] },
      status: { phase: 'Running' }
    } as never)
    cluster.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p2', namespace: 'default' },
      spec: { nodeName: 'n', containers: [{ name: 'a', image: 'x' }] },
      status: { phase: 'Failed' }
    } as never)
    const byName = await core.listNamespacedPod({
      namespace: 'default',
      fieldSelector: 'metadata.name=p2'
    })
    expect(byName.items.map(p => p.metadata?.name)).toEqual(['p2'])
    const running = await core.listNamespacedPod({
      namespace: 'default',
      fieldSelector: 'status.phase=Running'
    })
    expect(running.items.map(p => p.metadata?.name)).toEqual(['p1'])
  })

  it('answers 401 to a wrong token', async () => {
    const bad = new KubeConfig()
    bad.loadFromString(cluster.kubeconfig.replace('token: test-token', 'token: wrong'))
    await expect(
      bad.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' })
    ).rejects.toMatchObject({ code: 401 })
    const raw = await fetch(`${cluster.url}/api/v1/namespaces/default/pods`, {
      headers: { Authorization: 'Bearer wrong' }
    })
    expect(raw.status).toBe(401)
    expect(await raw.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401
    })
  })

  it('puts pods, services, deployments, replicasets and jobs in the `all` category (kubectl get all)', async () => {
    const all: string[] = []
    for (const gv of ['/api/v1', '/apis/apps/v1', '/apis/batch/v1']) {
      const list = (await rawRequest(cluster, 'GET', gv)).body as {
        resources: { name: string; categories?: string[] }[]
      }
      all.push(...list.resources.filter(r => r.categories?.includes('all')).map(r => r.name))
    }
    expect(all.sort()).toEqual(['deployments', 'jobs', 'pods', 'replicasets', 'services'])
  })

  it('serves discovery, so KubernetesObjectApi can create and read generic objects', async () => {
    const client = KubernetesObjectApi.makeApiClient(kc)
    await client.create(deployment('generic') as never)
    const read = (await client.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic', namespace: 'default' }
    })) as V1Deployment
    expect(read.spec?.replicas).toBe(2)
  })

  it('records every request with its verb, resource and field manager', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web'),
      fieldManager: 'me'
    })
    await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })
    expect(cluster.requests.map(r => [r.verb, r.resource, r.name])).toEqual([
      ['create', 'deployments', undefined],
      ['get', 'deployments', 'web']
    ])
    expect(cluster.requests[0]).toMatchObject({
      group: 'apps',
      version: 'v1',
      namespace: 'default',
      status: 201,
      fieldManager: 'me'
    })
  })
})
