import type { V1Deployment } from '@kubernetes/client-node'
import { NAMESPACE, startShop, type Shop } from './fixture.js'
import { get, putWebService, seedRelease, writesTo } from './strategies-fixture.js'

let shop: Shop

beforeEach(async () => {
  shop = await startShop(['shop-web'])
})
afterEach(() => shop.stop())

const releasesLeft = () =>
  shop.cluster
    .list<V1Deployment>('Deployment', NAMESPACE, 'canary-deploy.dev/release-of=shop-web')
    .map(d => d.metadata?.labels?.['canary-deploy.dev/release'])
    .sort()

const cleanup = (inputs: Record<string, string> = {}) =>
  shop.run('cleanup', { strategy: 'rainbow', deployments: 'shop-web', ...inputs })

describe('cleanup', () => {
  beforeEach(() => {
    putWebService(shop, { app: 'shop-web', 'canary-deploy.dev/release': 'eeeeee' })
    seedRelease(shop, 'aaaaaa', { releasedHoursAgo: 100, replacedHoursAgo: 80 })
    seedRelease(shop, 'bbbbbb', { releasedHoursAgo: 80, replacedHoursAgo: 50 })
    seedRelease(shop, 'cccccc', { releasedHoursAgo: 50, replacedHoursAgo: 30 })
    seedRelease(shop, 'dddddd', { releasedHoursAgo: 30, replacedHoursAgo: 2 })
    seedRelease(shop, 'eeeeee', { releasedHoursAgo: 2 })
    seedRelease(shop, 'ffffff')
  })

  it('deletes the drained releases beyond keep-releases, and only those', async () => {
    const result = await cleanup({ 'keep-releases': '3', 'drain-min-age': '24h' })
    expect(result.report.reason).toBeUndefined()
    expect(releasesLeft()).toEqual(['cccccc', 'dddddd', 'eeeeee', 'ffffff'])
    expect(writesTo(shop, 'deployments')).toEqual(['deletecollection deployments/undefined'])
  })

  it('keeps a release beyond keep-releases that has not drained for drain-min-age', async () => {
    await cleanup({ 'keep-releases': '2', 'drain-min-age': '60h' })
    expect(releasesLeft()).toEqual(['bbbbbb', 'cccccc', 'dddddd', 'eeeeee', 'ffffff'])
  })

  it('takes the live release from the Service selector', async () => {
    // The Service says cccccc is live (a rollback), whatever the annotations say.
    putWebService(shop, { app: 'shop-web', 'canary-deploy.dev/release': 'cccccc' })
    await cleanup({ 'keep-releases': '2', 'drain-min-age': '0s' })
    expect(get.deployment(shop, 'shop-web-cccccc')).toBeDefined()
  })

  it('reports each release with its state, age and reason', async () => {
    const result = await cleanup({ 'keep-releases': '3', 'drain-min-age': '24h' })
    const table = result.report.sections.find(s => s.title === 'Releases')?.body ?? ''
    expect(table).toContain('| release | state | age | reason |')
    expect(table).toMatch(/\| shop-web-eeeeee \| live \|/)
    expect(table).toMatch(/\| shop-web-dddddd \| previous \| 2 h \|/)
    expect(table).toMatch(/\| shop-web-cccccc \| kept \|/)
    expect(table).toMatch(/\| shop-web-aaaaaa \| deleted \| 3\.3 d \|/)
    expect(table).toMatch(/\| shop-web-ffffff \| pending \|/)
    expect(result.report.facts).toContainEqual(['deleted', '2'])
  })

  it('deletes releases labelled with their own name and with their <sha6> alike', async () => {
    for (const id of ['111111', '222222', '333333'])
      seedRelease(shop, id, {
        releasedHoursAgo: 200,
        replacedHoursAgo: 150,
        label: `shop-web-${id}`
      })
    await cleanup({ 'keep-releases': '3', 'drain-min-age': '24h' })
    expect(releasesLeft()).toEqual(['cccccc', 'dddddd', 'eeeeee', 'ffffff'])
  })

  it('has nothing to clean with the replicas strategy', async () => {
    const result = await cleanup({ strategy: 'replicas' })
    expect(result.report.status).toBe('no-op')
    expect(result.report.reason).toContain('nothing to clean')
    expect(shop.cluster.writes()).toEqual([])
  })
})
