/**
 * A strategy's refusal writes nothing, not even a Lease or a GitHub deployment record: its checks
 * read the cluster before deploy takes the lock and before it records the deployment.
 */
import { startGitHubApi, type GitHubApi } from '../harness/github.js'
import { NEW_DIGEST, startShop, type Shop } from './fixture.js'
import { CANARY_HOST, PROMOTE, putWebIngress, putWebService } from './strategies-fixture.js'

const TRACK = 'canary-deploy.dev/track'
const COMMIT = { GITHUB_SHA: 'abcdef1234567890', GITHUB_REPOSITORY: 'acme/shop' }

/** Each refusal: the strategy's inputs, the cluster it meets, and what the refusal says. */
const REFUSALS: [string, Record<string, string>, (shop: Shop) => Promise<void>, string][] = [
  [
    'ingress-host without a Service for the web pods',
    { strategy: 'ingress-host', 'canary-host': CANARY_HOST },
    async () => undefined,
    'no Service selects the pods of shop-web'
  ],
  [
    'ingress-weight without an Ingress in front of the Service',
    { strategy: 'ingress-weight' },
    async shop => void putWebService(shop),
    'no Ingress routes to Service shop-web'
  ],
  [
    'rainbow with a Service that would reach the release before promotion',
    { strategy: 'rainbow' },
    async shop => void putWebService(shop, { app: 'shop-web' }),
    'would join it before promotion'
  ],
  [
    'rainbow with the release name taken by a live release of another version',
    { strategy: 'rainbow', version: 'v3' },
    async shop => {
      putWebService(shop, { app: 'shop-web', [TRACK]: 'stable' })
      putWebIngress(shop)
      expect((await shop.run('deploy', { strategy: 'rainbow' }, COMMIT)).report.status).toBe(
        'success'
      )
      const promoted = await shop.run(
        'promote',
        { strategy: 'rainbow', ...PROMOTE, digest: NEW_DIGEST },
        COMMIT
      )
      expect(promoted.report.status).toBe('success')
    },
    'shop-web-abcdef went live as version v2'
  ]
]

describe.each(REFUSALS)('deploy refuses %s', (_name, inputs, meet, reason) => {
  let shop: Shop
  let github: GitHubApi
  beforeEach(async () => {
    shop = await startShop()
    github = await startGitHubApi()
    await meet(shop)
    await shop.cluster.settle()
    shop.cluster.resetRequests()
  })
  afterEach(async () => {
    await shop.stop()
    await github.stop()
  })

  it('writing nothing: no Lease, no object, no GitHub deployment record', async () => {
    const result = await shop.run(
      'deploy',
      { ...inputs, 'github-token': github.token },
      { ...COMMIT, GITHUB_API_URL: github.url }
    )
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(reason)
    expect(shop.cluster.writes()).toEqual([])
    expect(github.state.deployments).toEqual([])
    expect(github.state.statuses).toEqual([])
  })
})
