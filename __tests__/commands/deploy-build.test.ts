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
  /** examples/app built offline and pushed to the registry with its credentials. */
  const build = () => ({
    build: 'true',
    image: `${registry.host}/shop`,
    'build-context': 'examples/app',
    dockerfile: 'examples/app/Dockerfile.offline',
    'registry-username': auth.user,
    'registry-password': auth.password,
    cache: 'none'
  })
  afterEach(() => shop.stop())

  it('builds, pushes and deploys the pushed digest as the canary', async () => {
    const result = await shop.run('deploy', { ...build(), 'build-args': 'APP_VERSION=v2' }, {
      ...process.env,
      ...sandbox.env
    } as Record<string, string>)
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

  it('pushes the extra tags as the release digest and sets the imageid and metadata outputs', async () => {
    const result = await shop.run(
      'deploy',
      { ...build(), tags: 'latest', labels: 'org.opencontainers.image.title=Shop' },
      { ...process.env, ...sandbox.env } as Record<string, string>
    )
    expect(result.report.reason).toBeUndefined()
    const latest = await fetch(`http://${registry.host}/v2/shop/manifests/latest`, {
      method: 'HEAD',
      headers: {
        Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`,
        Accept: 'application/vnd.docker.distribution.manifest.v2+json'
      }
    })
    expect(latest.headers.get('docker-content-digest')).toBe(result.outputs.digest)
    expect(result.outputs.imageid).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(JSON.parse(result.outputs.metadata ?? '{}')).toMatchObject({
      'containerimage.digest': result.outputs.digest,
      'containerimage.config.digest': result.outputs.imageid
    })
  }, 120_000)
})
