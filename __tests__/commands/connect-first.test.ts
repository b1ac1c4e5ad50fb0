/**
 * A command whose first outside contact is its cluster begins connecting before its own code is
 * loaded (run-command.ts). What it reports is unchanged: one question to the server, asked first,
 * the connect stage's lines inside that stage, and a server that cannot be reached named there.
 */
import { createServer, type AddressInfo } from 'node:net'
import { startShop, type Shop } from './fixture.js'

/** A loopback address where nothing listens any more. */
async function closedUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

let shop: Shop
beforeEach(async () => {
  shop = await startShop(['shop-web'])
})
afterEach(() => shop.stop())

/** Requests for no resource: what reaching the server (GET /version) sends. */
const reachRequests = () => shop.cluster.requests.filter(r => r.resource === '')

describe('deploy (no build)', () => {
  it('asks the server for its version once, and before anything else', async () => {
    shop.cluster.resetRequests()

    const result = await shop.run('deploy')

    expect(result.report.status).toBe('success')
    expect(reachRequests()).toHaveLength(1)
    expect(shop.cluster.requests[0]).toBe(reachRequests()[0])
    const connect = result.report.stages.find(s => s.name === 'connect')
    expect(connect?.detail).toMatch(/^http:\/\/127\.0\.0\.1:\d+ \(Kubernetes v1\.\d+/)
  })

  it('logs what connecting said inside its connect stage', async () => {
    const result = await shop.run('deploy')

    const stage = result.logs.indexOf('[connect]')
    const warning = result.logs.findIndex(line => line.startsWith('warning: TLS verification'))
    expect(stage).toBeGreaterThanOrEqual(0)
    expect(warning).toBeGreaterThan(stage)
    expect(result.logs.slice(stage + 1, warning).filter(line => line.startsWith('['))).toEqual([])
  })

  it('fails in its connect stage, naming the server, when nothing answers there', async () => {
    const url = await closedUrl()
    const before = shop.stableSpecs()

    const result = await shop.run('deploy', {
      kubeconfig: shop.cluster.kubeconfig.replace(shop.cluster.url, url)
    })

    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(
      `could not reach the API server ${url}: connection refused`
    )
    expect(result.report.stages.find(s => s.status === 'failed')?.name).toBe('connect')
    expect(shop.stableSpecs()).toBe(before)
  })
})

describe('rollback', () => {
  it('asks the server for its version once, and before anything else', async () => {
    await shop.run('deploy')
    shop.cluster.resetRequests()

    const result = await shop.run('rollback')

    expect(result.report.status).toBe('success')
    expect(reachRequests()).toHaveLength(1)
    expect(shop.cluster.requests[0]).toBe(reachRequests()[0])
  })
})
