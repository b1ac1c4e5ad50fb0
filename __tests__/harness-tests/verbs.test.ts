import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions
} from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { deployment, job, service } from '../harness/objects.js'

function bodyOf(e: unknown): { code: number; reason: string; message: string } {
  const b = (e as { body?: unknown }).body
  return typeof b === 'string' ? JSON.parse(b) : (b as never)
}

describe('test cluster: more verbs and subresources', () => {
  let cluster: TestCluster
  let apps: AppsV1Api
  let core: CoreV1Api
  let batch: BatchV1Api

  beforeEach(async () => {
    cluster = await startTestCluster({ podStartMs: 5 })
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    apps = kc.makeApiClient(AppsV1Api)
    core = kc.makeApiClient(CoreV1Api)
    batch = kc.makeApiClient(BatchV1Api)
  })
  afterEach(() => cluster.stop())

  it('reads and replaces the scale subresource', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 2 })
    })
    await cluster.settle()
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'default' })
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 2 }
    })
    await apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: 'default',
      body: { ...scale, spec: { replicas: 3 } }
    })
    await cluster.settle()
    expect(cluster.list('Pod', 'default')).toHaveLength(3)
  })

  it('dry-runs updates, patches and deletes without storing or bumping resourceVersion', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web')
    })
    await cluster.settle()
    const rv = cluster.get<{ metadata: { resourceVersion: string } }>(
      'Deployment',
      'default',
      'web'
    )?.metadata.resourceVersion
    await apps.replaceNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      dryRun: 'All',
      body: {
        ...created,
        metadata: { ...created.metadata, resourceVersion: undefined },
        spec: { ...created.spec!, replicas: 9 }
      }
    })
    const patched = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', dryRun: 'All', body: { spec: { replicas: 8 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
    )
    expect(patched.spec?.replicas).toBe(8)
    await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'default', dryRun: 'All' })
    const after = cluster.get<{
      metadata: { resourceVersion: string }
      spec: { replicas: number }
    }>('Deployment', 'default', 'web')
    expect(after?.spec.replicas).toBe(2)
    expect(after?.metadata.resourceVersion).toBe(rv)
    expect(cluster.writes().map(w => w.verb)).toEqual(['create'])
  })

  it('deletes a collection by label selector and returns the deleted items', async () => {
    for (const [name, app] of [
      ['a', 'x'],
      ['b', 'x'],
      ['c', 'y']
    ]) {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name, labels: { app } } }
      })
    }
    const out = await core.deleteCollectionNamespacedConfigMap({
      namespace: 'default',
      labelSelector: 'app=x'
    })
    expect(out).toMatchObject({ kind: 'ConfigMapList' })
    expect(
      (
        await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app' })
      ).items.map(i => i.metadata?.name)
    ).toEqual(['c'])
    expect(cluster.writes()[3]).toMatchObject({ verb: 'deletecollection', resource: 'configmaps' })
  })

  it('answers a deletecollection with the list as read before the deletions, at its revision', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'a', labels: { app: 'x' } } }
    })
    const before = await core.listNamespacedConfigMap({ namespace: 'default' })
    const out = await core.deleteCollectionNamespacedConfigMap({
      namespace: 'default',
      labelSelector: 'app=x'
    })
    expect((out as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(
      before.metadata?.resourceVersion
    )
  })

  it('deletes in the foreground: dependents first, the owner marked until then', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    await cluster.settle()
    const rsNames = cluster
      .list<{ metadata: { name: string } }>('ReplicaSet', 'default')
      .map(r => r.metadata.name)
    const order: string[] = []
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    const { Watch } = await import('@kubernetes/client-node')
    const ctrl = await new Watch(kc).watch(
      '/apis/apps/v1/namespaces/default/deployments',
      {
        resourceVersion: String(
          Number(
            cluster.get<{ metadata: { resourceVersion: string } }>('Deployment', 'default', 'web')
              ?.metadata.resourceVersion
          )
        )
      },
      (type: string, o: { metadata: { finalizers?: string[] } }) => {
        order.push(`${type} ${(o.metadata.finalizers ?? []).join(',')}`)
      },
      () => undefined
    )
    await apps.deleteNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      propagationPolicy: 'Foreground'
    })
    await cluster.settle()
    while (!order.some(o => o.startsWith('DELETED'))) await new Promise(r => setTimeout(r, 5))
    ctrl.abort()
    // The owner is first marked (finalizer foregroundDeletion), and goes only once its dependents are gone.
    expect(order).toEqual(['MODIFIED foregroundDeletion', 'DELETED foregroundDeletion'])
    // 202 only for orphanDependents=false (handlers/delete.go); propagationPolicy answers 200.
    expect(cluster.requests.find(r => r.verb === 'delete')?.status).toBe(200)
    expect(rsNames).toHaveLength(1)
    expect(cluster.get('Deployment', 'default', 'web')).toBeUndefined()
    expect(cluster.list('ReplicaSet', 'default')).toHaveLength(0)
    expect(cluster.list('Pod', 'default')).toHaveLength(0)
  })

  it('orphans a Job’s pods by default (batch/v1) and deletes them with Background', async () => {
    cluster.kubelet.behave({ pod: /^m/ }, { kind: 'hold' })
    await batch.createNamespacedJob({ namespace: 'default', body: job('m1') })
    await batch.createNamespacedJob({ namespace: 'default', body: job('m2') })
    await cluster.settle()
    await batch.deleteNamespacedJob({ name: 'm1', namespace: 'default' })
    await batch.deleteNamespacedJob({
      name: 'm2',
      namespace: 'default',
      propagationPolicy: 'Background'
    })
    await cluster.settle()
    expect(cluster.list('Pod', 'default', 'job-name=m1')).toHaveLength(1)
    expect(cluster.list('Pod', 'default', 'job-name=m2')).toHaveLength(0)
  })

  it('answers 404 for a create in a namespace that does not exist', async () => {
    const err = await core
      .createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'a' } } })
      .catch((e: unknown) => e)
    expect(bodyOf(err)).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' })
  })

  it('deletes a running pod gracefully: marked with deletionTimestamp, then removed', async () => {
    cluster.put(deployment('web', { replicas: 1 }) as never)
    await cluster.settle()
    const [pod] = cluster.list<{ metadata: { name: string } }>('Pod', 'default')
    const out = await core.deleteNamespacedPod({ name: pod.metadata.name, namespace: 'default' })
    expect(out.metadata?.deletionTimestamp).toBeInstanceOf(Date)
    expect(out.metadata?.deletionGracePeriodSeconds).toBe(30)
    await cluster.settle()
    expect(cluster.get('Pod', 'default', pod.metadata.name)).toBeUndefined()
    // The ReplicaSet replaced it.
    expect(cluster.list('Pod', 'default')).toHaveLength(1)
  })

  it('refuses a create that carries a resourceVersion, as storage does', async () => {
    const live = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'a' } }
    })
    const copy = { ...live, metadata: { ...live.metadata, name: 'b' } }
    const err = await core
      .createNamespacedConfigMap({ namespace: 'default', body: copy })
      .catch((e: unknown) => e)
    expect(bodyOf(err)).toMatchObject({
      code: 500,
      message: 'resourceVersion should not be set on objects to be created'
    })
  })

  it('pages a list with limit and continue', async () => {
    for (const name of ['a', 'b', 'c'])
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name } } })
    // kube-root-ca.crt, published into every namespace, sorts after them.
    const first = await core.listNamespacedConfigMap({ namespace: 'default', limit: 2 })
    expect(first.items.map(i => i.metadata?.name)).toEqual(['a', 'b'])
    const rest = await core.listNamespacedConfigMap({
      namespace: 'default',
      limit: 2,
      _continue: first.metadata?._continue
    })
    expect(rest.items.map(i => i.metadata?.name)).toEqual(['c', 'kube-root-ca.crt'])
    expect(rest.metadata?._continue).toBeUndefined()
  })

  it('skips a no-op update: same resourceVersion, no event', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'a' }, data: { k: 'v' } }
    })
    const again = await core.replaceNamespacedConfigMap({
      name: 'a',
      namespace: 'default',
      body: cm
    })
    expect(again.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion)
  })

  it('assigns a Service a cluster IP and defaults targetPort to port', async () => {
    const svc = await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }
    })
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\./)
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 80, targetPort: 80, protocol: 'TCP' })
    expect(svc.spec?.type).toBe('ClusterIP')
  })

  it('drops the fields a strategic merge patch’s $retainKeys leaves out (strategy to Recreate)', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    const out = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
    )
    expect(out.spec?.strategy).toEqual({ type: 'Recreate' })
  })

  it('strategic-merge-patches Service ports by port', async () => {
    await core.createNamespacedService({ namespace: 'default', body: service('web') })
    const out = await core.patchNamespacedService(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { ports: [{ port: 443, name: 'https' }] } }
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
    )
    // Items the patch names come first, as strategic merge orders them (recording 53).
    expect(out.spec?.ports?.map(p => p.port)).toEqual([443, 80])
  })

  it('refuses a Service name that is not a DNS-1035 label', async () => {
    const err = await core
      .createNamespacedService({ namespace: 'default', body: service('1web') })
      .catch((e: unknown) => e)
    expect(bodyOf(err).message).toContain(
      'a DNS-1035 label must consist of lower case alphanumeric characters'
    )
  })

  it('keeps a Lease (coordination.k8s.io/v1) with optimistic concurrency', async () => {
    const { CoordinationV1Api } = await import('@kubernetes/client-node')
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    const coord = kc.makeApiClient(CoordinationV1Api)
    const lease = await coord.createNamespacedLease({
      namespace: 'default',
      body: { metadata: { name: 'lock' }, spec: { holderIdentity: 'a' } }
    })
    await coord.replaceNamespacedLease({
      name: 'lock',
      namespace: 'default',
      body: { ...lease, spec: { holderIdentity: 'b' } }
    })
    const err = await coord
      .replaceNamespacedLease({
        name: 'lock',
        namespace: 'default',
        body: { ...lease, spec: { holderIdentity: 'c' } }
      })
      .catch((e: unknown) => e)
    expect(bodyOf(err).code).toBe(409)
  })
})
