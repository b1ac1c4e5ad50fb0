import {
  allStepsCached,
  BuildahBuilder,
  buildahBudArgs,
  buildahLoginArgs,
  buildahPushArgs,
  skipsTlsVerify
} from '../../src/image/buildah.js'
import { MemoryLogger } from '../../src/logger.js'
import { buildRequest, scriptedRunner } from './request.js'

describe('buildahBudArgs', () => {
  it('builds with local layer cache in docker format, labels and build args, context last', () => {
    expect(buildahBudArgs(buildRequest({ buildArgs: { VERSION: 'v3' }, version: 'v3' }))).toEqual([
      'bud',
      '--layers',
      '--format',
      'docker',
      '-f',
      'app/Dockerfile',
      '-t',
      'ghcr.io/acme/shop:abc1234',
      '--build-arg',
      'VERSION=v3',
      '--label',
      'org.opencontainers.image.revision=abc1234def',
      '--label',
      'org.opencontainers.image.source=https://github.com/acme/shop',
      '--label',
      'org.opencontainers.image.version=v3',
      '--label',
      'canary-deploy.dev/version=v3',
      'app'
    ])
  })

  it('reads and writes <repo>/buildcache when cache is registry', () => {
    const args = buildahBudArgs(buildRequest({ cache: 'registry' }))
    expect(args).toEqual(
      expect.arrayContaining([
        '--cache-from',
        'ghcr.io/acme/shop/buildcache',
        '--cache-to',
        'ghcr.io/acme/shop/buildcache'
      ])
    )
  })

  it.each(['auto', 'none'] as const)('uses no registry cache when cache is %s', cache => {
    expect(buildahBudArgs(buildRequest({ cache })).some(a => a.startsWith('--cache'))).toBe(false)
  })
})

describe('buildahPushArgs', () => {
  it('pushes the local image to docker://<image> and writes the digest file', () => {
    expect(buildahPushArgs(buildRequest(), '/tmp/d')).toEqual([
      'push',
      '--digestfile',
      '/tmp/d',
      'ghcr.io/acme/shop:abc1234',
      'docker://ghcr.io/acme/shop:abc1234'
    ])
  })

  it('turns TLS verification off for a 127.0.0.1 registry', () => {
    expect(buildahPushArgs(buildRequest({ image: '127.0.0.1:5000/app:v1' }), '/tmp/d')).toContain(
      '--tls-verify=false'
    )
  })

  it('refuses to turn TLS verification off for a remote registry', () => {
    expect(() => buildahPushArgs(buildRequest({ tlsVerify: false }), '/tmp/d')).toThrow(
      /registry ghcr.io/
    )
  })
})

describe('skipsTlsVerify', () => {
  it.each([
    ['127.0.0.1:5000', undefined, true],
    ['localhost:5000', undefined, true],
    ['127.0.0.1:5000', true, false],
    ['ghcr.io', undefined, false]
  ])('%s with tlsVerify %p -> %p', (registry, tlsVerify, expected) => {
    expect(skipsTlsVerify(registry, tlsVerify)).toBe(expected)
  })
})

describe('allStepsCached', () => {
  const step = (n: number, instruction: string, cached: boolean): string =>
    `STEP ${n}/3: ${instruction}\n${cached ? '--> Using cache 2c0b727d3f19\n' : ''}--> 2c0b727d3f1\n`

  it('is true when every step after FROM used the cache', () => {
    expect(
      allStepsCached(
        step(1, 'FROM scratch', false) + step(2, 'COPY a /a', true) + step(3, 'LABEL x=y', true)
      )
    ).toBe(true)
  })
  it('is false when a step was rebuilt', () => {
    expect(
      allStepsCached(
        step(1, 'FROM scratch', false) + step(2, 'COPY a /a', true) + step(3, 'LABEL x=y', false)
      )
    ).toBe(false)
  })
  it('is false for output without steps', () => {
    expect(allStepsCached('')).toBe(false)
  })
})

describe('BuildahBuilder.login', () => {
  it('passes the password on stdin and the auth file through the environment', async () => {
    const { runner, calls } = scriptedRunner(() => ({}))
    const builder = new BuildahBuilder({}, new MemoryLogger(), runner)
    await builder.login('127.0.0.1:5000', 'bot', 'pw-xyz')
    await builder.dispose()
    expect(calls[0].args).toEqual(buildahLoginArgs('127.0.0.1:5000', 'bot'))
    expect(calls[0].args.join(' ')).not.toContain('pw-xyz')
    expect(calls[0].options.input).toBe('pw-xyz\n')
    expect(calls[0].options.env?.REGISTRY_AUTH_FILE).toMatch(/auth\.json$/)
    expect(calls[0].options.env?.BUILDAH_ISOLATION).toBe('chroot')
  })

  it('masks the password before using it', async () => {
    const { runner } = scriptedRunner(() => ({}))
    const logger = new MemoryLogger()
    const builder = new BuildahBuilder({}, logger, runner)
    await builder.login('ghcr.io', 'bot', 'pw-xyz')
    await builder.dispose()
    logger.info('pw-xyz')
    expect(logger.lines).toEqual(['***'])
  })
})

describe('buildahBudArgs with build-push-action inputs', () => {
  it('tags every reference, builds the target for one platform, writes the image ID, mounts secrets by file', () => {
    const args = buildahBudArgs(
      buildRequest({
        tags: ['ghcr.io/acme/shop:latest'],
        target: 'runtime',
        platforms: ['linux/amd64'],
        secrets: [{ id: 'npm', value: 'npm-s3cret' }]
      }),
      { iidFile: '/tmp/iid', secretFiles: new Map([['npm', '/tmp/secret-0']]) }
    )
    const after = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []))
    expect(after('-t')).toEqual(['ghcr.io/acme/shop:abc1234', 'ghcr.io/acme/shop:latest'])
    expect(after('--target')).toEqual(['runtime'])
    expect(after('--platform')).toEqual(['linux/amd64'])
    expect(after('--iidfile')).toEqual(['/tmp/iid'])
    expect(after('--secret')).toEqual(['id=npm,src=/tmp/secret-0'])
    expect(args.join(' ')).not.toContain('npm-s3cret')
  })
})

describe('BuildahBuilder with build-push-action inputs', () => {
  it.each([
    [{ platforms: ['linux/amd64', 'linux/arm64'] }, 'platforms (1 at most, 2 given)'],
    [{ attestations: { provenanceIsDefault: true, sbom: true } }, 'sbom'],
    [
      { attestations: { provenance: 'min' as const, provenanceIsDefault: false, sbom: false } },
      'provenance'
    ]
  ])('refuses %p before building, naming the input', async (overrides, input) => {
    const { runner, calls } = scriptedRunner(() => ({}))
    await expect(
      new BuildahBuilder({ REGISTRY_AUTH_FILE: '' }, new MemoryLogger(), runner).build(
        buildRequest(overrides)
      )
    ).rejects.toThrow(`the buildah builder cannot honour the input ${input}`)
    expect(calls).toEqual([])
  })
})
