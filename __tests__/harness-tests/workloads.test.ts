import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Job
} from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { deployment, job, service } from '../harness/objects.js'

/** Polls until `fn` returns a value (not wall-clock assertions: the test fails on its own timeout). */
async function until<T>(fn: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    await new Promise(r => setTimeout(r, 5))
  }
}

function condition(
  obj:
    { status?: { conditions?: { type: string; status: string; reason?: string }[] } } | undefined,
  type: string
) {
  return obj?.status?.conditions?.find(c => c.type === type)
}

describe('test cluster: workload controllers', () => {
  let cluster: TestCluster
  let apps: AppsV1Api
  let batch: BatchV1Api
  let core: CoreV1Api

  beforeEach(async () => {
    cluster = await startTestCluster({ podStartMs: 5 })
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    apps = kc.makeApiClient(AppsV1Api)
    batch = kc.makeApiClient(BatchV1Api)
    core = kc.makeApiClient(CoreV1Api)
  })
  afterEach(() => cluster.stop())

  it('rolls a new Deployment out to Available with NewReplicaSetAvailable', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 3 })
    })
    const d = await until(async () => {
      const x = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })
      return condition(x, 'Progressing')?.reason === 'NewReplicaSetAvailable' ? x : undefined
    })
    expect(d.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3
    })
    expect(d.status?.unavailableReplicas).toBeUndefined()
    expect(condition(d, 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable'
    })
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1')
  })

  it('creates a ReplicaSet with pod-template-hash and revision, owning Ready pods', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 2 })
    })
    await cluster.settle()
    const rs = (await apps.listNamespacedReplicaSet({ namespace: 'default' })).items
    expect(rs).toHaveLength(1)
    const hash = rs[0].metadata?.labels?.['pod-template-hash']
    expect(rs[0].metadata?.name).toBe(`web-${hash}`)
    expect(rs[0].metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1')
    const pods = (
      await core.listNamespacedPod({
        namespace: 'default',
        labelSelector: `pod-template-hash=${hash}`
      })
    ).items
    expect(pods).toHaveLength(2)
    expect(
      pods.every(
        p =>
          p.status?.phase === 'Running' &&
          p.status.conditions?.some(c => c.type === 'Ready' && c.status === 'True')
      )
    ).toBe(true)
    expect(pods[0].metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'ReplicaSet',
      name: rs[0].metadata?.name,
      controller: true
    })
  })

  it('creates the ReplicaSet spec as the controller’s Go client sends it (no minReadySeconds of 0)', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 2 })
    })
    await cluster.settle()
    const [rs] = (await apps.listNamespacedReplicaSet({ namespace: 'default' })).items
    expect(Object.keys(rs.spec ?? {}).sort()).toEqual(['replicas', 'selector', 'template'])
  })

  it('rolls a template change to a second ReplicaSet and scales the first to 0, keeping it', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 2 })
    })
    await cluster.settle()
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } } }
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
    )
    await cluster.settle()
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })
    expect(condition(d, 'Progressing')?.reason).toBe('NewReplicaSetAvailable')
    expect(d.status).toMatchObject({
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2
    })
    const rs = (await apps.listNamespacedReplicaSet({ namespace: 'default' })).items
    const byRevision = Object.fromEntries(
      rs.map(r => [
        r.metadata?.annotations?.['deployment.kubernetes.io/revision'],
        r.spec?.replicas
      ])
    )
    expect(byRevision).toEqual({ '1': 0, '2': 2 })
    const pods = (await core.listNamespacedPod({ namespace: 'default' })).items
    expect(pods.map(p => p.spec?.containers[0].image)).toEqual(['web:2', 'web:2'])
  })

  it('rolls back by restoring the old template: the old ReplicaSet becomes the newest revision', async () => {
    const body = deployment('web', { replicas: 1, image: 'web:1' })
    await apps.createNamespacedDeployment({ namespace: 'default', body })
    await cluster.settle()
    const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
    const image = (i: string) => ({
      spec: { template: { spec: { containers: [{ name: 'app', image: i }] } } }
    })
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: image('web:2') },
      smp
    )
    await cluster.settle()
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: image('web:1') },
      smp
    )
    await cluster.settle()
    const rs = (await apps.listNamespacedReplicaSet({ namespace: 'default' })).items
    expect(rs).toHaveLength(2)
    const active = rs.find(r => r.spec?.replicas === 1)
    expect(active?.spec?.template?.spec?.containers[0].image).toBe('web:1')
    expect(active?.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3')
  })

  it('never has fewer available pods than replicas - maxUnavailable during a rolling update', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', {
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
      })
    })
    await cluster.settle()
    const samples: number[] = []
    const unsubscribe = setInterval(() => {
      const d = cluster.get<V1Deployment>('Deployment', 'default', 'web')
      samples.push(d?.status?.availableReplicas ?? 0)
    }, 1)
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } } }
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
    )
    await cluster.settle()
    clearInterval(unsubscribe)
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(4)
    const pods = cluster.list<{ spec: { containers: { image: string }[] } }>('Pod', 'default')
    expect(pods.map(p => p.spec.containers[0].image)).toEqual(['web:2', 'web:2', 'web:2', 'web:2'])
  })

  it('marks Progressing False ProgressDeadlineExceeded when pods never become ready', async () => {
    cluster.kubelet.behave({ image: /broken/ }, { kind: 'crashloop' })
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { image: 'broken:1', progressDeadlineSeconds: 1 })
    })
    const d = await until(async () => {
      const x = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })
      return condition(x, 'Progressing')?.status === 'False' ? x : undefined
    })
    expect(condition(d, 'Progressing')).toMatchObject({
      reason: 'ProgressDeadlineExceeded',
      message: expect.stringMatching(/^ReplicaSet "web-\w+" has timed out progressing\.$/)
    })
    expect(condition(d, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable'
    })
  })

  it('deletes a Deployment with its ReplicaSets and pods (background propagation)', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    await cluster.settle()
    await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'default' })
    await cluster.settle()
    expect(cluster.list('ReplicaSet', 'default')).toHaveLength(0)
    expect(cluster.list('Pod', 'default')).toHaveLength(0)
  })

  it('orphans ReplicaSets when asked to', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') })
    await cluster.settle()
    await apps.deleteNamespacedDeployment({
      name: 'web',
      namespace: 'default',
      propagationPolicy: 'Orphan'
    })
    await cluster.settle()
    const rs = cluster.list<{ metadata: { ownerReferences?: unknown[] } }>('ReplicaSet', 'default')
    expect(rs).toHaveLength(1)
    expect(rs[0].metadata.ownerReferences).toBeUndefined()
  })

  it('completes a Job whose pod succeeds', async () => {
    cluster.kubelet.behave({ pod: /^migrate-/ }, { kind: 'succeed', logs: ['migrated 3 tables'] })
    await batch.createNamespacedJob({ namespace: 'default', body: job('migrate') })
    const j = await until(async () => {
      const x = await batch.readNamespacedJob({ name: 'migrate', namespace: 'default' })
      return condition(x, 'Complete')?.status === 'True' ? x : undefined
    })
    expect(j.status).toMatchObject({ succeeded: 1 })
    expect(j.status?.startTime).toBeInstanceOf(Date)
    expect(j.status?.completionTime).toBeInstanceOf(Date)
    const pods = (
      await core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=migrate' })
    ).items
    expect(pods).toHaveLength(1)
    expect(pods[0].metadata?.labels?.['batch.kubernetes.io/job-name']).toBe('migrate')
    expect(pods[0].metadata?.labels?.['controller-uid']).toBe(j.metadata?.uid)
  })

  it('fails a Job with BackoffLimitExceeded after backoffLimit + 1 failed pods', async () => {
    cluster.kubelet.behave({ pod: /^migrate-/ }, { kind: 'fail', exitCode: 3 })
    await batch.createNamespacedJob({
      namespace: 'default',
      body: job('migrate', { backoffLimit: 2 })
    })
    const j = await until(async () => {
      const x: V1Job = await batch.readNamespacedJob({ name: 'migrate', namespace: 'default' })
      return condition(x, 'Failed')?.status === 'True' ? x : undefined
    })
    expect(condition(j, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' })
    expect(j.status?.failed).toBe(3)
    expect(j.status?.succeeded).toBeUndefined()
  })

  it('fails a Job with DeadlineExceeded after activeDeadlineSeconds', async () => {
    cluster.kubelet.behave({ pod: /^slow-/ }, { kind: 'hold' })
    await batch.createNamespacedJob({
      namespace: 'default',
      body: job('slow', { activeDeadlineSeconds: 1 })
    })
    const j = await until(async () => {
      const x = await batch.readNamespacedJob({ name: 'slow', namespace: 'default' })
      return condition(x, 'Failed')?.status === 'True' ? x : undefined
    })
    expect(condition(j, 'Failed')).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline'
    })
  })

  it('rejects a change to a Job template as immutable', async () => {
    await batch.createNamespacedJob({ namespace: 'default', body: job('migrate') })
    const err = await batch
      .patchNamespacedJob(
        {
          name: 'migrate',
          namespace: 'default',
          body: {
            spec: { template: { spec: { containers: [{ name: 'migrate', image: 'other:2' }] } } }
          }
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
      )
      .catch((e: { code: number; body: string }) => e)
    expect(err).toMatchObject({ code: 422 })
    expect(JSON.parse((err as { body: string }).body).message).toContain(
      'spec.template: Invalid value'
    )
    expect(JSON.parse((err as { body: string }).body).message).toContain('field is immutable')
  })

  it('keeps Endpoints of a Service to its Ready pods', async () => {
    await core.createNamespacedService({ namespace: 'default', body: service('web') })
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 2 })
    })
    await cluster.settle()
    const ep = await core.readNamespacedEndpoints({ name: 'web', namespace: 'default' })
    expect(ep.subsets?.[0].addresses).toHaveLength(2)
    expect(ep.subsets?.[0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }])
  })
})
