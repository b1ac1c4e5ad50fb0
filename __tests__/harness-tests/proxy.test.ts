import { CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { deployment } from '../harness/objects.js'

describe('test cluster: pod proxy', () => {
  let cluster: TestCluster
  let kc: KubeConfig

  beforeEach(async () => {
    cluster = await startTestCluster({ podStartMs: 5 })
    kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
  })
  afterEach(() => cluster.stop())

  /** A request through the API server with the kubeconfig's credentials, as client code does it. */
  async function viaProxy(path: string, init: RequestInit = {}): Promise<Response> {
    const opts: { headers?: Record<string, string> } = {}
    await kc.applyToHTTPSOptions(opts)
    const headers = { ...opts.headers, ...(init.headers as Record<string, string> | undefined) }
    return fetch(`${cluster.url}${path}`, { ...init, headers })
  }

  it('forwards method, path, query, headers and body to the pod server and its answer back', async () => {
    cluster.kubelet.serve({ label: { app: 'web' } }, pod => (req, res) => {
      let body = ''
      req.on('data', c => (body += c))
      req.on('end', () => {
        res.writeHead(201, { 'X-Pod': pod.metadata?.name ?? '' })
        res.end(
          JSON.stringify({ method: req.method, url: req.url, header: req.headers['x-test'], body })
        )
      })
    })
    cluster.put(deployment('web', { replicas: 1 }) as never)
    await cluster.settle()
    const [pod] = cluster.list<{ metadata: { name: string } }>('Pod', 'default')
    const res = await viaProxy(
      `/api/v1/namespaces/default/pods/${pod.metadata.name}:8080/proxy/version?x=1`,
      {
        method: 'POST',
        headers: { 'X-Test': 'yes' },
        body: 'hello'
      }
    )
    expect(res.status).toBe(201)
    expect(res.headers.get('x-pod')).toBe(pod.metadata.name)
    expect(await res.json()).toEqual({
      method: 'POST',
      url: '/version?x=1',
      header: 'yes',
      body: 'hello'
    })
    expect(cluster.requests.at(-1)).toMatchObject({
      verb: 'proxy',
      resource: 'pods',
      subresource: 'proxy',
      status: 201
    })
  })

  it('is reachable with CoreV1Api.connectGetNamespacedPodProxyWithPath', async () => {
    cluster.kubelet.serve({ label: { app: 'web' } }, () => (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.end(`path ${req.url}`)
    })
    cluster.put(deployment('web', { replicas: 1 }) as never)
    await cluster.settle()
    const [pod] = cluster.list<{ metadata: { name: string } }>('Pod', 'default')
    const core = kc.makeApiClient(CoreV1Api)
    const text = await core.connectGetNamespacedPodProxyWithPath({
      name: `${pod.metadata.name}:8080`,
      namespace: 'default',
      path: 'version'
    })
    expect(text).toBe('path /version')
  })

  it('answers 503 when the pod has no server on that port', async () => {
    cluster.put(deployment('web', { replicas: 1 }) as never)
    await cluster.settle()
    const [pod] = cluster.list<{ metadata: { name: string } }>('Pod', 'default')
    const res = await viaProxy(
      `/api/v1/namespaces/default/pods/${pod.metadata.name}:8080/proxy/healthz`
    )
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      code: 503,
      message: expect.stringContaining('connection refused')
    })
  })

  it('breaks the connection for a port name, which kube-apiserver does not resolve (recording 49)', async () => {
    cluster.kubelet.serve({ label: { app: 'web' } }, () => (_req, res) => res.end('ok'))
    cluster.put(deployment('web', { replicas: 1 }) as never)
    await cluster.settle()
    const [pod] = cluster.list<{ metadata: { name: string } }>('Pod', 'default')
    await expect(
      viaProxy(`/api/v1/namespaces/default/pods/${pod.metadata.name}:http/proxy/healthz`)
    ).rejects.toThrow('fetch failed')
    const numeric = await viaProxy(
      `/api/v1/namespaces/default/pods/${pod.metadata.name}:8080/proxy/healthz`
    )
    expect(await numeric.text()).toBe('ok')
  })

  it('answers 404 for a pod that does not exist', async () => {
    const res = await viaProxy('/api/v1/namespaces/default/pods/nope:8080/proxy/healthz')
    expect(res.status).toBe(404)
  })
})
