import { readFile, stat, writeFile } from 'node:fs/promises'
import {
  BuildxBuilder,
  buildxArgs,
  digestFromMetadata,
  hasGithubActionsCache,
  isCacheBackendError
} from '../../src/image/buildx.js'
import { MemoryLogger } from '../../src/logger.js'
import { buildRequest, DIGEST_A, DIGEST_B, scriptedRunner } from './request.js'

const CONTAINER_DRIVER = 'Name:          builder\nDriver:        docker-container\n'
const DOCKER_DRIVER = 'Name:          default\nDriver:        docker\n'

const GITHUB_ENV = {
  ACTIONS_CACHE_URL: 'https://cache.example/',
  ACTIONS_RUNTIME_TOKEN: 'rt-token'
}

function valueAfter(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1]] : []))
}

describe('buildxArgs', () => {
  it('builds and pushes the Dockerfile to the tag, with the context last', () => {
    const args = buildxArgs(buildRequest(), {}, { metadataFile: '/tmp/m.json' })
    expect(args.slice(0, 7)).toEqual([
      'buildx',
      'build',
      '--push',
      '--file',
      'app/Dockerfile',
      '--tag',
      'ghcr.io/acme/shop:abc1234'
    ])
    expect(valueAfter(args, '--metadata-file')).toEqual(['/tmp/m.json'])
    expect(args.at(-1)).toBe('app')
  })

  it('passes each build arg as its own --build-arg K=V', () => {
    const args = buildxArgs(
      buildRequest({ buildArgs: { NODE_ENV: 'production', VERSION: '1.2' } }),
      {}
    )
    expect(valueAfter(args, '--build-arg')).toEqual(['NODE_ENV=production', 'VERSION=1.2'])
  })

  it('labels the image with OCI provenance and the canary-deploy version', () => {
    const args = buildxArgs(buildRequest({ labels: { team: 'web' }, version: 'v9' }), {})
    expect(valueAfter(args, '--label')).toEqual([
      'team=web',
      'org.opencontainers.image.revision=abc1234def',
      'org.opencontainers.image.source=https://github.com/acme/shop',
      'org.opencontainers.image.version=v9',
      'canary-deploy.dev/version=v9'
    ])
  })

  it("uses GitHub's cache (type=gha) when cache is auto on a GitHub runner", () => {
    const args = buildxArgs(buildRequest({ cache: 'auto' }), GITHUB_ENV)
    expect(valueAfter(args, '--cache-from')).toEqual(['type=gha'])
    expect(valueAfter(args, '--cache-to')).toEqual(['type=gha,mode=max'])
  })

  it('uses no cache backend when cache is auto outside GitHub', () => {
    const args = buildxArgs(buildRequest({ cache: 'auto' }), {})
    expect(args.some(a => a.startsWith('--cache'))).toBe(false)
  })

  it('keeps the runtime token out of the argument list', () => {
    const args = buildxArgs(buildRequest({ cache: 'auto' }), GITHUB_ENV)
    expect(args.join(' ')).not.toContain('rt-token')
  })

  it('uses <repo>:buildcache in the registry when cache is registry', () => {
    const args = buildxArgs(buildRequest({ cache: 'registry' }), GITHUB_ENV)
    expect(valueAfter(args, '--cache-from')).toEqual([
      'type=registry,ref=ghcr.io/acme/shop:buildcache'
    ])
    expect(valueAfter(args, '--cache-to')).toEqual([
      'type=registry,ref=ghcr.io/acme/shop:buildcache,mode=max'
    ])
  })

  it('uses no cache flags when cache is none, even on GitHub', () => {
    const args = buildxArgs(buildRequest({ cache: 'none' }), GITHUB_ENV)
    expect(args.some(a => a.startsWith('--cache'))).toBe(false)
  })

  it('drops only --cache-to when cache export is turned off', () => {
    const args = buildxArgs(buildRequest({ cache: 'auto' }), GITHUB_ENV, { exportCache: false })
    expect(valueAfter(args, '--cache-from')).toEqual(['type=gha'])
    expect(args).not.toContain('--cache-to')
  })
})

