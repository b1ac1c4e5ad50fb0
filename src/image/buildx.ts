/**
 * `docker buildx build --push`, as on GitHub's runners. The digest is read from --metadata-file
 * (what was pushed), never by resolving the tag again. A failing cache backend must not fail a good
 * build: on a cache export error we warn and build once more without --cache-to.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tail } from './command.js'
import { DockerCliBuilder } from './docker.js'
import { imageLabels, keyValueFlags } from './image-labels.js'
import { repositoryOf } from './image-ref.js'
import type { BuildRequest, BuildResult, Env } from './types.js'

/** GitHub's cache service is usable when the runner handed the action its URL and token. */
export function hasGithubActionsCache(env: Env): boolean {
  return Boolean((env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL) && env.ACTIONS_RUNTIME_TOKEN)
}

export interface BuildxArgsOptions {
  metadataFile?: string
  /** false drops --cache-to: the retry after a cache backend error. */
  exportCache?: boolean
}

function cacheArgs(req: BuildRequest, env: Env, exportCache: boolean): string[] {
  let from: string | undefined
  let to: string | undefined
  if (req.cache === 'auto' && hasGithubActionsCache(env)) {
    from = 'type=gha'
    to = 'type=gha,mode=max'
  } else if (req.cache === 'registry') {
    const ref = `${repositoryOf(req.image)}:buildcache`
    from = `type=registry,ref=${ref}`
    to = `type=registry,ref=${ref},mode=max`
  }
  const args: string[] = []
  if (from) args.push('--cache-from', from)
  if (to && exportCache) args.push('--cache-to', to)
  return args
}

export function buildxArgs(req: BuildRequest, env: Env, options: BuildxArgsOptions = {}): string[] {
  const { metadataFile = 'metadata.json', exportCache = true } = options
  return [
    'buildx',
    'build',
    '--push',
    '--file',
    req.dockerfile,
    '--tag',
    req.image,
    ...keyValueFlags('--build-arg', req.buildArgs),
    ...keyValueFlags('--label', imageLabels(req)),
    '--metadata-file',
    metadataFile,
    ...cacheArgs(req, env, exportCache),
    req.context
  ]
}

const CACHE_BACKEND_ERRORS = [
  /failed to export (?:build )?cache/i,
  /error writing layer blob/i,
  /error writing manifest blob/i,
  /(?:cache|gha|actions).*\b429\b|\b429\b.*(?:cache|gha|too many requests)/i,
  /failed to (?:reserve|upload|commit) cache/i
]

/** True when output shows the cache backend (gha, registry cache) failing, not the build. */
export function isCacheBackendError(output: string): boolean {
  return CACHE_BACKEND_ERRORS.some(pattern => pattern.test(output))
}

export function digestFromMetadata(json: string): string | undefined {
  const data: unknown = JSON.parse(json)
  const digest =
    typeof data === 'object' && data !== null
      ? (data as Record<string, unknown>)['containerimage.digest']
      : undefined
  return typeof digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined
}

export class BuildxBuilder extends DockerCliBuilder {
  readonly name = 'buildx' as const

  protected async buildAndPush(req: BuildRequest): Promise<BuildResult> {
    if (this.env.ACTIONS_RUNTIME_TOKEN) req.logger.mask(this.env.ACTIONS_RUNTIME_TOKEN)
    const env = await this.config.commandEnv()
    const dir = await mkdtemp(join(tmpdir(), 'canary-buildx-'))
    const metadataFile = join(dir, 'metadata.json')
    const warnings: string[] = []
    try {
      let result = await this.runner('docker', buildxArgs(req, this.env, { metadataFile }), {
        env,
        logger: req.logger,
        signal: req.signal
      })
      const output = () => `${result.stdout}\n${result.stderr}`
      if (isCacheBackendError(output())) {
        const warning = `the build cache backend failed for ${req.image}; ${
          result.exitCode === 0
            ? 'the image was built and pushed without exporting the cache'
            : 'building again without exporting the cache'
        }`
        req.logger.warning(warning)
        warnings.push(warning)
        if (result.exitCode !== 0) {
          result = await this.runner(
            'docker',
            buildxArgs(req, this.env, { metadataFile, exportCache: false }),
            { env, logger: req.logger, signal: req.signal }
          )
        }
      }
      if (result.exitCode !== 0) {
        throw new Error(
          `docker buildx build of ${req.image} failed:\n${tail(result.stderr || result.stdout)}`
        )
      }
      const metadata = await readFile(metadataFile, 'utf8').catch(() => '{}')
      const digest = digestFromMetadata(metadata)
      if (!digest) {
        throw new Error(
          `docker buildx build of ${req.image} wrote no containerimage.digest to its metadata file`
        )
      }
      return {
        image: req.image,
        digest,
        imageRef: `${repositoryOf(req.image)}@${digest}`,
        warnings
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
}
