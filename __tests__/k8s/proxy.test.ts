/**
 * The API server's proxy as the action uses it: a real Prometheus behind a Service, queried through
 * the service proxy, and one pod's port asked a path through the pod proxy, both with the API
 * server's own refusals (RBAC, no endpoints) read as what they are.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { PrometheusClient, PrometheusError } from '../../src/analysis/prometheus.js'
import {
  podProxyEndpoint,
  serviceProxyPath,
  serviceProxyTransport,
  type ProxiedService
} from '../../src/k8s/proxy.js'
import { localBackend } from '../harness/objects.js'
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.js'
import { fixture, NS, type Fixture } from './helpers.js'

const PROMETHEUS: ProxiedService = {
  namespace: NS,
  name: 'prometheus',
  port: '9090',
  scheme: 'http'
}

let f: Fixture
let prometheus: TestPrometheus
beforeAll(async () => {
  prometheus = await startPrometheus()
})
afterAll(() => prometheus?.stop())
beforeEach(async () => {
  f = await fixture()
})
afterEach(() => f.stop())

function putPrometheusService(): void {
  const port = Number(new URL(prometheus.url).port)
  for (const o of localBackend('prometheus', {
    namespace: NS,
    port,
    servicePort: 9090,
    portName: 'web'
  }))
    f.tc.put(o as never)
}

const client = (service = PROMETHEUS) =>
  new PrometheusClient(serviceProxyTransport(f.cluster, service), { describe: 'Prometheus' })

async function refusal(query: Promise<unknown>): Promise<string> {
  try {
    await query
  } catch (error) {
    if (error instanceof PrometheusError) return error.message
    throw error
  }
  throw new Error('expected the query to be refused')
}

describe('the service proxy to Prometheus', () => {
  it('builds the proxy path of a Service port, with https: before the name for TLS', () => {
    expect(serviceProxyPath(PROMETHEUS)).toBe(
      '/api/v1/namespaces/prod/services/prometheus:9090/proxy'
    )
    expect(
      serviceProxyPath({ namespace: 'monitoring', name: 'k8s', port: 'web', scheme: 'https' })
    ).toBe('/api/v1/namespaces/monitoring/services/https:k8s:web/proxy')
  })

  it('queries a real Prometheus through the API server, by Service port number', async () => {
    putPrometheusService()

    const result = await client().query('1 + 1')

    expect(result.samples).toEqual([{ labels: {}, value: 2 }])
  })

  it('queries it by Service port name as well', async () => {
    putPrometheusService()

    const result = await client({ ...PROMETHEUS, port: 'web' }).query('vector(3)')

    expect(result.samples).toEqual([{ labels: {}, value: 3 }])
  })

  it("reads the API server's refusal without services/proxy, naming the permission", async () => {
    putPrometheusService()
    f.tc.enforceRole({
      metadata: { name: 'reader', namespace: NS },
      rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get'] }]
    })

    expect(await refusal(client().query('1'))).toBe(
      'Prometheus could not be reached (HTTP 403): services "prometheus:9090" is forbidden: User "system:serviceaccount:prod:reader" cannot get resource "services/proxy" in API group "" in the namespace "prod"'
    )
  })

  it('reads a Service without a ready endpoint as unreachable, saying so', async () => {
    const [, svc, endpoints] = localBackend('prometheus', {
      namespace: NS,
      port: 1,
      servicePort: 9090
    })
    f.tc.put(svc as never)
    f.tc.put({ ...endpoints, subsets: [] } as never)

    expect(await refusal(client().query('1'))).toBe(
      'Prometheus could not be reached (HTTP 503): no endpoints available for service "prometheus"'
    )
  })

  it('refuses an answer over 4 MiB rather than read a cut one', async () => {
    const big = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(`{"status":"success","padding":"${'x'.repeat(5 * 1024 * 1024)}"}`)
    })
    await new Promise<void>(resolve => big.listen(0, '127.0.0.1', resolve))
    try {
      const port = (big.address() as AddressInfo).port
      for (const o of localBackend('prometheus', { namespace: NS, port, servicePort: 9090 }))
        f.tc.put(o as never)

      expect(await refusal(client().query('1'))).toBe(
        "Prometheus: answered more than 4 MiB: a check's query gives a few series, never that many"
      )
    } finally {
      big.closeAllConnections()
      big.close()
    }
  })
})

describe('the pod proxy to one pod', () => {
  it("asks a path of the pod's port and returns its status and body", async () => {
    f.tc.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: NS, labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'web', ports: [{ containerPort: 8080 }] }] }
    } as never)
    f.tc.kubelet.serve({ pod: 'web-1' }, () => (req, res) => res.end(`3 on ${req.url}`))
    await f.tc.settle()

    const answer = await podProxyEndpoint(f.cluster, NS, 'web-1', 8080).fetch(
      '/connections',
      AbortSignal.timeout(5000)
    )

    expect(answer).toEqual({ status: 200, body: '3 on /connections' })
  })
})