describe('hasGithubActionsCache', () => {
  it.each([
    [{ ACTIONS_CACHE_URL: 'u', ACTIONS_RUNTIME_TOKEN: 't' }, true],
    [{ ACTIONS_RESULTS_URL: 'u', ACTIONS_RUNTIME_TOKEN: 't' }, true],
    [{ ACTIONS_CACHE_URL: 'u' }, false],
    [{ ACTIONS_RUNTIME_TOKEN: 't' }, false],
    [{ ACTIONS_CACHE_URL: '', ACTIONS_RUNTIME_TOKEN: 't' }, false]
  ])('is %p -> %p', (env, expected) => {
    expect(hasGithubActionsCache(env)).toBe(expected)
  })
})

describe('isCacheBackendError', () => {
  it.each([
    'ERROR: failed to solve: failed to export cache: failed to upload',
    'error writing layer blob: failed to upload to cache',
    'ERROR: failed to solve: error writing manifest blob: unexpected status: 429 Too Many Requests'
  ])('recognises %p', line => {
    expect(isCacheBackendError(line)).toBe(true)
  })

  it('does not mistake a failing build step for a cache error', () => {
    expect(
      isCacheBackendError('ERROR: process "/bin/sh -c npm ci" did not complete successfully')
    ).toBe(false)
  })
})

describe('digestFromMetadata', () => {
  it('reads containerimage.digest', () => {
    expect(digestFromMetadata(JSON.stringify({ 'containerimage.digest': DIGEST_A }))).toBe(DIGEST_A)
  })
  it('ignores a metadata file without a digest', () => {
    expect(digestFromMetadata('{}')).toBeUndefined()
  })
})

describe('BuildxBuilder', () => {
  const metadataFileOf = (args: string[]): string => valueAfter(args, '--metadata-file')[0]

  it('reports the digest from the metadata file, never resolving the tag', async () => {
    const { runner, calls } = scriptedRunner(async ({ args }) => {
      await writeFile(metadataFileOf(args), JSON.stringify({ 'containerimage.digest': DIGEST_A }))
      return {}
    })
    const result = await new BuildxBuilder({}, new MemoryLogger(), runner).build(buildRequest())
    expect(result).toMatchObject({ digest: DIGEST_A, imageRef: `ghcr.io/acme/shop@${DIGEST_A}` })
    expect(calls).toHaveLength(1)
  })

  it('retries once without --cache-to when the cache backend fails, and warns', async () => {
    const { runner, calls } = scriptedRunner(async ({ args }) => {
      if (args[1] === 'inspect') return { stdout: CONTAINER_DRIVER }
      if (args.includes('--cache-to'))
        return { exitCode: 1, stderr: 'ERROR: failed to export cache: 429 Too Many Requests' }
      await writeFile(metadataFileOf(args), JSON.stringify({ 'containerimage.digest': DIGEST_A }))
      return {}
    })
    const logger = new MemoryLogger()
    const result = await new BuildxBuilder(GITHUB_ENV, logger, runner).build(
      buildRequest({ cache: 'auto', logger })
    )
    const builds = calls.filter(c => c.args[1] === 'build')
    expect(builds).toHaveLength(2)
    expect(builds[1].args).not.toContain('--cache-to')
    expect(result.digest).toBe(DIGEST_A)
    expect(result.warnings).toHaveLength(1)
    expect(logger.lines.some(l => l.startsWith('warning:'))).toBe(true)
  })

  it('fails a build whose own steps fail, without retrying', async () => {
    const { runner, calls } = scriptedRunner(() => ({
      exitCode: 1,
      stderr: 'ERROR: npm ci failed'
    }))
    await expect(
      new BuildxBuilder({}, new MemoryLogger(), runner).build(buildRequest())
    ).rejects.toThrow(/docker buildx build of ghcr.io\/acme\/shop:abc1234 failed/)
    expect(calls).toHaveLength(1)
  })

  it('logs in with the password on stdin, never in argv', async () => {
    const { runner, calls } = scriptedRunner(() => ({}))
    const logger = new MemoryLogger()
    const builder = new BuildxBuilder({}, logger, runner)
    await builder.login('ghcr.io', 'bot', 's3cret-pw')
    await builder.dispose()
    expect(calls[0].args).toEqual(['login', '--username', 'bot', '--password-stdin', 'ghcr.io'])
    expect(calls[0].options.input).toBe('s3cret-pw')
    logger.info('echo s3cret-pw')
    expect(logger.lines).toEqual(['echo ***'])
  })
})

