/**
 * The four canaries of issue 15 against a real Prometheus scraping real processes of the example
 * app: stable and the canaries run side by side as pods would (Kubernetes-style target labels),
 * user traffic reaches them, and the built-in checks judge each canary against stable: healthy
 * passes, erroring and slow fail, idle is inconclusive.
 *
 * Each canary is its own ReplicaSet (pod-template-hash) and is selected by it, as a canary must
 * be: the series of an earlier canary with the same track stay in the window after it is gone.
 */
import { parseAnalysisConfig } from '../../src/analysis/config.js'
import { PrometheusClient, urlTransport } from '../../src/analysis/prometheus.js'
import { podMatchers } from '../../src/analysis/promql.js'
import { runAnalysis, type AnalysisPlan } from '../../src/analysis/run.js'
import type { AnalysisResult } from '../../src/analysis/types.js'
import { analysisSection } from '../../src/analysis/summary.js'
import { startExampleApp, type ExampleApp, type ExampleAppOptions } from '../harness/example-app.js'
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.js'
import { startTraffic, type Traffic } from '../harness/traffic.js'

const APP = { app: 'shop-web' }
const STABLE = { ...APP, 'canary-deploy.dev/track': 'stable' }
const MIN_SAMPLES = 20
const WINDOW = '10s'

type Kind = 'healthy' | 'erroring' | 'slow' | 'idle'
const CANARIES: Record<Kind, { hash: string; fault: Omit<ExampleAppOptions, 'version'> }> = {
  healthy: { hash: 'c1a9f0', fault: {} },
  erroring: { hash: 'c2b8e1', fault: { errorRate: 0.5 } },
  slow: { hash: 'c3c7d2', fault: { delayMs: 300 } },
  idle: { hash: 'c4d6c3', fault: {} }
}
const podLabels = (kind: Kind): Record<string, string> => ({
  ...APP,
  'canary-deploy.dev/track': 'canary',
  'pod-template-hash': CANARIES[kind].hash
})

let prometheus: TestPrometheus
const apps: ExampleApp[] = []
const traffic: Traffic[] = []

const requestsIn = (selector: string): string =>
  `sum(increase(http_requests_total{${selector}}[${WINDOW}]))`

beforeAll(async () => {
  prometheus = await startPrometheus()
  const stable = await startExampleApp({ version: 'v1' })
  apps.push(stable)
  const kinds = Object.keys(CANARIES) as Kind[]
  const canaries = await Promise.all(
    kinds.map(kind => startExampleApp({ version: 'v2', ...CANARIES[kind].fault }))
  )
  apps.push(...canaries)
  await prometheus.setTargets([
    { address: stable.address, namespace: 'shop', pod: 'shop-web-6d4b9c-x1', podLabels: STABLE },
    ...kinds.map((kind, i) => ({
      address: canaries[i].address,
      namespace: 'shop',
      pod: `shop-web-canary-${CANARIES[kind].hash}-y1`,
      podLabels: podLabels(kind)
    }))
  ])
  traffic.push(startTraffic(stable.url))
  kinds.forEach((kind, i) => {
    if (kind !== 'idle') traffic.push(startTraffic(canaries[i].url))
  })
  // The analysis starts once the window holds enough requests, as it would after smoke checks.
  await prometheus.waitFor(requestsIn('canary_deploy_dev_track="stable"'), v => (v ?? 0) >= 40)
  for (const kind of kinds.filter(k => k !== 'idle')) {
    const hash = CANARIES[kind].hash
    await prometheus.waitFor(requestsIn(`pod_template_hash="${hash}"`), v => (v ?? 0) >= 40)
  }
})
afterAll(async () => {
  await Promise.all(traffic.map(t => t.stop()))
  await Promise.all(apps.map(app => app.stop()))
  await prometheus?.stop()
})

async function analyse(kind: Kind): Promise<AnalysisResult> {
  const config = parseAnalysisConfig(
    `checks: [error-rate, p95-latency]\nmin-samples: ${MIN_SAMPLES}\nwindow: ${WINDOW}`
  )
  const plan: AnalysisPlan = {
    checks: config.checks,
    rounds: 2,
    intervalMs: 500,
    windowMs: config.windowMs ?? 10_000,
    limits: config.limits
  }
  const client = new PrometheusClient(urlTransport(prometheus.url))
  return runAnalysis(client, plan, {
    canary: podMatchers(podLabels(kind)),
    stable: podMatchers(STABLE)
  })
}

