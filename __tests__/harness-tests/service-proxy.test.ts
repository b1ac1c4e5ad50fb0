import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { deployment, localBackend, service } from '../harness/objects.js'
import { rawRequest } from '../harness/raw.js'

const SVC = '/api/v1/namespaces/default/services'

/** A real HTTP server on 127.0.0.1 answering with the path it was asked. */
async function localServer(): Promise<{ port: number; close: () => void }> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ url: req.url }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, close: () => server.close() }
}

describe('test cluster: service proxy', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ podStartMs: 5 })
  })
  afterEach(() => cluster.stop())

  const get = (path: string) => rawRequest(cluster, 'GET', path)

  async function web(): Promise<void> {
    cluster.kubelet.serve({ label: { app: 'web' } }, pod => (req, res) => {
      res.end(JSON.stringify({ pod: pod.metadata?.name, url: req.url }))
    })
    cluster.put(deployment('web', { replicas: 1, app: 'web' }) as never)
    cluster.put(service('web') as never)
    await cluster.settle()
  }

  it('forwards to a ready endpoint, resolving a named Service port through the Endpoints', async () => {
    await web()
    const a = await get(`${SVC}/web:http/proxy/version?x=1`)
    expect(a.status).toBe(200)
    expect(a.body).toMatchObject({ url: '/version?x=1' })
  })

  it('maps a port number to the Service port of that number', async () => {
    await web()
    expect((await get(`${SVC}/web:80/proxy/`)).status).toBe(200)
    const none = await get(`${SVC}/web:81/proxy/`)
    expect(none.status).toBe(503)
    expect(none.body).toMatchObject({ message: 'no service port 81 found for service "web"' })
  })

  it('answers 503 when the Service has no ready endpoint', async () => {
    cluster.put(service('idle') as never)
    await cluster.settle()
    const a = await get(`${SVC}/idle:http/proxy/`)
    expect(a.status).toBe(503)
    expect(a.body).toMatchObject({
      reason: 'ServiceUnavailable',
      message: 'no endpoints available for service "idle"'
    })
  })

  it('reaches a process on 127.0.0.1 through Endpoints that name a pod holding that IP', async () => {
    const local = await localServer()
    try {
      for (const o of localBackend('metrics', { port: local.port })) cluster.put(o as never)
      const a = await get(`${SVC}/metrics:http/proxy/api/v1/query?query=up`)
      expect(a.status).toBe(200)
      expect(a.body).toEqual({ url: '/api/v1/query?query=up' })
    } finally {
      local.close()
    }
  })

  it('does not proxy to an endpoint address that is no pod, as kube-apiserver refuses it', async () => {
    const local = await localServer()
    try {
      const [, svc, endpoints] = localBackend('bare', { port: local.port })
      delete endpoints.subsets?.[0].addresses?.[0].targetRef
      cluster.put(svc as never)
      cluster.put(endpoints as never)
      const a = await get(`${SVC}/bare:http/proxy/`)
      expect(a.status).toBe(503)
      expect(a.body).toMatchObject({ message: 'no endpoints available for service "bare:http"' })
    } finally {
      local.close()
    }
  })

  it('needs services/proxy under RBAC', async () => {
    await web()
    cluster.enforceRole({
      metadata: { name: 'reader', namespace: 'default' },
      rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get'] }]
    })
    const denied = await get(`${SVC}/web:http/proxy/`)
    expect(denied.status).toBe(403)
    expect(denied.body).toMatchObject({
      message:
        'services "web:http" is forbidden: User "system:serviceaccount:default:reader" cannot get resource "services/proxy" in API group "" in the namespace "default"'
    })
    cluster.enforceRole({
      metadata: { name: 'reader', namespace: 'default' },
      rules: [{ apiGroups: [''], resources: ['services/proxy'], verbs: ['get'] }]
    })
    expect((await get(`${SVC}/web:http/proxy/`)).status).toBe(200)
  })

  it('reaches a real Prometheus on 127.0.0.1', async () => {
    const port = await new Promise<number>(resolve => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port
        s.close(() => resolve(p))
      })
    })
    const dir = await mkdtemp(join(tmpdir(), 'prom-'))
    const prom = spawn(
      '/usr/bin/prometheus',
      [
        `--web.listen-address=127.0.0.1:${port}`,
        `--storage.tsdb.path=${dir}`,
        `--config.file=/dev/null`
      ],
      { stdio: 'ignore' }
    )
    try {
      for (const o of localBackend('prometheus', { port, servicePort: 9090, portName: 'web' }))
        cluster.put(o as never)
      const path = `${SVC}/prometheus:9090/proxy/api/v1/query?query=1%2B1`
      let a = await get(path)
      for (let i = 0; i < 100 && a.status !== 200; i++) {
        await new Promise(r => setTimeout(r, 100))
        a = await get(path)
      }
      expect(a.status).toBe(200)
      expect(a.body).toMatchObject({ status: 'success', data: { resultType: 'scalar' } })
    } finally {
      prom.kill()
      await rm(dir, { recursive: true, force: true })
    }
  }, 30_000)
})
