import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions
} from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { deployment } from '../harness/objects.js'

/** The Status body client-node's ApiException carries. */
function statusOf(e: unknown): Record<string, unknown> {
  const body = (e as { body?: unknown }).body
  return typeof body === 'string' ? JSON.parse(body) : (body as never)
}

async function failure(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p
  } catch (e) {
    return statusOf(e)
  }
  throw new Error('expected the request to fail')
}

describe('test cluster: decoding request bodies like kube-apiserver', () => {
  let cluster: TestCluster
  let core: CoreV1Api
  let apps: AppsV1Api

  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    core = kc.makeApiClient(CoreV1Api)
    apps = kc.makeApiClient(AppsV1Api)
  })
  afterEach(() => cluster.stop())

  it('answers a create carrying resourceVersion with the bare 500 storage sends', async () => {
    const live = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'a' } }
    })
    const copy = { ...live, metadata: { ...live.metadata, name: 'b' } }
    const status = await failure(
      core.createNamespacedConfigMap({ namespace: 'default', body: copy })
    )
    expect(status).toEqual({
      apiVersion: 'v1',
      kind: 'Status',
      code: 500,
      message: 'resourceVersion should not be set on objects to be created',
      metadata: {},
      status: 'Failure'
    })
  })

  it('refuses a ConfigMap whose data holds a number, naming the Go struct field', async () => {
    const body = { metadata: { name: 'typed' }, data: { n: 3 } } as never
    const status = await failure(core.createNamespacedConfigMap({ namespace: 'default', body }))
    expect(status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message:
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string'
    })
  })

  it('answers a patch whose result has a wrong type with 422 and keeps the object', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('typo') })
    const status = await failure(
      apps.patchNamespacedDeployment(
        { name: 'typo', namespace: 'default', body: { spec: { replicas: 'three' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
      )
    )
    expect(status).toMatchObject({ code: 422, reason: 'Invalid' })
    expect(String(status.message)).toMatch(
      /^ "" is invalid: patch: Invalid value: ".*\\"replicas\\":\\"three\\".*": json: cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32$/
    )
    const live = await apps.readNamespacedDeployment({ name: 'typo', namespace: 'default' })
    expect(live.spec?.replicas).toBe(deployment('typo').spec?.replicas ?? 1)
  })

  it('names the innermost Go struct and the JSON path of a nested misfit', async () => {
    const body = deployment('nested') as unknown as {
      spec: { template: { spec: { containers: { ports: unknown[] }[] } } }
    }
    body.spec.template.spec.containers[0].ports = [{ containerPort: '8080' }]
    const status = await failure(
      apps.createNamespacedDeployment({ namespace: 'default', body: body as never })
    )
    expect(status.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32'
    )
  })

  it('drops unknown fields, nested ones too, with a warning each', async () => {
    const res = await fetch(`${cluster.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'u', colour: 'red' }, data: { a: 'b' }, extra: 1 })
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('warning')).toBe(
      '299 - "unknown field \\"metadata.colour\\"", 299 - "unknown field \\"extra\\""'
    )
    const stored = await core.readNamespacedConfigMap({ name: 'u', namespace: 'default' })
    expect(Object.keys(stored.metadata ?? {})).not.toContain('colour')
    expect(Object.keys(stored)).not.toContain('extra')
  })

  it('refuses unknown fields with fieldValidation=Strict', async () => {
    const res = await fetch(
      `${cluster.url}/api/v1/namespaces/default/configmaps?fieldValidation=Strict`,
      {
        method: 'POST',
        headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 's' }, extra: 1 })
      }
    )
    expect(res.status).toBe(400)
    expect(((await res.json()) as { message: string }).message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "extra"'
    )
  })

  it('does not keep empty lists and maps, as Go omits them', async () => {
    const body = deployment('empty') as unknown as {
      metadata: Record<string, unknown>
      spec: { template: { spec: { containers: Record<string, unknown>[] } } }
    }
    body.metadata.annotations = {}
    body.spec.template.spec.containers[0].env = []
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: body as never
    })
    expect(created.metadata?.annotations).toBeUndefined()
    expect(created.spec?.template.spec?.containers[0].env).toBeUndefined()
    expect(created.spec?.template.spec?.containers[0].resources).toEqual({})
  })

  it('quotes a strategic merge patch as Go prints it when its result does not convert', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('smp') })
    const status = await failure(
      apps.patchNamespacedDeployment(
        { name: 'smp', namespace: 'default', body: { spec: { replicas: 'three' } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)
      )
    )
    expect(status).toMatchObject({
      code: 422,
      message:
        ' "" is invalid: patch: Invalid value: "map[spec:map[replicas:three]]": unrecognized type: int32'
    })
  })
})