const verdicts = (result: AnalysisResult): string[][] =>
  result.rounds.map(r => r.checks.map(c => `${c.check}: ${c.verdict}`))

describe('analysis of a canary against a real Prometheus', () => {
  it('passes a healthy canary: every check passes every round', async () => {
    const result = await analyse('healthy')

    expect(result.verdict).toBe('passed')
    expect(verdicts(result)).toEqual([
      ['error-rate: pass', 'p95-latency: pass'],
      ['error-rate: pass', 'p95-latency: pass']
    ])
  })

  it('fails an erroring canary on its error rate, after the first round', async () => {
    const result = await analyse('erroring')

    expect(result.verdict).toBe('failed')
    expect(result.reason).toMatch(
      /^error-rate failed 1 round \(failure-limit 0\): canary \d+(\.\d)?% is not <= 0\.5% \(stable 0%\)/
    )
    expect(result.rounds).toHaveLength(1)
    const errorRate = result.rounds[0].checks[0]
    expect(errorRate.canary.value).toBeCloseTo(0.5, 1)
    expect(errorRate.stable.value).toBe(0)
  })

  it('fails a slow canary on its p95 latency', async () => {
    const result = await analyse('slow')

    expect(result.verdict).toBe('failed')
    expect(result.reason).toMatch(/^p95-latency failed 1 round/)
    const latency = result.rounds[0].checks[1]
    expect(latency.canary.value).toBeGreaterThan(0.25)
    expect(latency.stable.value).toBeLessThan(0.1)
  })

  it('is inconclusive about an idle canary: no samples, never a pass nor a fail', async () => {
    const result = await analyse('idle')

    expect(result.verdict).toBe('inconclusive')
    expect(verdicts(result)).toEqual([
      ['error-rate: inconclusive', 'p95-latency: inconclusive'],
      ['error-rate: inconclusive', 'p95-latency: inconclusive']
    ])
    // Its counters are there at 0 (examples/app exposes them from the start): 0 / 0 requests.
    expect(result.rounds[0].checks[0].canary).toMatchObject({
      samples: 0,
      note: 'NaN, e.g. 0/0: nothing happened in the window'
    })
    expect(result.rounds[0].checks[0].reason).toBe(
      'canary has 0 samples, fewer than min-samples 20'
    )
  })

  it('records every query of each side with its labels, both values and the rule', async () => {
    const result = await analyse('healthy')
    const errorRate = result.rounds[0].checks[0]

    expect(errorRate.canary.query).toBe(
      '(sum(rate(http_requests_total{ app="shop-web",canary_deploy_dev_track="canary",pod_template_hash="c1a9f0", code=~"5.." }[10s])) or vector(0))' +
        ' / sum(rate(http_requests_total{ app="shop-web",canary_deploy_dev_track="canary",pod_template_hash="c1a9f0" }[10s]))'
    )
    expect(errorRate.stable.samplesQuery).toBe(
      'sum(increase(http_requests_total{ app="shop-web",canary_deploy_dev_track="stable" }[10s]))'
    )
    expect(errorRate).toMatchObject({
      rule: 'canary <= max(stable * 1.5, stable + 0.5%)',
      canary: { value: 0 },
      stable: { value: 0 },
      bound: 0.005
    })
    expect(errorRate.canary.samples).toBeGreaterThanOrEqual(MIN_SAMPLES)
    expect(errorRate.stable.samples).toBeGreaterThanOrEqual(MIN_SAMPLES)
  })

  it("puts the slow canary's rounds in the summary: both latencies, the rule, the verdict", async () => {
    const { body } = analysisSection(await analyse('slow'))

    expect(body).toMatch(/^\*\*❌ failed\*\*: p95-latency failed 1 round/)
    expect(body).toMatch(
      /\| 1 \(\d\d:\d\d:\d\dZ\) \| p95-latency \| \d+ ms \(\d[\d,]* samples\) \| [\d.]+ ms \(\d[\d,]* samples\) \| `canary <= stable \* 1\.2` \(bound [\d.]+ ms\) \| ❌ fail: canary \d+ ms is not <= /
    )
    expect(body).toContain('pod_template_hash="c3c7d2"')
  })
})
