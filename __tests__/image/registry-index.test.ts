/**
 * The registry digest lookup against a real registry (docker-registry) holding indexes that buildah
 * pushed (`buildah manifest create/add/push`): an OCI image index and a Docker manifest list. What
 * an attested or multi-platform build pushes is such an index, and the release is bound to the
 * index's digest, the one the tag points to, never to one of the images inside it.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PLAIN_BUILD } from '../../src/image/plain-build.js'
import { BuildahBuilder } from '../../src/image/buildah.js'
import { execRunner } from '../../src/image/command.js'
import { MANIFEST_ACCEPT, resolveDigest } from '../../src/image/registry.js'
import { MemoryLogger } from '../../src/logger.js'
import { buildahMissingReason, buildahSandbox, type BuildahSandbox } from '../harness/buildah.js'
import { startRegistry, type TestRegistry } from '../harness/registry.js'

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'app')
const auth = { user: 'deployer', password: 'correct-horse-battery' }
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'

const missing = buildahMissingReason()
if (missing) console.warn(missing)
const describeWithBuildah = missing ? describe.skip : describe

interface PushedIndex {
  ref: string
  digest: string
  images: string[]
}

describeWithBuildah('the registry digest lookup with indexes buildah pushed', () => {
  let registry: TestRegistry
  let sandbox: BuildahSandbox
  let work: string
  const indexes: Record<'oci' | 'v2s2', PushedIndex> = {} as Record<'oci' | 'v2s2', PushedIndex>

  async function buildah(args: string[]): Promise<string> {
    const result = await execRunner('buildah', args, { env: sandbox.env })
    if (result.exitCode !== 0) throw new Error(`buildah ${args.join(' ')}: ${result.stderr}`)
    return result.stdout
  }

  /** Two images of the app (amd64 and arm64 in the index), then the index pushed in one format. */
  async function pushIndex(format: 'oci' | 'v2s2', builder: BuildahBuilder): Promise<PushedIndex> {
    const repository = `${registry.host}/shop/${format}`
    const images: string[] = []
    for (const arch of ['amd64', 'arm64']) {
      const built = await builder.build({
        ...PLAIN_BUILD,
        context: fixture,
        dockerfile: join(fixture, 'Dockerfile'),
        image: `${repository}:${arch}`,
        buildArgs: {},
        labels: { 'test.arch': `${arch}-${format}` },
        cache: 'none',
        version: '1.0.0',
        revision: 'abc123',
        source: 'https://github.com/acme/shop',
        logger: new MemoryLogger()
      })
      images.push(built.digest)
    }
    const list = `shop-${format}-list`
    await buildah(['manifest', 'create', list])
    for (const [i, arch] of ['amd64', 'arm64'].entries()) {
      await buildah([
        'manifest',
        'add',
        '--arch',
        arch,
        '--os',
        'linux',
        list,
        `${repository}:${arch}`
      ])
      expect(images[i]).toMatch(/^sha256:/)
    }
    const digestFile = join(work, `${format}.digest`)
    await buildah([
      'manifest',
      'push',
      '--all',
      '--format',
      format,
      '--tls-verify=false',
      '--digestfile',
      digestFile,
      list,
      `docker://${repository}:v1`
    ])
    return { ref: `${repository}:v1`, digest: (await readFile(digestFile, 'utf8')).trim(), images }
  }

  beforeAll(async () => {
    registry = await startRegistry({ auth })
    sandbox = await buildahSandbox()
    work = await mkdtemp(join(tmpdir(), 'canary-index-'))
    const builder = new BuildahBuilder(sandbox.env)
    await builder.login(registry.host, auth.user, auth.password)
    indexes.oci = await pushIndex('oci', builder)
    indexes.v2s2 = await pushIndex('v2s2', builder)
  })

  afterAll(async () => {
    await registry?.stop()
    await sandbox?.dispose()
    if (work) await rm(work, { recursive: true, force: true })
  })

  const credentials = { username: auth.user, password: auth.password }

  /** What the registry serves for the tag when asked for exactly this media type. */
  async function served(ref: string, accept: string) {
    const [host, ...path] = ref.split('/')
    const [name, tag] = path.join('/').split(':')
    const basic = Buffer.from(`${auth.user}:${auth.password}`).toString('base64')
    const response = await fetch(`http://${host}/v2/${name}/manifests/${tag}`, {
      headers: { Authorization: `Basic ${basic}`, Accept: accept }
    })
    const body = Buffer.from(await response.arrayBuffer())
    return {
      mediaType: (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType,
      digest: `sha256:${createHash('sha256').update(body).digest('hex')}`
    }
  }

  it.each([
    ['oci', OCI_INDEX],
    ['v2s2', DOCKER_LIST]
  ] as const)('the %s tag points at an index (%s)', async (format, mediaType) => {
    const index = await served(indexes[format].ref, mediaType)
    expect(index.mediaType).toBe(mediaType)
    expect(index.digest).toBe(indexes[format].digest)
  })

  it.each(['oci', 'v2s2'] as const)(
    'resolves the %s index tag to the index digest buildah pushed, not an image in it',
    async format => {
      const { ref, digest, images } = indexes[format]
      const resolved = await resolveDigest(ref, credentials)
      expect(resolved.digest).toBe(digest)
      expect(images).not.toContain(resolved.digest)
      expect(resolved.imageRef).toBe(`${ref.replace(/:v1$/, '')}@${digest}`)
    }
  )

  it('asks for both index types as well as single manifests', () => {
    expect(MANIFEST_ACCEPT.split(', ')).toEqual(expect.arrayContaining([OCI_INDEX, DOCKER_LIST]))
  })
})