describe('buildxArgs: build-push-action inputs', () => {
  const ATTESTED = {
    provenance: 'max' as const,
    provenanceIsDefault: true,
    sbom: false,
    builderId: 'https://github.com/acme/shop/actions/runs/7/attempts/1'
  }

  it('pushes every extra tag beside the image, the image first', () => {
    const args = buildxArgs(
      buildRequest({ tags: ['ghcr.io/acme/shop:latest', 'x.io/shop:v1'] }),
      {}
    )
    expect(valueAfter(args, '--tag')).toEqual([
      'ghcr.io/acme/shop:abc1234',
      'ghcr.io/acme/shop:latest',
      'x.io/shop:v1'
    ])
  })

  it('passes the target stage and the platforms', () => {
    const args = buildxArgs(
      buildRequest({ target: 'runtime', platforms: ['linux/amd64', 'linux/arm64'] }),
      {}
    )
    expect(valueAfter(args, '--target')).toEqual(['runtime'])
    expect(valueAfter(args, '--platform')).toEqual(['linux/amd64,linux/arm64'])
  })

  it('passes each secret as id and file, never its value', () => {
    const req = buildRequest({ secrets: [{ id: 'npm_token', value: 'npm-s3cret' }] })
    const args = buildxArgs(req, {}, { secretFiles: new Map([['npm_token', '/run/s/secret-0']]) })
    expect(valueAfter(args, '--secret')).toEqual(['id=npm_token,src=/run/s/secret-0'])
    expect(args.join(' ')).not.toContain('npm-s3cret')
  })

  it('attests provenance as build-push-action does, with the run as builder id', () => {
    const args = buildxArgs(buildRequest({ attestations: ATTESTED }), {})
    expect(valueAfter(args, '--attest')).toEqual([
      'type=provenance,mode=max,builder-id=https://github.com/acme/shop/actions/runs/7/attempts/1'
    ])
    expect(args).not.toContain('--provenance=false')
  })

  it('turns buildx own default provenance off when none is wanted', () => {
    const args = buildxArgs(buildRequest(), {})
    expect(args).toContain('--provenance=false')
    expect(args).not.toContain('--attest')
  })

  it('adds an SBOM attestation when asked', () => {
    const args = buildxArgs(
      buildRequest({ attestations: { ...ATTESTED, provenance: undefined, sbom: true } }),
      {}
    )
    expect(valueAfter(args, '--attest')).toEqual(['type=sbom'])
  })

  it('drops only default provenance when attestations are turned off', () => {
    const defaulted = buildxArgs(buildRequest({ attestations: ATTESTED }), {}, { attest: false })
    const asked = buildxArgs(
      buildRequest({ attestations: { ...ATTESTED, provenanceIsDefault: false } }),
      {},
      { attest: false }
    )
    expect(defaulted).toContain('--provenance=false')
    expect(valueAfter(asked, '--attest')).toHaveLength(1)
  })
})

