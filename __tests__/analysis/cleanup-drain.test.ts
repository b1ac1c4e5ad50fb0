/**
 * Issue 15's drain-aware rainbow cleanup, end to end: two replaced releases beyond keep-releases,
 * old enough to go, one drained and one still holding its users' connections, each pod a real
 * examples/app process. cleanup measures each release (through the pod proxy, or on the real
 * Prometheus through the service proxy), deletes the drained one, keeps the busy one, and its
 * summary shows every release's load and why it was kept or deleted.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { CommandResult } from '../../src/commands/types.js'
import { NAMESPACE } from '../commands/fixture.js'
import { putWebService, seedRelease } from '../commands/strategies-fixture.js'
import { startLiveShop, type LiveShop } from './live-shop.js'

const VERSION = 'canary-deploy.dev/version'
let shop: LiveShop

beforeEach(async () => {
  shop = await startLiveShop()
  // aaaaaa was replaced long ago and its users are gone; bbbbbb still serves open connections.
  shop.behave('v-aaaaaa', { idle: true })
  putWebService(shop, { app: 'shop-web', 'canary-deploy.dev/release': 'dddddd' })
  const release = (id: string, released: number, replaced?: number) =>
    seedRelease(shop, id, {
      releasedHoursAgo: released,
      replacedHoursAgo: replaced,
      replicas: 1,
      podLabels: { [VERSION]: `v-${id}` }
    })
  release('aaaaaa', 100, 80)
  release('bbbbbb', 80, 50)
  release('cccccc', 50, 30)
  release('dddddd', 30)
  await shop.cluster.settle()
  // Every release pod is a process Prometheus scrapes, busy ones with users' traffic.
  const open = (id: string) => `sum(http_open_connections{canary_deploy_dev_release="${id}"})`
  await shop.prometheus.waitFor(open('aaaaaa'), n => n === 0)
  await shop.prometheus.waitFor(open('bbbbbb'), n => n === 2)
}, 120_000)
afterEach(() => shop.stop())

type Run = CommandResult & { logs: string[] }

const cleanup = (inputs: Record<string, string>): Promise<Run> =>
  shop.run('cleanup', {
    strategy: 'rainbow',
    deployments: 'shop-web',
    'keep-releases': '2',
    'drain-min-age': '24h',
    ...inputs
  })

const releasesLeft = () =>
  shop.cluster
    .list<V1Deployment>('Deployment', NAMESPACE, 'canary-deploy.dev/release-of=shop-web')
    .map(d => d.metadata?.name)
    .sort()

/** The row of the summary's releases table for `name`, as its cells. */
function row(run: Run, name: string): string[] {
  const table = run.report.sections.find(s => s.title === 'Releases')?.body ?? ''
  const line = table.split('\n').find(l => l.startsWith(`| ${name} |`)) ?? ''
  return line
    .slice(2, -2)
    .split(/ (?<!\\)\| /)
    .map(cell => cell.trim())
}

describe('rainbow cleanup measuring each release through the pod proxy (drain-path)', () => {
  let run: Run
  const pods = new Map<string, string>()
  beforeEach(async () => {
    for (const id of ['aaaaaa', 'bbbbbb']) {
      const [pod] = shop.cluster.list('Pod', NAMESPACE, `canary-deploy.dev/release=${id}`)
      pods.set(id, pod?.metadata?.name ?? '')
    }
    run = await cleanup({ 'drain-path': '/connections', 'drain-threshold': '0' })
  }, 60_000)

  it('deletes the drained release and keeps the busy one', () => {
    expect(run.report.reason).toBeUndefined()
    expect(releasesLeft()).toEqual(['shop-web-bbbbbb', 'shop-web-cccccc', 'shop-web-dddddd'])
  })

  it("shows each release's measured load and why it was kept or deleted", () => {
    const pod = (id: string) => pods.get(id)

    expect(row(run, 'shop-web-aaaaaa')).toEqual([
      'shop-web-aaaaaa',
      'deleted',
      '3.3 d',
      `0 (GET /connections on 1 pod: ${pod('aaaaaa')}: 0)`,
      'beyond the newest 2, drained for 3.3 d; drained: load 0 <= drain-threshold 0'
    ])
    expect(row(run, 'shop-web-bbbbbb')).toEqual([
      'shop-web-bbbbbb',
      'busy',
      '2.1 d',
      `2 (GET /connections on 1 pod: ${pod('bbbbbb')}: 2)`,
      'busy: load 2 > drain-threshold 0: kept'
    ])
    expect(row(run, 'shop-web-dddddd').slice(1, 2)).toEqual(['live'])
    expect(row(run, 'shop-web-dddddd')[3]).toMatch(/^2 \(GET \/connections on 1 pod: /)
  })
})

describe('rainbow cleanup measuring each release on Prometheus (drain-query)', () => {
  it('deletes the drained release, keeps the busy one, and shows the query with each load', async () => {
    const run = await cleanup({
      'drain-query': 'sum(http_open_connections{ {{selector}} })',
      'drain-threshold': '0',
      'prometheus-service': shop.prometheusService
    })

    expect(run.report.reason).toBeUndefined()
    expect(releasesLeft()).toEqual(['shop-web-bbbbbb', 'shop-web-cccccc', 'shop-web-dddddd'])
    expect(row(run, 'shop-web-aaaaaa').slice(1)).toEqual([
      'deleted',
      '3.3 d',
      '0 (sum(http_open_connections{ app="shop-web",canary_deploy_dev_release="aaaaaa" }): measured)',
      'beyond the newest 2, drained for 3.3 d; drained: load 0 <= drain-threshold 0'
    ])
    expect(row(run, 'shop-web-bbbbbb').slice(1)).toEqual([
      'busy',
      '2.1 d',
      '2 (sum(http_open_connections{ app="shop-web",canary_deploy_dev_release="bbbbbb" }): measured)',
      'busy: load 2 > drain-threshold 0: kept'
    ])
  }, 60_000)
})
