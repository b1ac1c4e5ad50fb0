import {
  AppsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment
} from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { deployment } from '../harness/objects.js'
import { rawRequest } from '../harness/raw.js'

function bodyOf(e: unknown): {
  code: number
  reason: string
  message: string
  details?: { causes?: { type: string; message: string; field: string }[] }
} {
  const b = (e as { body?: unknown }).body
  return typeof b === 'string' ? JSON.parse(b) : (b as never)
}

describe('test cluster: server-side apply', () => {
  let cluster: TestCluster
  let client: KubernetesObjectApi
  let apps: AppsV1Api

  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    client = KubernetesObjectApi.makeApiClient(kc)
    apps = kc.makeApiClient(AppsV1Api)
  })
  afterEach(() => cluster.stop())

  const apply = (obj: V1Deployment, manager: string, force?: boolean) =>
    client.patch(
      obj as never,
      undefined,
      undefined,
      manager,
      force,
      PatchStrategy.ServerSideApply
    ) as Promise<V1Deployment>

  it('creates the object when absent and records the manager in managedFields', async () => {
    const out = await apply(deployment('web'), 'canary-deploy')
    expect(out.metadata?.uid).toBeDefined()
    const entry = out.metadata?.managedFields?.find(m => m.manager === 'canary-deploy')
    expect(entry).toMatchObject({
      operation: 'Apply',
      apiVersion: 'apps/v1',
      fieldsType: 'FieldsV1'
    })
    expect(entry?.fieldsV1).toMatchObject({ 'f:spec': { 'f:replicas': {} } })
    expect(cluster.writes()[0]).toMatchObject({
      verb: 'patch',
      contentType: 'application/apply-patch+yaml',
      fieldManager: 'canary-deploy'
    })
  })

  it('answers 409 naming the conflicting manager and field, and takes ownership with force', async () => {
    await apply(deployment('web', { replicas: 2 }), 'alice')
    const err = await apply(deployment('web', { replicas: 5 }), 'bob').catch((e: unknown) => e)
    const s = bodyOf(err)
    expect(s.code).toBe(409)
    expect(s.reason).toBe('Conflict')
    expect(s.message).toBe('Apply failed with 1 conflict: conflict with "alice": .spec.replicas')
    expect(s.details?.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.replicas' }
    ])
    const forced = await apply(deployment('web', { replicas: 5 }), 'bob', true)
    expect(forced.spec?.replicas).toBe(5)
    const alice = forced.metadata?.managedFields?.find(m => m.manager === 'alice')
    expect(alice?.fieldsV1).not.toHaveProperty(['f:spec', 'f:replicas'])
  })

  it('names an Update manager with its API version in a conflict', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 2 }),
      fieldManager: 'kubectl-edit'
    })
    const err = await apply(deployment('web', { replicas: 3 }), 'canary-deploy').catch(
      (e: unknown) => e
    )
    expect(bodyOf(err).details?.causes).toContainEqual({
      reason: 'FieldManagerConflict',
      message: 'conflict with "kubectl-edit" using apps/v1',
      field: '.spec.replicas'
    })
  })

  it('shares a field without conflict when the values agree', async () => {
    await apply(deployment('web', { replicas: 2 }), 'alice')
    const out = await apply(deployment('web', { replicas: 2 }), 'bob')
    expect(out.metadata?.managedFields?.map(m => m.manager).sort()).toEqual(['alice', 'bob'])
  })

  it('removes a field the same manager stops applying', async () => {
    const withLabel = deployment('web', { labels: { extra: 'yes' } })
    await apply(withLabel, 'alice')
    const out = await apply(deployment('web'), 'alice')
    expect(out.metadata?.labels?.extra).toBeUndefined()
  })

  it('refuses an apply without fieldManager', async () => {
    const err = await apply(deployment('web'), undefined as never).catch((e: unknown) => e)
    expect(bodyOf(err)).toMatchObject({
      code: 422,
      message: expect.stringContaining('fieldManager: Required value')
    })
  })

  it('stores nothing on a dry-run apply', async () => {
    await client.patch(
      deployment('web') as never,
      undefined,
      'All',
      'canary-deploy',
      undefined,
      PatchStrategy.ServerSideApply
    )
    expect(cluster.get('Deployment', 'default', 'web')).toBeUndefined()
  })

  it('lets a merge patch take a field away from an apply manager', async () => {
    await apply(deployment('web', { replicas: 2 }), 'alice')
    const out = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { replicas: 4 } },
        fieldManager: 'scaler'
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
    )
    const scaler = out.metadata?.managedFields?.find(m => m.manager === 'scaler')
    expect(scaler).toMatchObject({
      operation: 'Update',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } }
    })
  })

  it('refuses an applied configuration that does not fit the schema with the typed conversion 500', async () => {
    const body = deployment('typed') as unknown as {
      spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } }
    }
    body.spec.replicas = 'three'
    body.spec.template.spec.containers[0].colour = 'red'
    // Raw: client-node's serializer would drop the unknown field before sending.
    const answer = await rawRequest(
      cluster,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/typed?fieldManager=alice',
      body,
      'application/apply-patch+yaml'
    )
    const s = answer.body as ReturnType<typeof bodyOf>
    expect(s.code).toBe(500)
    expect(s.reason).toBeUndefined()
    expect(s.message).toBe(
      'failed to create typed patch object (default/typed; apps/v1, Kind=Deployment): errors:\n' +
        '  .spec.replicas: expected numeric (int or float), got string\n' +
        '  .spec.template.spec.containers[name="app"].colour: field not declared in schema'
    )
    expect(cluster.get('Deployment', 'default', 'typed')).toBeUndefined()
  })
})
