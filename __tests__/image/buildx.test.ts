import { writeFile } from 'node:fs/promises'
import {
  BuildxBuilder,
  buildxArgs,
  digestFromMetadata,
  hasGithubActionsCache,
  isCacheBackendError
} from '../../src/image/buildx.js'
import { MemoryLogger } from '../../src/logger.js'
import { buildRequest, DIGEST_A, scriptedRunner } from './request.js'

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
    const { runner, calls } = scriptedRunner(async ({ args }, index) => {
      if (index === 0)
        return { exitCode: 1, stderr: 'ERROR: failed to export cache: 429 Too Many Requests' }
      await writeFile(metadataFileOf(args), JSON.stringify({ 'containerimage.digest': DIGEST_A }))
      return {}
    })
    const logger = new MemoryLogger()
    const result = await new BuildxBuilder(GITHUB_ENV, logger, runner).build(
      buildRequest({ cache: 'auto', logger })
    )
    expect(calls).toHaveLength(2)
    expect(calls[1].args).not.toContain('--cache-to')
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
