/**
 * The real thing: buildah builds the fixture, pushes it to a real registry (docker-registry with
 * htpasswd auth), and the registry's own HTTP API confirms the digest we report.
 */
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { MemoryLogger } from '../../src/logger.js'
import { BuildahBuilder } from '../../src/image/buildah.js'
import { resolveDigest } from '../../src/image/registry.js'
import type { BuildRequest } from '../../src/image/types.js'
import { buildahMissingReason, buildahSandbox, type BuildahSandbox } from '../harness/buildah.js'
import { startRegistry, type TestRegistry } from '../harness/registry.js'
import { PLAIN_BUILD } from '../../src/image/plain-build.js'

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'app')
const auth = { user: 'deployer', password: 'correct-horse-battery' }
const basicAuth = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`
const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json'

const missing = buildahMissingReason()
if (missing) console.warn(missing)
const describeWithBuildah = missing ? describe.skip : describe

async function registryGet(host: string, path: string, accept = MANIFEST_V2): Promise<Response> {
  return fetch(`http://${host}/v2/${path}`, {
    headers: { Authorization: basicAuth, Accept: accept }
  })
}

describeWithBuildah('buildah against a real registry', () => {
  let registry: TestRegistry
  let sandbox: BuildahSandbox
  let builder: BuildahBuilder

  const request = (overrides: Partial<BuildRequest> = {}): BuildRequest => ({
    context: fixture,
    dockerfile: join(fixture, 'Dockerfile'),
    image: `${registry.host}/shop/web:v1`,
    buildArgs: { VERSION: '1.0.0' },
    ...PLAIN_BUILD,
    cache: 'auto',
    version: '1.0.0',
    revision: 'abc123',
    source: 'https://github.com/acme/shop',
    logger: new MemoryLogger(),
    ...overrides
  })

  beforeAll(async () => {
    registry = await startRegistry({ auth })
    sandbox = await buildahSandbox()
    builder = new BuildahBuilder(sandbox.env)
    await builder.login(registry.host, auth.user, auth.password)
  })

  afterAll(async () => {
    await registry?.stop()
    await sandbox?.dispose()
  })

  it('pushes an image whose digest is the one the registry serves for the tag', async () => {
    const result = await builder.build(request())
    const response = await registryGet(registry.host, 'shop/web/manifests/v1')
    expect(response.status).toBe(200)
    expect(result.digest).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(response.headers.get('docker-content-digest')).toBe(result.digest)
    expect(result.imageRef).toBe(`${registry.host}/shop/web@${result.digest}`)
  })

  it('reuses every cached layer when nothing changed', async () => {
    // A label no other test uses, so the first build cannot reuse another test's layers.
    const unchanged = { image: `${registry.host}/shop/cache:v1`, labels: { 'test.case': 'cache' } }
    const first = await builder.build(request(unchanged))
    const logger = new MemoryLogger()
    const second = await builder.build(request({ ...unchanged, logger }))
    expect(first.cacheHit).toBe(false)
    expect(second.cacheHit).toBe(true)
    expect(logger.lines.some(line => line.startsWith('--> Using cache'))).toBe(true)
    expect(second.digest).toBe(first.digest)
  })

  it('labels the image with the version even when only the version changed', async () => {
    await builder.build(request({ image: `${registry.host}/shop/labels:v1` }))
    const result = await builder.build(
      request({
        image: `${registry.host}/shop/labels:v2`,
        version: '2.0.0',
        buildArgs: { VERSION: '2.0.0' }
      })
    )
    const manifest = (await (
      await registryGet(registry.host, `shop/labels/manifests/${result.digest}`)
    ).json()) as {
      config: { digest: string }
    }
    const config = (await (
      await registryGet(registry.host, `shop/labels/blobs/${manifest.config.digest}`, '*/*')
    ).json()) as {
      config: { Labels: Record<string, string> }
    }
    expect(config.config.Labels).toMatchObject({
      'canary-deploy.dev/version': '2.0.0',
      'org.opencontainers.image.version': '2.0.0',
      'org.opencontainers.image.revision': 'abc123',
      'org.opencontainers.image.source': 'https://github.com/acme/shop'
    })
  })

  it('pushes each extra tag as the same image, and reports the image ID as its config digest', async () => {
    const result = await builder.build(
      request({
        image: `${registry.host}/shop/tags:v1`,
        tags: [`${registry.host}/shop/tags:latest`, `${registry.host}/shop/tags:stable`]
      })
    )
    for (const tag of ['v1', 'latest', 'stable']) {
      const response = await registryGet(registry.host, `shop/tags/manifests/${tag}`)
      expect(response.headers.get('docker-content-digest')).toBe(result.digest)
    }
    const manifest = (await (
      await registryGet(registry.host, `shop/tags/manifests/${result.digest}`)
    ).json()) as { config: { digest: string } }
    expect(result.imageId).toBe(manifest.config.digest)
    expect(JSON.parse(result.metadata)).toEqual({
      'containerimage.digest': result.digest,
      'containerimage.config.digest': result.imageId,
      'image.name': `${registry.host}/shop/tags:v1`
    })
  })

  it('refuses a wrong password with a message that names the registry, not the password', async () => {
    const other = new BuildahBuilder(sandbox.env)
    const wrong = 'not-the-password-42'
    const error = await other.login(registry.host, auth.user, wrong).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain(registry.host)
    expect((error as Error).message).not.toContain(wrong)
  })

  it('resolves a pushed tag to its digest through the registry API with basic auth', async () => {
    const built = await builder.build(request({ image: `${registry.host}/shop/resolve:v7` }))
    const resolved = await resolveDigest(`${registry.host}/shop/resolve:v7`, {
      username: auth.user,
      password: auth.password
    })
    expect(resolved.digest).toBe(built.digest)
    expect(resolved.imageRef).toBe(`${registry.host}/shop/resolve@${built.digest}`)
  })
})
