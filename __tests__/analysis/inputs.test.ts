/**
 * The analysis and drain inputs: parsed into settings, and every mistake refused by name before
 * anything reaches the cluster.
 */
import { startShop, type Shop } from '../commands/fixture.js'
import { readSettings, SettingsError, type Settings } from '../../src/settings.js'

const BASE: Record<string, string> = {
  app: 'shop',
  namespace: 'shop',
  image: 'registry.example.com/acme/shop',
  version: 'v2'
}
const PROMETHEUS = { 'prometheus-url': 'http://prometheus.monitoring:9090' }

function settingsWith(inputs: Record<string, string>): Settings {
  const all = { ...BASE, ...inputs }
  return readSettings(name => all[name] ?? '', { GITHUB_WORKSPACE: process.cwd() })
}

/** The problems of a refused run, as `input: expected ...` lines. */
function refusal(inputs: Record<string, string>): string[] {
  try {
    settingsWith(inputs)
  } catch (error) {
    if (error instanceof SettingsError) return error.problems.map(p => `${p.input}: ${p.expected}`)
    throw error
  }
  throw new Error('expected the inputs to be refused')
}

describe('analysis inputs', () => {
  it('leaves analysis, Prometheus and drain out when not given', () => {
    const s = settingsWith({})

    expect([s.analysis, s.prometheus, s.drain]).toEqual([undefined, undefined, undefined])
  })

  it('reads the checks with the interval and rounds', () => {
    const s = settingsWith({
      ...PROMETHEUS,
      analysis: 'error-rate, p95-latency',
      'analysis-interval': '30s',
      'analysis-rounds': '3'
    })

    expect(s.analysis).toMatchObject({ rounds: 3, intervalMs: 30_000 })
    expect(s.analysis?.checks.map(c => c.name)).toEqual(['error-rate', 'p95-latency'])
    expect(s.prometheus).toEqual({ url: 'http://prometheus.monitoring:9090' })
  })

  it('defaults to 5 rounds a minute apart', () => {
    const s = settingsWith({ ...PROMETHEUS, analysis: 'error-rate' })

    expect(s.analysis).toMatchObject({ rounds: 5, intervalMs: 60_000 })
  })

  it('gives rate() a window of 5 minutes by default: four scrapes at Prometheus default 1m, and more', () => {
    const s = settingsWith({ ...PROMETHEUS, analysis: 'error-rate', 'analysis-interval': '1m' })

    expect(s.analysis?.windowMs).toBe(300_000)
  })

  it('widens the default window to an analysis interval longer than 5 minutes', () => {
    const s = settingsWith({ ...PROMETHEUS, analysis: 'error-rate', 'analysis-interval': '10m' })

    expect(s.analysis?.windowMs).toBe(600_000)
  })

  it('takes the window the analysis gives', () => {
    const s = settingsWith({ ...PROMETHEUS, analysis: 'checks: [error-rate]\nwindow: 5m' })

    expect(s.analysis?.windowMs).toBe(300_000)
  })

  it('reads a Prometheus Service with its namespace, port and scheme', () => {
    expect(
      settingsWith({ 'prometheus-service': 'monitoring/https:prometheus-k8s:web' }).prometheus
    ).toEqual({
      service: { namespace: 'monitoring', name: 'prometheus-k8s', port: 'web', scheme: 'https' }
    })
  })

  it("puts a Prometheus Service without a namespace in the app's namespace", () => {
    expect(settingsWith({ 'prometheus-service': 'prometheus:9090' }).prometheus).toEqual({
      service: { namespace: 'shop', name: 'prometheus', port: '9090', scheme: 'http' }
    })
  })

  it('reads a drain query with its threshold', () => {
    const s = settingsWith({
      ...PROMETHEUS,
      'drain-query': 'sum(http_open_connections{ {{selector}} })',
      'drain-threshold': '2.5'
    })

    expect(s.drain).toEqual({
      query: 'sum(http_open_connections{ {{selector}} })',
      path: undefined,
      threshold: 2.5
    })
  })

  it('reads a drain path, no Prometheus needed', () => {
    expect(settingsWith({ 'drain-path': '/connections' }).drain).toEqual({
      query: undefined,
      path: '/connections',
      threshold: 0
    })
  })

  it.each<[string, Record<string, string>, string]>([
    [
      'an unknown check',
      { ...PROMETHEUS, analysis: 'error-rate, latency' },
      'analysis: checks[1]: a known check (error-rate, p95-latency), or a custom one with query and rule: latency is neither'
    ],
    [
      'an unparsable rule',
      { ...PROMETHEUS, analysis: 'checks:\n  - name: p95-latency\n    rule: less than stable' },
      'analysis: checks[0].rule: a rule such as "<= 1%", "<= stable * 1.2" or "<= max(stable * 1.5, stable + 0.5%)" (a rule starts with a comparison (<=, <, >=, >), found "less")'
    ],
    [
      'a Prometheus URL with credentials',
      { 'prometheus-url': 'http://admin:hunter2@prometheus:9090' },
      'prometheus-url: an http(s) URL without credentials in it'
    ],
    [
      'a Prometheus URL of another scheme',
      { 'prometheus-url': 'file:///etc/passwd' },
      'prometheus-url: an http(s) URL (other schemes such as file: are refused)'
    ],
    [
      'a Prometheus Service without a port',
      { 'prometheus-service': 'monitoring/prometheus' },
      'prometheus-service: a Service as NAMESPACE/NAME:PORT, e.g. monitoring/prometheus-server:9090 (https: before NAME for TLS; PORT a number or the port name)'
    ],
    [
      'an analysis without a Prometheus',
      { analysis: 'error-rate' },
      'prometheus-url: the Prometheus the analysis queries: prometheus-url or prometheus-service'
    ],
    [
      'two Prometheus',
      { ...PROMETHEUS, 'prometheus-service': 'monitoring/prometheus:9090' },
      'prometheus-service: empty when prometheus-url is given (one Prometheus)'
    ],
    [
      'a drain query without {{selector}}',
      { ...PROMETHEUS, 'drain-query': 'sum(http_open_connections)' },
      'drain-query: a PromQL template that selects its series with {{selector}}'
    ],
    [
      'a drain query without a Prometheus',
      { 'drain-query': 'sum(http_open_connections{ {{selector}} })' },
      'drain-query: a Prometheus to run it on (prometheus-url or prometheus-service), or drain-path instead'
    ],
    [
      'a drain query and a drain path',
      { ...PROMETHEUS, 'drain-query': 'sum(x{ {{selector}} })', 'drain-path': '/connections' },
      'drain-path: empty when drain-query is given (one way to measure a release)'
    ],
    [
      'a negative drain threshold',
      { 'drain-path': '/connections', 'drain-threshold': '-1' },
      'drain-threshold: a number of 0 or more, such as 0, 5 or 0.5'
    ],
    [
      'zero analysis rounds',
      { ...PROMETHEUS, analysis: 'error-rate', 'analysis-rounds': '0' },
      'analysis-rounds: a whole number from 1 to 100'
    ],
    [
      'an analysis interval over an hour',
      { ...PROMETHEUS, analysis: 'error-rate', 'analysis-interval': '2h' },
      'analysis-interval: a duration between 1s and 1h'
    ]
  ])('refuses %s, naming the input', (_what, inputs, problem) => {
    expect(refusal(inputs)).toEqual([problem])
  })
})

describe('bad analysis input in a deploy', () => {
  let shop: Shop
  beforeAll(async () => {
    shop = await startShop()
  })
  afterAll(() => shop?.stop())

  it.each<[string, Record<string, string>, string]>([
    ['an unknown check', { ...PROMETHEUS, analysis: 'error-rate, latency' }, 'analysis'],
    [
      'an unparsable rule',
      { ...PROMETHEUS, analysis: '- { name: error-rate, rule: "=< 1%" }' },
      'analysis'
    ],
    [
      'a bad Prometheus URL',
      { 'prometheus-url': 'prometheus:9090', analysis: 'error-rate' },
      'prometheus-url'
    ]
  ])('is refused before any request reaches the cluster: %s', async (_what, inputs, input) => {
    shop.cluster.resetRequests()
    const before = shop.stableSpecs()

    const result = await shop.run('deploy', inputs)

    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(new RegExp(`^Invalid input: ${input}: expected `))
    expect(shop.cluster.requests).toEqual([])
    expect(shop.stableSpecs()).toBe(before)
  })
})
