import { CoreV1Api, KubeConfig, type CoreV1Event, type V1Pod } from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { deployment, job } from '../harness/objects.js'

async function until<T>(fn: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    await new Promise(r => setTimeout(r, 5))
  }
}

describe('test cluster: scripted kubelet', () => {
  let cluster: TestCluster
  let core: CoreV1Api

  beforeEach(async () => {
    cluster = await startTestCluster({ podStartMs: 5 })
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    core = kc.makeApiClient(CoreV1Api)
  })
  afterEach(() => cluster.stop())

  /** The one pod of a one-replica Deployment, once `ready` accepts it. */
  async function podOf(name: string, ready: (p: V1Pod) => boolean): Promise<V1Pod> {
    return until(async () => {
      const pods = (
        await core.listNamespacedPod({ namespace: 'default', labelSelector: `app=${name}` })
      ).items
      return pods.find(ready)
    })
  }

  async function eventsOf(pod: V1Pod): Promise<CoreV1Event[]> {
    return (
      await core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.name=${pod.metadata!.name!}`
      })
    ).items
  }

  const waitingReason = (p: V1Pod) => p.status?.containerStatuses?.[0].state?.waiting?.reason

  it('ready: Running and Ready with a pod IP', async () => {
    cluster.put(deployment('web', { replicas: 1 }) as never)
    const p = await podOf('web', x => x.status?.phase === 'Running')
    expect(p.status?.podIP).toMatch(/^10\.244\./)
    expect(p.status?.containerStatuses?.[0]).toMatchObject({
      ready: true,
      started: true,
      restartCount: 0
    })
    expect(p.status?.conditions?.find(c => c.type === 'Ready')?.status).toBe('True')
    expect(p.spec?.nodeName).toBe('test-node')
  })

  it('hold: stays Pending in ContainerCreating until released', async () => {
    cluster.kubelet.behave({ image: /slow/ }, { kind: 'hold' })
    cluster.put(deployment('web', { replicas: 1, image: 'slow:1' }) as never)
    await cluster.settle()
    const held = await podOf('web', () => true)
    expect(held.status?.phase).toBe('Pending')
    expect(waitingReason(held)).toBe('ContainerCreating')
    cluster.kubelet.release({ image: /slow/ })
    const p = await podOf('web', x => x.status?.phase === 'Running')
    expect(p.status?.containerStatuses?.[0].ready).toBe(true)
  })

  it('crashloop: CrashLoopBackOff with a growing restartCount and the last termination', async () => {
    cluster.kubelet.behave({ pod: /^web-/ }, { kind: 'crashloop', exitCode: 2, logs: ['boom'] })
    cluster.put(deployment('web', { replicas: 1 }) as never)
    const p = await podOf('web', x => (x.status?.containerStatuses?.[0].restartCount ?? 0) >= 2)
    expect(waitingReason(p)).toBe('CrashLoopBackOff')
    expect(p.status?.containerStatuses?.[0].lastState?.terminated).toMatchObject({
      exitCode: 2,
      reason: 'Error'
    })
    expect(p.status?.phase).toBe('Running')
    expect((await eventsOf(p)).some(e => e.reason === 'BackOff' && e.type === 'Warning')).toBe(true)
  })

  it('imagepull: ErrImagePull then ImagePullBackOff with the pull error', async () => {
    cluster.kubelet.behave({ image: 'nope:1' }, { kind: 'imagepull' })
    cluster.put(deployment('web', { replicas: 1, image: 'nope:1' }) as never)
    const first = await podOf('web', x => waitingReason(x) === 'ErrImagePull')
    expect(first.status?.containerStatuses?.[0].state?.waiting?.message).toContain(
      'failed to pull and unpack image "docker.io/library/nope:1"'
    )
    const p = await podOf('web', x => waitingReason(x) === 'ImagePullBackOff')
    expect(p.status?.containerStatuses?.[0].state?.waiting?.message).toContain(
      'Back-off pulling image "nope:1"'
    )
    expect((await eventsOf(p)).map(e => e.message)).toContain('Error: ErrImagePull')
  })

  it('unschedulable: PodScheduled False Unschedulable and a FailedScheduling event', async () => {
    cluster.kubelet.behave(
      { pod: /^web-/ },
      { kind: 'unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }
    )
    cluster.put(deployment('web', { replicas: 1 }) as never)
    const p = await podOf(
      'web',
      x => x.status?.conditions?.some(c => c.type === 'PodScheduled') === true
    )
    expect(p.status?.conditions?.find(c => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: '0/1 nodes are available: 1 Insufficient memory.'
    })
    expect(p.spec?.nodeName).toBeUndefined()
    const ev = await until(async () =>
      (await eventsOf(p)).find(e => e.reason === 'FailedScheduling')
    )
    expect(ev).toMatchObject({
      type: 'Warning',
      source: { component: 'default-scheduler' },
      involvedObject: { kind: 'Pod', uid: p.metadata?.uid }
    })
  })

  it('oomkilled: last termination OOMKilled (137), then CrashLoopBackOff', async () => {
    cluster.kubelet.behave({ pod: /^web-/ }, { kind: 'oomkilled' })
    cluster.put(deployment('web', { replicas: 1 }) as never)
    const p = await podOf('web', x => waitingReason(x) === 'CrashLoopBackOff')
    expect(p.status?.containerStatuses?.[0].lastState?.terminated).toMatchObject({
      reason: 'OOMKilled',
      exitCode: 137
    })
  })

  it('readiness-fail: Running but not Ready, with an Unhealthy event from the probe', async () => {
    cluster.kubelet.behave({ pod: /^web-/ }, { kind: 'readiness-fail' })
    cluster.put(deployment('web', { replicas: 1 }) as never)
    const p = await podOf('web', x => x.status?.phase === 'Running')
    expect(p.status?.containerStatuses?.[0].ready).toBe(false)
    expect(p.status?.conditions?.find(c => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady'
    })
    const ev = await until(async () => (await eventsOf(p)).find(e => e.reason === 'Unhealthy'))
    expect(ev.message).toBe('Readiness probe failed: HTTP probe failed with statuscode: 503')
    expect(ev.involvedObject.fieldPath).toBe('spec.containers{app}')
  })

  it('config-error: CreateContainerConfigError naming the missing secret', async () => {
    cluster.kubelet.behave({ pod: /^web-/ }, { kind: 'config-error' })
    cluster.put(deployment('web', { replicas: 1, secrets: ['db-creds'] }) as never)
    const p = await podOf('web', x => waitingReason(x) === 'CreateContainerConfigError')
    expect(p.status?.containerStatuses?.[0].state?.waiting?.message).toBe(
      'secret "db-creds" not found'
    )
  })

  it('succeed and fail: Job pods end Succeeded (exit 0) or Failed (exit code)', async () => {
    cluster.kubelet.behave({ pod: /^ok-/ }, { kind: 'succeed' })
    cluster.kubelet.behave({ pod: /^bad-/ }, { kind: 'fail', exitCode: 4 })
    cluster.put(job('ok') as never)
    cluster.put(job('bad') as never)
    await cluster.settle()
    const [ok] = cluster.list<V1Pod>('Pod', 'default', 'job-name=ok')
    const [bad] = cluster.list<V1Pod>('Pod', 'default', 'job-name=bad')
    expect(ok.status?.phase).toBe('Succeeded')
    expect(ok.status?.containerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed'
    })
    expect(bad.status?.phase).toBe('Failed')
    expect(bad.status?.containerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 4,
      reason: 'Error'
    })
  })

  it('evict: the pod fails with reason Evicted and the ReplicaSet replaces it', async () => {
    cluster.put(deployment('web', { replicas: 1 }) as never)
    await cluster.settle()
    const [before] = cluster.list<V1Pod>('Pod', 'default')
    cluster.kubelet.evict({ pod: before.metadata!.name! })
    await cluster.settle()
    const evicted = cluster.get<V1Pod>('Pod', 'default', before.metadata!.name!)
    expect(evicted?.status).toMatchObject({ phase: 'Failed', reason: 'Evicted' })
    const running = cluster.list<V1Pod>('Pod', 'default').filter(p => p.status?.phase === 'Running')
    expect(running).toHaveLength(1)
    expect(running[0].metadata?.name).not.toBe(before.metadata?.name)
  })

  it('applies a later rule to pods that already exist', async () => {
    cluster.put(deployment('web', { replicas: 1 }) as never)
    await cluster.settle()
    cluster.kubelet.behave({ label: { app: 'web' } }, { kind: 'crashloop' })
    const p = await podOf('web', x => waitingReason(x) === 'CrashLoopBackOff')
    expect(p.status?.containerStatuses?.[0].restartCount).toBeGreaterThan(0)
  })

  it('leaves pods seeded already bound to a node as given', async () => {
    cluster.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'seeded', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'x' }] },
      status: { phase: 'Failed' }
    } as never)
    await cluster.settle()
    expect(cluster.get<V1Pod>('Pod', 'default', 'seeded')?.status?.phase).toBe('Failed')
  })

  describe('log subresource', () => {
    it('returns the scripted lines, honouring tailLines', async () => {
      cluster.kubelet.logs({ pod: /^web-/ }, ['one', 'two', 'three'])
      cluster.put(deployment('web', { replicas: 1 }) as never)
      const p = await podOf('web', x => x.status?.phase === 'Running')
      const all = await core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: 'default' })
      expect(all).toBe('one\ntwo\nthree\n')
      const tail = await core.readNamespacedPodLog({
        name: p.metadata!.name!,
        namespace: 'default',
        tailLines: 2
      })
      expect(tail).toBe('two\nthree\n')
      expect(cluster.requests.filter(r => r.verb === 'log')).toHaveLength(2)
    })

    it('serves previous=true only after a restart', async () => {
      cluster.kubelet.behave({ pod: /^web-/ }, { kind: 'crashloop', logs: ['panic: nil map'] })
      cluster.put(deployment('web', { replicas: 1 }) as never)
      const p = await podOf('web', x => waitingReason(x) === 'CrashLoopBackOff')
      const prev = await core.readNamespacedPodLog({
        name: p.metadata!.name!,
        namespace: 'default',
        previous: true,
        container: 'app'
      })
      expect(prev).toBe('panic: nil map\n')
    })

    it('names the init containers too when a multi-container pod’s log needs a container', async () => {
      cluster.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'two', namespace: 'default' },
        spec: {
          initContainers: [{ name: 'init', image: 'init:1' }],
          containers: [
            { name: 'a', image: 'a:1' },
            { name: 'b', image: 'b:1' }
          ]
        }
      } as never)
      const err = await core
        .readNamespacedPodLog({ name: 'two', namespace: 'default' })
        .catch((e: { code: number; body: string }) => e)
      expect(JSON.parse((err as { body: string }).body).message).toBe(
        'a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [init]'
      )
    })

    it('answers 400 for previous logs of a container that never terminated', async () => {
      cluster.put(deployment('web', { replicas: 1 }) as never)
      const p = await podOf('web', x => x.status?.phase === 'Running')
      const err = await core
        .readNamespacedPodLog({ name: p.metadata!.name!, namespace: 'default', previous: true })
        .catch((e: { code: number; body: string }) => e)
      expect(err).toMatchObject({ code: 400 })
      expect(JSON.parse((err as { body: string }).body).message).toBe(
        `previous terminated container "app" in pod "${p.metadata!.name!}" not found`
      )
    })
  })
})
