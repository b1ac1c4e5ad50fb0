/**
 * Two deploys of the same app at once serialize through the Lease <app>-canary-deploy: the second
 * waits for the first, then proceeds, or fails naming the holder when its lock-timeout runs out.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { NAMESPACE, startShop, type Shop } from '../commands/fixture.js'

let shop: Shop
beforeEach(async () => {
  shop = await startShop()
})
afterEach(() => shop.stop())

const asRun = (id: string) => ({
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_SHA: 'abcdef1234567',
  GITHUB_RUN_ID: id
})
const lease = () =>
  shop.cluster.get<{ spec?: { holderIdentity?: string } }>('Lease', NAMESPACE, 'shop-canary-deploy')

async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000
  while (!condition()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** Starts a deploy that holds the lock for a few seconds: its canary fails the smoke checks. */
async function firstDeployHoldingTheLock(env: Record<string, string>) {
  shop.canaryHealth.status = 500
  const first = shop.run('deploy', {}, env)
  await until(() => lease() !== undefined, 'the first deploy to take the lock')
  // Wrapped: an async function returning the promise itself would wait for the run to end.
  return { first }
}

describe('two deploys of the same app at once', () => {
  it('the second fails at its lock-timeout, naming the run that holds the lock, and writes no canary', async () => {
    const { first } = await firstDeployHoldingTheLock(asRun('1'))
    const second = await shop.run('deploy', { 'lock-timeout': '1s' }, asRun('2'))
    expect(second.report.status).toBe('failure')
    expect(second.report.reason).toMatch(
      /another run holds the lock shop-canary-deploy: acme\/shop@abcdef123456 run:1 .*waited 1 ?s/
    )
    // The canary is still the first run's: the second wrote none of its own.
    expect(
      shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, 'shop-web-canary')?.metadata
        ?.annotations?.['canary-deploy.dev/source']
    ).toContain('run:1')
    expect((await first).report.status).toBe('failure')
  })

  it('the second waits for the first to finish, then proceeds', async () => {
    const { first } = await firstDeployHoldingTheLock(asRun('1'))
    const second = shop.run('deploy', { 'lock-timeout': '60s' }, asRun('2'))
    const firstResult = await first
    // From here on the canary is healthy: only the second run can see that.
    shop.canaryHealth.status = 200
    expect(firstResult.report.status).toBe('failure')
    const secondResult = await second
    expect(secondResult.report.reason).toBeUndefined()
    expect(secondResult.report.status).toBe('success')
    expect(secondResult.logs.join('\n')).toMatch(
      /for acme\/shop@abcdef123456 run:1 \S+ to release the lock shop-canary-deploy/
    )
    expect(
      shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, 'shop-web-canary')?.metadata
        ?.annotations?.['canary-deploy.dev/source']
    ).toContain('run:2')
    expect(lease()).toBeUndefined()
  })

  // Two shells on the same commit (or two jobs of one workflow run) get the same holder identity,
  // `local@<sha> run:local`, and acquireLock treats the other's lease as its own earlier one.
  it('two runs from shells on the same commit do not share the lock', async () => {
    const { first } = await firstDeployHoldingTheLock({ GITHUB_SHA: 'abcdef1234567' })
    try {
      const second = await shop.run(
        'deploy',
        { 'lock-timeout': '1s' },
        { GITHUB_SHA: 'abcdef1234567' }
      )
      expect(second.report.reason).toMatch(/another run holds the lock shop-canary-deploy/)
    } finally {
      await first
    }
  })
})
