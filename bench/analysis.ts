/**
 * One analysis round against a real Prometheus (Debian's, on 127.0.0.1) scraping a stable and a
 * canary process of the example app under traffic: both built-in checks, 8 instant queries (value
 * and samples, canary and stable). A round must cost far less than the shortest analysis-interval
 * (1 s), or the interval would be spent querying; measured to Prometheus directly (prometheus-url)
 * and through the in-process test API server's service proxy (prometheus-service). Also the drain
 * measurement of a release of 10 pods through the path they answer.
 */
import { performance } from 'node:perf_hooks'
import { parseAnalysisConfig } from '../src/analysis/config.js'
import { measureLoadByPods, type PodEndpoint } from '../src/analysis/drain.js'
import { PrometheusClient, urlTransport } from '../src/analysis/prometheus.js'
import { podMatchers } from '../src/analysis/promql.js'
import { measureCheck } from '../src/analysis/run.js'
import { connect } from '../src/k8s/client.js'
import { serviceProxyTransport } from '../src/k8s/proxy.js'
import { MemoryLogger } from '../src/logger.js'
import { startTestCluster } from '../__tests__/harness/cluster.js'
import { localBackend } from '../__tests__/harness/objects.js'
import { startExampleApp, type ExampleApp } from '../__tests__/harness/example-app.js'
import { startPrometheus } from '../__tests__/harness/prometheus.js'
import { startTraffic } from '../__tests__/harness/traffic.js'
import { percentile, round, type Row } from './row.js'

const ROUNDS = 30
const ROUND_TARGET_MS = 250
const DRAIN_PODS = 10
const DRAIN_TARGET_MS = 100

export async function benchAnalysis(): Promise<Row[]> {
  const prometheus = await startPrometheus()
  const apps: ExampleApp[] = []
  const traffic: { stop(): Promise<void> }[] = []
  try {
    const track = (name: string): Record<string, string> => ({
      app: 'shop-web',
      'canary-deploy.dev/track': name
    })
    for (let i = 0; i < DRAIN_PODS; i++) apps.push(await startExampleApp({ version: `v${i}` }))
    await prometheus.setTargets(
      apps.slice(0, 2).map((app, i) => ({
        address: app.address,
        namespace: 'bench',
        pod: `shop-web-${i}`,
        podLabels: track(i === 0 ? 'stable' : 'canary')
      }))
    )
    traffic.push(...apps.slice(0, 2).map(app => startTraffic(app.url)))
    await prometheus.waitFor('sum(increase(http_requests_total[10s]))', v => (v ?? 0) >= 100)

    const { checks } = parseAnalysisConfig('error-rate, p95-latency')
    const sides = { canary: podMatchers(track('canary')), stable: podMatchers(track('stable')) }
    const timeRounds = async (client: PrometheusClient): Promise<number[]> => {
      const times: number[] = []
      for (let i = 0; i < ROUNDS; i++) {
        const started = performance.now()
        await Promise.all(checks.map(c => measureCheck(client, c, sides, 10_000, Date.now())))
        times.push(performance.now() - started)
      }
      return times
    }
    const rounds = await timeRounds(new PrometheusClient(urlTransport(prometheus.url)))
    const apiServer = await startTestCluster({ namespace: 'bench', controllers: false })
    let proxied: number[]
    try {
      const port = Number(new URL(prometheus.url).port)
      for (const o of localBackend('prometheus', { namespace: 'bench', port, servicePort: 9090 }))
        apiServer.put(o as never)
      const cluster = await connect({
        kubeconfig: apiServer.kubeconfig,
        namespace: 'bench',
        logger: new MemoryLogger()
      })
      const service = {
        namespace: 'bench',
        name: 'prometheus',
        port: '9090',
        scheme: 'http' as const
      }
      proxied = await timeRounds(new PrometheusClient(serviceProxyTransport(cluster, service)))
      cluster.dispose()
    } finally {
      await apiServer.stop()
    }

    const pods: PodEndpoint[] = apps.map((app, i) => ({
      name: `shop-web-old-${i}`,
      async fetch(path, signal) {
        const response = await fetch(`${app.url}${path}`, { signal })
        return { status: response.status, body: await response.text() }
      }
    }))
    const drains: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const started = performance.now()
      await measureLoadByPods(pods, '/connections')
      drains.push(performance.now() - started)
    }

    const p50 = percentile(rounds, 50)
    const p95 = percentile(rounds, 95)
    const proxiedP50 = percentile(proxied, 50)
    const drain = percentile(drains, 50)
    return [
      {
        name: `analysis round, 2 checks (8 queries), median of ${ROUNDS}`,
        value: round(p50),
        unit: 'ms',
        target: `< ${ROUND_TARGET_MS} ms`,
        met: p50 < ROUND_TARGET_MS
      },
      {
        name: `analysis round, p95 of ${ROUNDS}`,
        value: round(p95),
        unit: 'ms',
        target: `< ${ROUND_TARGET_MS} ms`,
        met: p95 < ROUND_TARGET_MS
      },
      {
        name: `analysis round through the API server's service proxy, median of ${ROUNDS}`,
        value: round(proxiedP50),
        unit: 'ms',
        target: `< ${ROUND_TARGET_MS} ms`,
        met: proxiedP50 < ROUND_TARGET_MS
      },
      {
        name: `drain load of ${DRAIN_PODS} pods by path, median of ${ROUNDS}`,
        value: round(drain),
        unit: 'ms',
        target: `< ${DRAIN_TARGET_MS} ms`,
        met: drain < DRAIN_TARGET_MS
      }
    ]
  } finally {
    await Promise.all(traffic.map(t => t.stop()))
    await Promise.all(apps.map(app => app.stop()))
    await prometheus.stop()
  }
}
