/**
 * Drain measurement of rainbow releases from real processes of the example app: one release whose
 * clients have gone, one whose clients hold connections open. Measured through each pod's path
 * (as the k8s layer's pod proxy will carry it) and through a real Prometheus scraping them.
 */
import {
  decideDrain,
  measureLoadByPods,
  measureLoadByQuery,
  type DrainCandidate,
  type LoadReading,
  type PodEndpoint
} from '../../src/analysis/drain.js'
import { PrometheusClient, urlTransport } from '../../src/analysis/prometheus.js'
import { podMatchers } from '../../src/analysis/promql.js'
import { startExampleApp, type ExampleApp } from '../harness/example-app.js'
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.js'
import { startTraffic, type Traffic } from '../harness/traffic.js'

const DRAINED = 'a1b2c3'
const BUSY = 'd4e5f6'
const OPEN_CONNECTIONS = 'sum(http_open_connections{ {{selector}} })'

let prometheus: TestPrometheus
const pods = new Map<string, ExampleApp>()
const traffic: Traffic[] = []

const releaseLabels = (release: string): Record<string, string> => ({
  app: 'shop-web',
  'canary-deploy.dev/release': release
})
const podsOf = (release: string): string[] =>
  [...pods.keys()].filter(name => name.startsWith(`shop-web-${release}-`))

/** A pod reached straight at its process, as the pod proxy reaches it in a cluster. */
function endpoint(name: string): PodEndpoint {
  return {
    name,
    async fetch(path, signal) {
      const response = await fetch(`${pods.get(name)?.url}${path}`, { signal })
      return { status: response.status, body: await response.text() }
    }
  }
}

async function openConnections(name: string): Promise<number> {
  return Number(await (await fetch(`${pods.get(name)?.url}/connections`)).text())
}

beforeAll(async () => {
  prometheus = await startPrometheus()
  const names = [`shop-web-${DRAINED}-p1`, `shop-web-${BUSY}-p1`, `shop-web-${BUSY}-p2`]
  for (const name of names) pods.set(name, await startExampleApp({ version: name.split('-')[2] }))
  // The busy release's clients: two connections to one pod, one to the other, kept open.
  traffic.push(startTraffic(pods.get(names[1])!.url, { connections: 2, pauseMs: 50 }))
  traffic.push(startTraffic(pods.get(names[2])!.url, { connections: 1, pauseMs: 50 }))
  // The drained release served a client that has since left.
  const gone = startTraffic(pods.get(names[0])!.url, { connections: 1, maxRequests: 3 })
  await gone.stop()
  await prometheus.setTargets(
    names.map(name => ({
      address: pods.get(name)!.address,
      namespace: 'shop',
      pod: name,
      podLabels: releaseLabels(name.split('-')[2])
    }))
  )
  const connected = async (): Promise<boolean> =>
    (await openConnections(names[0])) === 0 &&
    (await openConnections(names[1])) === 2 &&
    (await openConnections(names[2])) === 1
  for (let i = 0; i < 100 && !(await connected()); i++) await new Promise(r => setTimeout(r, 50))
  await prometheus.waitFor(
    `sum(http_open_connections{canary_deploy_dev_release="${BUSY}"})`,
    v => v === 3
  )
  await prometheus.waitFor(
    `sum(http_open_connections{canary_deploy_dev_release="${DRAINED}"})`,
    v => v === 0
  )
})
afterAll(async () => {
  await Promise.all(traffic.map(t => t.stop()))
  await Promise.all([...pods.values()].map(p => p.stop()))
  await prometheus?.stop()
})

