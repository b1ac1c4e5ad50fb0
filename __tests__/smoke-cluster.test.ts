import http from 'node:http'
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { MemoryLogger } from '../src/logger.js'
import { LABEL_APP, LABEL_TRACK } from '../src/k8s/labels.js'
import { podProxyTarget, smokeCheck } from '../src/smoke.js'
import { podProxyUrl } from '../src/k8s/proxy.js'
import { startTestCluster } from './harness/cluster.js'

/** An app answering /health and /version like examples/app/server.js does. */
function app(version: string): http.RequestListener {
  return (req, res) => {
    if (req.url === '/health') res.writeHead(200).end('ok')
    else if (req.url === '/version') res.writeHead(200).end(version)
    else res.writeHead(404).end('not found')
  }
}

describe('smoke checks through the test cluster pod proxy', () => {
  let cluster: Awaited<ReturnType<typeof startTestCluster>>
  beforeAll(async () => {
    cluster = await startTestCluster()
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('checks each canary pod on its own: the pod still running the old version fails, by name', async () => {
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig)
    const core = kc.makeApiClient(CoreV1Api)
    const versions: Record<string, string> = {
      'shop-web-canary-a': 'v2',
      'shop-web-canary-b': 'v1'
    }
    for (const name of Object.keys(versions)) {
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name, labels: { [LABEL_APP]: 'shop-web', [LABEL_TRACK]: 'canary' } },
          spec: {
            containers: [{ name: 'app', image: 'shop:v2', ports: [{ containerPort: 8080 }] }]
          }
        }
      })
      cluster.kubelet.serve({ pod: name }, () => app(versions[name]))
    }

    await cluster.settle()

    const results = await smokeCheck(
      Object.keys(versions).map(pod =>
        podProxyTarget(kc, podProxyUrl(kc.getCurrentCluster()!.server, 'default', pod, 8080), pod)
      ),
      {
        healthPath: '/health',
        versionPath: '/version',
        expectedVersion: 'v2',
        timeoutMs: 1000,
        intervalMs: 50,
        logger: new MemoryLogger()
      }
    )

    expect(results.map(r => [r.target, r.ok])).toEqual([
      ['shop-web-canary-a', true],
      ['shop-web-canary-b', false]
    ])
    expect(results[1].message).toBe(
      'shop-web-canary-b: GET /version answered 200 with "v1" (expected it to contain "v2")'
    )
  })
})