describe('BuildxBuilder on the docker driver', () => {
  const metadataFileOf = (args: string[]): string => valueAfter(args, '--metadata-file')[0]
  const pushed = async (args: string[]) => {
    await writeFile(metadataFileOf(args), JSON.stringify({ 'containerimage.digest': DIGEST_A }))
    return {}
  }
  // What buildx 0.2x prints when the docker driver is asked to export a cache or attest.
  const CACHE_REFUSED =
    'ERROR: failed to build: Cache export is not supported for the docker driver.\nSwitch to a different driver, or turn on the containerd image store, and try again.\nLearn more at https://docs.docker.com/go/build-cache-backends/'
  const ATTEST_REFUSED =
    'ERROR: failed to build: Attestation is not supported for the docker driver.\nSwitch to a different driver, or turn on the containerd image store, and try again.\nLearn more at https://docs.docker.com/go/attestations/'
  const DEFAULT_PROVENANCE = { provenance: 'min' as const, provenanceIsDefault: true, sbom: false }

  it('builds on a docker-container builder it creates for the cache export, and removes it', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[1] === 'inspect' ? { stdout: DOCKER_DRIVER } : args[1] === 'build' ? pushed(args) : {}
    )
    const builder = new BuildxBuilder(GITHUB_ENV, new MemoryLogger(), runner)
    await builder.build(buildRequest({ cache: 'auto' }))
    await builder.dispose()
    const [inspect, create, build, remove] = calls.map(c => c.args)
    expect(inspect).toEqual(['buildx', 'inspect'])
    expect(create.slice(0, 4)).toEqual(['buildx', 'create', '--driver', 'docker-container'])
    const name = valueAfter(create, '--name')[0]
    expect(name).toMatch(/^canary-deploy-[0-9a-f]{8}$/)
    expect(valueAfter(build, '--builder')).toEqual([name])
    expect(valueAfter(build, '--cache-to')).toEqual(['type=gha,mode=max'])
    expect(remove).toEqual(['buildx', 'rm', name])
  })

  it('reads the driver in its preflight, creating nothing, and the build asks no more', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[1] === 'inspect' ? { stdout: DOCKER_DRIVER } : args[1] === 'build' ? pushed(args) : {}
    )
    const builder = new BuildxBuilder(GITHUB_ENV, new MemoryLogger(), runner)
    const req = buildRequest({ cache: 'auto' })
    await builder.preflight(req)
    expect(calls.map(c => c.args.slice(0, 2))).toEqual([['buildx', 'inspect']])
    await builder.build(req)
    await builder.dispose()
    expect(calls.filter(c => c.args[1] === 'inspect')).toHaveLength(1)
  })

  it('asks nothing of the driver when the build needs no cache export, attestation or platforms', async () => {
    const { runner, calls } = scriptedRunner(({ args }) => pushed(args))
    await new BuildxBuilder({}, new MemoryLogger(), runner).build(buildRequest())
    expect(calls.map(c => c.args[1])).toEqual(['build'])
  })

  it('without a docker-container builder, builds without cache export or default provenance, and warns', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[1] === 'inspect'
        ? { stdout: DOCKER_DRIVER }
        : args[1] === 'create'
          ? { exitCode: 1, stderr: 'ERROR: permission denied' }
          : pushed(args)
    )
    const result = await new BuildxBuilder(GITHUB_ENV, new MemoryLogger(), runner).build(
      buildRequest({ cache: 'auto', attestations: DEFAULT_PROVENANCE })
    )
    const build = calls.find(c => c.args[1] === 'build')?.args ?? []
    expect(build).not.toContain('--cache-to')
    expect(build).toContain('--provenance=false')
    expect(result.digest).toBe(DIGEST_A)
    expect(result.warnings).toEqual([
      expect.stringContaining(
        'without exporting the build cache and without the default provenance attestation'
      )
    ])
  })

  it('without a docker-container builder, refuses an SBOM that was asked for, naming the input', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[1] === 'inspect'
        ? { stdout: DOCKER_DRIVER }
        : args[1] === 'create'
          ? { exitCode: 1 }
          : {}
    )
    await expect(
      new BuildxBuilder({}, new MemoryLogger(), runner).build(
        buildRequest({ attestations: { provenanceIsDefault: true, sbom: true } })
      )
    ).rejects.toThrow(/docker driver, which cannot build sbom/)
    expect(calls.some(c => c.args[1] === 'build')).toBe(false)
  })

  it('retries without --cache-to when buildx says the docker driver cannot export a cache', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[1] === 'inspect'
        ? { exitCode: 1 }
        : args.includes('--cache-to')
          ? { exitCode: 1, stderr: CACHE_REFUSED }
          : pushed(args)
    )
    const result = await new BuildxBuilder(GITHUB_ENV, new MemoryLogger(), runner).build(
      buildRequest({ cache: 'auto' })
    )
    expect(calls.filter(c => c.args[1] === 'build')).toHaveLength(2)
    expect(result.warnings).toEqual([
      expect.stringContaining('building again without exporting the cache')
    ])
  })

  it('retries without default provenance when buildx says the docker driver cannot attest', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[1] === 'inspect'
        ? { exitCode: 1 }
        : args.includes('--attest')
          ? { exitCode: 1, stderr: ATTEST_REFUSED }
          : pushed(args)
    )
    const result = await new BuildxBuilder({}, new MemoryLogger(), runner).build(
      buildRequest({ attestations: DEFAULT_PROVENANCE })
    )
    const builds = calls.filter(c => c.args[1] === 'build')
    expect(builds).toHaveLength(2)
    expect(builds[1].args).toContain('--provenance=false')
    expect(result.digest).toBe(DIGEST_A)
  })

  it('fails naming the inputs when provenance that was asked for is refused', async () => {
    const { runner } = scriptedRunner(({ args }) =>
      args[1] === 'inspect' ? { exitCode: 1 } : { exitCode: 1, stderr: ATTEST_REFUSED }
    )
    await expect(
      new BuildxBuilder({}, new MemoryLogger(), runner).build(
        buildRequest({ attestations: { ...DEFAULT_PROVENANCE, provenanceIsDefault: false } })
      )
    ).rejects.toThrow(/the inputs provenance and sbom ask for them/)
  })
})

