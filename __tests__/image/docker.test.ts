import {
  digestFromPushOutput,
  DockerBuilder,
  dockerBuildArgs,
  dockerPushArgs
} from '../../src/image/docker.js'
import { MemoryLogger } from '../../src/logger.js'
import { buildRequest, DIGEST_A, DIGEST_B, scriptedRunner } from './request.js'

describe('dockerBuildArgs', () => {
  it('lists file, tag, build args, labels and the context last', () => {
    expect(dockerBuildArgs(buildRequest({ buildArgs: { A: '1' }, version: 'v2' }))).toEqual([
      'build',
      '--file',
      'app/Dockerfile',
      '--tag',
      'ghcr.io/acme/shop:abc1234',
      '--build-arg',
      'A=1',
      '--label',
      'org.opencontainers.image.revision=abc1234def',
      '--label',
      'org.opencontainers.image.source=https://github.com/acme/shop',
      '--label',
      'org.opencontainers.image.version=v2',
      '--label',
      'canary-deploy.dev/version=v2',
      'app'
    ])
  })

  it('reads an inline cache from the pushed tag when cache is registry', () => {
    const args = dockerBuildArgs(buildRequest({ cache: 'registry' }))
    expect(args).toEqual(expect.arrayContaining(['--cache-from', 'ghcr.io/acme/shop:abc1234']))
    expect(args).toEqual(expect.arrayContaining(['BUILDKIT_INLINE_CACHE=1']))
  })

  it('pushes the tag', () => {
    expect(dockerPushArgs('ghcr.io/acme/shop:abc1234')).toEqual([
      'push',
      'ghcr.io/acme/shop:abc1234'
    ])
  })
})

describe('digestFromPushOutput', () => {
  it('reads the manifest digest docker push prints', () => {
    expect(digestFromPushOutput(`abc1234: digest: ${DIGEST_A} size: 528\n`)).toBe(DIGEST_A)
  })
  it('finds nothing in output without a digest line', () => {
    expect(
      digestFromPushOutput('denied: requested access to the resource is denied')
    ).toBeUndefined()
  })
})

describe('DockerBuilder', () => {
  it('builds, pushes, and reports the pushed digest', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[0] === 'push'
        ? { stdout: `Layer already exists ${DIGEST_B}\nabc1234: digest: ${DIGEST_A} size: 1\n` }
        : {}
    )
    const result = await new DockerBuilder({}, new MemoryLogger(), runner).build(buildRequest())
    expect(calls.map(c => c.args[0])).toEqual(['build', 'push'])
    expect(result).toMatchObject({ digest: DIGEST_A, imageRef: `ghcr.io/acme/shop@${DIGEST_A}` })
  })

  it('names the image and registry when the push fails', async () => {
    const { runner } = scriptedRunner(({ args }) =>
      args[0] === 'push' ? { exitCode: 1, stderr: 'denied' } : {}
    )
    await expect(
      new DockerBuilder({}, new MemoryLogger(), runner).build(buildRequest())
    ).rejects.toThrow('docker push of ghcr.io/acme/shop:abc1234 to registry ghcr.io failed')
  })

  it('keeps the password out of a failed login message', async () => {
    const { runner } = scriptedRunner(() => ({
      exitCode: 1,
      stderr: 'bad credentials pw-123 for ghcr.io'
    }))
    const builder = new DockerBuilder({}, new MemoryLogger(), runner)
    const error = await builder.login('ghcr.io', 'bot', 'pw-123').catch((e: unknown) => e as Error)
    await builder.dispose()
    expect(error?.message).toContain('registry ghcr.io')
    expect(error?.message).not.toContain('pw-123')
  })
})

describe('DockerBuilder with build-push-action inputs', () => {
  const pushOutput = (digest: string) => ({ stdout: `abc1234: digest: ${digest} size: 1\n` })

  it('builds the target stage for one platform, every tag, and records the image ID', async () => {
    const args = dockerBuildArgs(
      buildRequest({
        target: 'runtime',
        platforms: ['linux/arm64'],
        tags: ['ghcr.io/acme/shop:latest']
      }),
      '/tmp/iid'
    )
    expect(args.slice(0, 11)).toEqual([
      'build',
      '--file',
      'app/Dockerfile',
      '--tag',
      'ghcr.io/acme/shop:abc1234',
      '--tag',
      'ghcr.io/acme/shop:latest',
      '--target',
      'runtime',
      '--platform',
      'linux/arm64'
    ])
    expect(args).toContain('/tmp/iid')
  })

  it('pushes the image, then each extra tag, and keeps the image digest', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[0] === 'push' ? pushOutput(args[1].endsWith(':latest') ? DIGEST_B : DIGEST_A) : {}
    )
    const result = await new DockerBuilder({}, new MemoryLogger(), runner).build(
      buildRequest({ tags: ['ghcr.io/acme/shop:latest'] })
    )
    expect(calls.map(c => c.args.join(' '))).toEqual([
      expect.stringMatching(/^build /),
      'push ghcr.io/acme/shop:abc1234',
      'push ghcr.io/acme/shop:latest'
    ])
    expect(result.digest).toBe(DIGEST_A)
    expect(JSON.parse(result.metadata)).toMatchObject({ 'containerimage.digest': DIGEST_A })
  })

  it.each([
    [{ secrets: [{ id: 'npm', value: 'x' }] }, 'secrets'],
    [{ platforms: ['linux/amd64', 'linux/arm64'] }, 'platforms (1 at most, 2 given)'],
    [{ attestations: { provenanceIsDefault: true, sbom: true } }, 'sbom'],
    [
      { attestations: { provenance: 'max' as const, provenanceIsDefault: false, sbom: false } },
      'provenance'
    ]
  ])('refuses %p before building, naming the input', async (overrides, input) => {
    const { runner, calls } = scriptedRunner(() => ({}))
    await expect(
      new DockerBuilder({}, new MemoryLogger(), runner).build(buildRequest(overrides))
    ).rejects.toThrow(`the docker builder cannot honour the input ${input}`)
    expect(calls).toEqual([])
  })

  it('skips default provenance it cannot attach, without failing', async () => {
    const { runner } = scriptedRunner(({ args }) =>
      args[0] === 'push' ? pushOutput(DIGEST_A) : {}
    )
    const result = await new DockerBuilder({}, new MemoryLogger(), runner).build(
      buildRequest({ attestations: { provenance: 'max', provenanceIsDefault: true, sbom: false } })
    )
    expect(result.digest).toBe(DIGEST_A)
  })
})
