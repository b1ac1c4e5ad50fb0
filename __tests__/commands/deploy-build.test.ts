/**
 * The example app from commit to canary for real: buildah builds examples/app, pushes it to a real
 * registry with basic auth, and deploy puts exactly that digest on the test cluster.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { buildahMissingReason, buildahSandbox, type BuildahSandbox } from '../harness/buildah.js'
import { startRegistry, type TestRegistry } from '../harness/registry.js'
import { NAMESPACE, startShop, type Shop } from './fixture.js'

const missing = buildahMissingReason()
if (missing) console.warn(missing)
const describeWithBuildah = missing ? describe.skip : describe
const auth = { user: 'deployer', password: 'registry-s3cret-pw' }

describeWithBuildah('deploy with a real build of examples/app', () => {
  let shop: Shop
  let registry: TestRegistry
  let sandbox: BuildahSandbox

  beforeAll(async () => {
    registry = await startRegistry({ auth })
    sandbox = await buildahSandbox()
  })
  afterAll(async () => {
    await registry.stop()
    await sandbox.dispose()
  })
  beforeEach(async () => (shop = await startShop()))
  afterEach(() => shop.stop())

  it('builds, pushes and deploys the pushed digest as the canary', async () => {
    const result = await shop.run(
      'deploy',
      {
        build: 'true',
        image: `${registry.host}/shop`,
        'build-context': 'examples/app',
        dockerfile: 'examples/app/Dockerfile.offline',
        'build-args': 'APP_VERSION=v2',
        'registry-username': auth.user,
        'registry-password': auth.password,
        cache: 'none'
      },
      { ...process.env, ...sandbox.env } as Record<string, string>
    )
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')

    const manifest = await fetch(`http://${registry.host}/v2/shop/manifests/v2`, {
      method: 'HEAD',
      headers: {
        Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`,
        Accept:
          'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
      }
    })
    const pushed = manifest.headers.get('docker-content-digest')
    expect(pushed).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(result.outputs.digest).toBe(pushed)
    const canary = shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, 'shop-web-canary')
    expect(canary?.spec?.template.spec?.containers[0].image).toBe(`${registry.host}/shop@${pushed}`)
    expect(result.logs.join('\n')).not.toContain(auth.password)
  }, 120_000)
})