describe('BuildxBuilder results', () => {
  const metadataFileOf = (args: string[]): string => valueAfter(args, '--metadata-file')[0]

  it('binds the release to the OCI index digest an attested push reports, with its metadata and image ID', async () => {
    const metadata = JSON.stringify({
      'containerimage.descriptor': {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        digest: DIGEST_B,
        size: 856
      },
      'containerimage.config.digest': DIGEST_A,
      'containerimage.digest': DIGEST_B,
      'image.name': 'ghcr.io/acme/shop:abc1234'
    })
    const { runner } = scriptedRunner(async ({ args }) => {
      if (args[1] === 'inspect') return { stdout: CONTAINER_DRIVER }
      await writeFile(metadataFileOf(args), metadata)
      await writeFile(valueAfter(args, '--iidfile')[0], DIGEST_A)
      return {}
    })
    const result = await new BuildxBuilder({}, new MemoryLogger(), runner).build(
      buildRequest({ attestations: { provenance: 'max', provenanceIsDefault: true, sbom: false } })
    )
    expect(result).toMatchObject({
      digest: DIGEST_B,
      imageRef: `ghcr.io/acme/shop@${DIGEST_B}`,
      imageId: DIGEST_A,
      metadata
    })
  })

  it('hands each secret over in a private file that is gone after the build, and masks it', async () => {
    let seen: { content: string; mode: number } | undefined
    const secretFile = (args: string[]) =>
      /src=(.*)$/.exec(valueAfter(args, '--secret')[0])?.[1] ?? ''
    let file = ''
    const { runner, calls } = scriptedRunner(async ({ args }) => {
      file = secretFile(args)
      seen = { content: await readFile(file, 'utf8'), mode: (await stat(file)).mode & 0o777 }
      await writeFile(metadataFileOf(args), JSON.stringify({ 'containerimage.digest': DIGEST_A }))
      return {}
    })
    const logger = new MemoryLogger()
    await new BuildxBuilder({}, logger, runner).build(
      buildRequest({ logger, secrets: [{ id: 'npm_token', value: 'npm-s3cret' }] })
    )
    expect(seen).toEqual({ content: 'npm-s3cret', mode: 0o600 })
    await expect(stat(file)).rejects.toThrow(/ENOENT/)
    expect(JSON.stringify(calls.map(c => c.args))).not.toContain('npm-s3cret')
    logger.info('token is npm-s3cret')
    expect(logger.lines.at(-1)).toBe('token is ***')
  })
})