describe('load of a release, from the path each pod answers', () => {
  it("sums the open connections of the release's pods", async () => {
    const reading = await measureLoadByPods(podsOf(BUSY).map(endpoint), '/connections')

    expect(reading).toEqual({
      load: 3,
      source: 'GET /connections on 2 pods',
      detail: `shop-web-${BUSY}-p1: 2, shop-web-${BUSY}-p2: 1`
    })
  })

  it('measures a release whose clients have left as 0', async () => {
    const reading = await measureLoadByPods(podsOf(DRAINED).map(endpoint), '/connections')

    expect(reading.load).toBe(0)
  })

  it('does not know the load when a pod answers something other than a number', async () => {
    const reading = await measureLoadByPods(podsOf(DRAINED).map(endpoint), '/metrics')

    expect(reading.load).toBeUndefined()
    expect(reading.detail).toMatch(
      /^unknown: shop-web-a1b2c3-p1: answered "# HELP .*", not a number$/
    )
  })

  it('does not know the load when a pod does not answer', async () => {
    const gone: PodEndpoint = { name: 'shop-web-a1b2c3-p9', fetch: () => new Promise(() => {}) }
    const reading = await measureLoadByPods(
      [...podsOf(DRAINED).map(endpoint), gone],
      '/connections',
      { timeoutMs: 200 }
    )

    expect(reading).toMatchObject({
      detail: 'unknown: shop-web-a1b2c3-p1: 0, shop-web-a1b2c3-p9: no answer within 200 ms'
    })
    expect(reading.load).toBeUndefined()
  })

  it('measures a release without pods as 0', async () => {
    expect(await measureLoadByPods([], '/connections')).toMatchObject({ load: 0 })
  })
})

describe('load of a release, from a Prometheus query', () => {
  const client = (): PrometheusClient => new PrometheusClient(urlTransport(prometheus.url))

  it("reads the release's open connections from its series", async () => {
    const reading = await measureLoadByQuery(
      client(),
      OPEN_CONNECTIONS,
      podMatchers(releaseLabels(BUSY))
    )

    expect(reading).toEqual({
      load: 3,
      source: `sum(http_open_connections{ app="shop-web",canary_deploy_dev_release="${BUSY}" })`,
      detail: 'measured'
    })
  })

  it('does not know the load of a release Prometheus has no series of', async () => {
    const reading = await measureLoadByQuery(
      client(),
      OPEN_CONNECTIONS,
      podMatchers(releaseLabels('0f0f0f'))
    )

    expect(reading.load).toBeUndefined()
    expect(reading.detail).toBe('unknown: empty result: no series matched')
  })
})

describe('drain decision from measured loads', () => {
  it('deletes the drained release and keeps the busy one, saying why', async () => {
    const candidates: DrainCandidate[] = [DRAINED, BUSY].map(release => ({
      name: `shop-web-${release}`,
      delete: true,
      reason: 'beyond the newest 3, drained for 2 d'
    }))
    const loads = new Map<string, LoadReading>()
    for (const release of [DRAINED, BUSY]) {
      loads.set(
        `shop-web-${release}`,
        await measureLoadByPods(podsOf(release).map(endpoint), '/connections')
      )
    }

    const decisions = decideDrain(candidates, loads, 0)

    expect(decisions.map(d => [d.name, d.delete, d.reason])).toEqual([
      [
        `shop-web-${DRAINED}`,
        true,
        'beyond the newest 3, drained for 2 d; drained: load 0 <= drain-threshold 0'
      ],
      [`shop-web-${BUSY}`, false, 'busy: load 3 > drain-threshold 0: kept']
    ])
    expect(decisions[1].load?.detail).toBe(`shop-web-${BUSY}-p1: 2, shop-web-${BUSY}-p2: 1`)
  })
})

describe('decideDrain', () => {
  const measured = (load?: number): LoadReading => ({
    ...(load === undefined ? {} : { load }),
    source: 'q',
    detail: load === undefined ? 'unknown: empty result: no series matched' : 'measured'
  })
  const doomed: DrainCandidate = { name: 'r', delete: true, reason: 'old' }

  it('keeps what the age rules keep, with their reason and the load shown', () => {
    const [decision] = decideDrain(
      [{ name: 'r', delete: false, reason: 'among the newest 3' }],
      new Map([['r', measured(0)]]),
      0
    )

    expect(decision).toEqual({
      name: 'r',
      delete: false,
      reason: 'among the newest 3',
      load: measured(0)
    })
  })

  it('deletes a release whose load is exactly the threshold', () => {
    expect(decideDrain([doomed], new Map([['r', measured(5)]]), 5)[0].delete).toBe(true)
  })

  it('keeps a release whose load is unknown, saying so', () => {
    const [decision] = decideDrain([doomed], new Map([['r', measured()]]), 0)

    expect(decision).toMatchObject({
      delete: false,
      reason: 'old; but its load is unknown: empty result: no series matched: kept'
    })
  })

  it('keeps a release whose load was not measured', () => {
    expect(decideDrain([doomed], new Map(), 0)[0]).toEqual({
      name: 'r',
      delete: false,
      reason: 'old; but its load was not measured: kept'
    })
  })
})
