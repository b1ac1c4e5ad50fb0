import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'

interface Condition {
  type: string
  status: string
  lastTransitionTime: string
  reason: string
  message: string
}

interface Namespace {
  metadata: {
    resourceVersion: string
    finalizers?: string[]
    managedFields?: { manager: string; operation: string; subresource?: string }[]
  }
  spec: { finalizers?: string[] }
  status: { phase: string; conditions?: Condition[] }
}

const NS = 'shop'
const NS_PATH = `/api/v1/namespaces/${NS}`
const HOLD = 'example.com/hold'
const AUDIT = 'example.com/audit'

/** The five conditions in their "ok" variants, as status_condition_utils.go appends them. */
const ALL_OK = [
  ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
  ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
  ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
  ['NamespaceContentRemaining', 'False', 'ContentRemoved'],
  ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers']
]

describe('test cluster: the namespace controller empties a Terminating namespace', () => {
  let cluster: TestCluster

  const call = (method: string, path: string, body?: unknown) =>
    rawRequest(
      cluster,
      method,
      path,
      body,
      method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'
    )

  async function namespace(): Promise<Namespace> {
    const answer = await call('GET', NS_PATH)
    expect(answer.status).toBe(200)
    return answer.body as Namespace
  }

  const condition = (ns: Namespace, type: string): Condition | undefined =>
    ns.status.conditions?.find(c => c.type === type)

  const summary = (ns: Namespace): string[][] =>
    (ns.status.conditions ?? []).map(c => [c.type, c.status, c.reason])

  async function create(resource: string, body: Record<string, unknown>): Promise<void> {
    const answer = await call('POST', `${NS_PATH}/${resource}`, body)
    expect(answer.status).toBe(201)
  }

  const configMap = (name: string, finalizers?: string[]) =>
    create('configmaps', { metadata: { name, ...(finalizers ? { finalizers } : {}) } })

  /** A pod the kubelet runs and, once deleted, keeps Terminating until released. */
  async function terminatingPod(name: string, spec: Record<string, unknown> = {}): Promise<void> {
    cluster.kubelet.holdTermination({ pod: name })
    await create('pods', {
      metadata: { name },
      spec: { containers: [{ name: 'app', image: 'example/app:1' }], ...spec }
    })
    await cluster.settle()
  }

  async function deleteNamespace(): Promise<void> {
    expect((await call('DELETE', NS_PATH)).status).toBe(200)
    await cluster.settle()
  }

  /** A ConfigMap and two Secrets kept by finalizers in a namespace then deleted. */
  async function deleteWithHeldContent(): Promise<void> {
    await configMap('settings', [HOLD])
    await create('secrets', { metadata: { name: 'a', finalizers: [HOLD] } })
    await create('secrets', { metadata: { name: 'b', finalizers: [HOLD, AUDIT] } })
    await deleteNamespace()
  }

  async function dropFinalizers(resource: string, name: string): Promise<void> {
    const path = `${NS_PATH}/${resource}/${name}`
    const answer = await call('PATCH', path, { metadata: { finalizers: null } })
    expect(answer.status).toBe(200)
    await cluster.settle()
  }

  beforeEach(async () => {
    cluster = await startTestCluster({ namespace: NS, podStartMs: 5 })
    await cluster.settle()
  })
  afterEach(() => cluster.stop())

  it('deletes the pods first: other content waits while a pod terminates', async () => {
    await terminatingPod('web')
    await configMap('settings')
    await deleteNamespace()
    const pod = await call('GET', `${NS_PATH}/pods/web`)
    expect((pod.body as Namespace).metadata).toHaveProperty('deletionTimestamp')
    const cm = await call('GET', `${NS_PATH}/configmaps/settings`)
    expect(cm.status).toBe(200)
    expect((cm.body as Namespace).metadata).not.toHaveProperty('deletionTimestamp')
  })

  it('while a pod terminates, writes the conditions without totals (the pods-first pass)', async () => {
    // v1.36's deleteAllContent returns before ProcessContentTotals while pods remain, so
    // NamespaceContentRemaining reads "All content successfully removed" (kubernetes#138208).
    await terminatingPod('web')
    await deleteNamespace()
    const ns = await namespace()
    expect(ns.status.phase).toBe('Terminating')
    expect(summary(ns)).toEqual(ALL_OK)
    expect(condition(ns, 'NamespaceContentRemaining')?.message).toBe(
      'All content successfully removed'
    )
    expect(condition(ns, 'NamespaceFinalizersRemaining')?.message).toBe(
      'All content-preserving finalizers finished'
    )
  })

  it('the conditions are the controller manager’s status write', async () => {
    await terminatingPod('web')
    await deleteNamespace()
    const entries = (await namespace()).metadata.managedFields ?? []
    expect(entries).toContainEqual(
      expect.objectContaining({
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'status'
      })
    )
  })

  it('content held by a finalizer: NamespaceContentRemaining counts it by resource', async () => {
    await deleteWithHeldContent()
    expect(condition(await namespace(), 'NamespaceContentRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
      message:
        'Some resources are remaining: configmaps. has 1 resource instances, secrets. has 2 resource instances'
    })
  })

  it('content held by a finalizer: NamespaceFinalizersRemaining counts it by finalizer', async () => {
    await deleteWithHeldContent()
    expect(condition(await namespace(), 'NamespaceFinalizersRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message:
        'Some content in the namespace has finalizers remaining: example.com/audit in 1 resource instances, example.com/hold in 3 resource instances'
    })
  })

  it('a pod left past its grace period with no finalizer: NamespaceDeletionContentFailure', async () => {
    // Deleted with 30 s of grace, but its own terminationGracePeriodSeconds of 0 leaves the
    // controller no time to wait (estimateGracefulTerminationForPods).
    await terminatingPod('web', { terminationGracePeriodSeconds: 0 })
    expect((await call('DELETE', `${NS_PATH}/pods/web?gracePeriodSeconds=30`)).status).toBe(200)
    await deleteNamespace()
    expect(condition(await namespace(), 'NamespaceDeletionContentFailure')).toMatchObject({
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: ${NS} for gvr: /v1, Resource=pods`
    })
  })

  it('a condition keeps its transition time while its status stays', async () => {
    await deleteWithHeldContent()
    const before = condition(await namespace(), 'NamespaceFinalizersRemaining')
    await new Promise(r => setTimeout(r, 1100))
    await dropFinalizers('secrets', 'b')
    const after = condition(await namespace(), 'NamespaceFinalizersRemaining')
    expect(after?.message).toBe(
      'Some content in the namespace has finalizers remaining: example.com/hold in 2 resource instances'
    )
    expect(after?.lastTransitionTime).toBe(before?.lastTransitionTime)
  })

  it('reaches a fixed point: a change in the namespace that leaves the totals alone writes nothing', async () => {
    await configMap('settings', [HOLD])
    await deleteNamespace()
    const before = (await namespace()).metadata.resourceVersion
    const path = `${NS_PATH}/configmaps/settings`
    expect((await call('PATCH', path, { metadata: { labels: { touched: 'yes' } } })).status).toBe(
      200
    )
    await cluster.settle()
    expect((await namespace()).metadata.resourceVersion).toBe(before)
  })

  it('once the last finalizer is removed, the namespace is deleted', async () => {
    await configMap('settings', [HOLD])
    await deleteNamespace()
    await dropFinalizers('configmaps', 'settings')
    expect((await call('GET', NS_PATH)).status).toBe(404)
  })

  it('once the last pod has terminated, the rest of the content goes and the namespace with it', async () => {
    await terminatingPod('web')
    await configMap('settings')
    await deleteNamespace()
    cluster.kubelet.release({ pod: 'web' })
    await cluster.settle()
    expect((await call('GET', NS_PATH)).status).toBe(404)
  })

  it('a namespace with a finalizer of its own stays, its spec finalizer removed, until that goes', async () => {
    const patched = await call('PATCH', NS_PATH, { metadata: { finalizers: [HOLD] } })
    expect(patched.status).toBe(200)
    await deleteNamespace()
    const held = await namespace()
    // spec.finalizers is omitempty: emptied, it is gone from the answer.
    expect(held.spec).toEqual({})
    expect(summary(held)).toEqual(ALL_OK)
    const answer = await call('PATCH', NS_PATH, { metadata: { finalizers: null } })
    expect(answer.status).toBe(200)
    await cluster.settle()
    expect((await call('GET', NS_PATH)).status).toBe(404)
  })
})
