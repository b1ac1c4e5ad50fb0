/**
 * `docker buildx build --push`, as on GitHub's runners, with docker/build-push-action's inputs
 * (platforms, target, tags, labels, secrets, provenance and SBOM attestations). The digest is read
 * from --metadata-file (what was pushed, an OCI index when there are attestations or several
 * platforms), never by resolving the tag again. What the builder cannot do must not fail a good
 * build when nobody asked for it: a failing cache backend, or the docker driver refusing cache export
 * or default provenance, is warned about and the build runs once more without it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pushedImage } from './build-result.js'
import { readImageId } from './image-id.js'
import { secretFlags, writeSecretFiles } from './build-secrets.js'
import { BuildxInstances, type BuilderInstance } from './buildx-instance.js'
import {
  exportsCache,
  hasGithubActionsCache,
  isAttestationUnsupported,
  isCacheBackendError
} from './cache-backend.js'
import { tail, type CommandResult } from './command.js'
import { DockerCliBuilder } from './docker.js'
import { imageLabels, keyValueFlags } from './image-labels.js'
import { repositoryOf } from './image-ref.js'
import type { BuildRequest, BuildResult, Env } from './types.js'

export { hasGithubActionsCache, isCacheBackendError } from './cache-backend.js'

export interface BuildxArgsOptions {
  metadataFile?: string
  iidFile?: string
  /** --builder: our own docker-container builder. */
  builder?: string
  /** The file each build secret was written to, by id. */
  secretFiles?: Map<string, string>
  /** false drops --cache-to: the retry after a cache backend error. */
  exportCache?: boolean
  /** false drops default provenance: the retry after the docker driver refused it. */
  attest?: boolean
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

/**
 * --attest as docker/build-push-action writes it. Without provenance, --provenance=false: buildx
 * would otherwise add mode=min provenance on its own, and push an index nobody asked for.
 */
export function attestArgs(req: BuildRequest, attest = true): string[] {
  const { provenance, provenanceIsDefault, sbom, builderId } = req.attestations
  const args: string[] = []
  if (provenance && (attest || !provenanceIsDefault)) {
    const builder = builderId ? `,builder-id=${builderId}` : ''
    args.push('--attest', `type=provenance,mode=${provenance}${builder}`)
  } else {
    args.push('--provenance=false')
  }
  if (sbom) args.push('--attest', 'type=sbom')
  return args
}

export function buildxArgs(req: BuildRequest, env: Env, options: BuildxArgsOptions = {}): string[] {
  const { metadataFile = 'metadata.json', exportCache = true, attest = true } = options
  return [
    'buildx',
    'build',
    '--push',
    ...(options.builder ? ['--builder', options.builder] : []),
    '--file',
    req.dockerfile,
    ...[req.image, ...req.tags].flatMap(tag => ['--tag', tag]),
    ...(req.target ? ['--target', req.target] : []),
    ...(req.platforms.length > 0 ? ['--platform', req.platforms.join(',')] : []),
    ...keyValueFlags('--build-arg', req.buildArgs),
    ...keyValueFlags('--label', imageLabels(req)),
    ...secretFlags(options.secretFiles ?? new Map()),
    ...attestArgs(req, attest),
    '--metadata-file',
    metadataFile,
    ...(options.iidFile ? ['--iidfile', options.iidFile] : []),
    ...cacheArgs(req, env, exportCache),
    req.context
  ]
}

export function digestFromMetadata(json: string): string | undefined {
  const data: unknown = JSON.parse(json)
  const digest =
    typeof data === 'object' && data !== null
      ? (data as Record<string, unknown>)['containerimage.digest']
      : undefined
  return typeof digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined
}

/** What one build attempt leaves out; each retry turns one more thing off. */
interface Attempt {
  exportCache: boolean
  attest: boolean
}

export class BuildxBuilder extends DockerCliBuilder {
  readonly name = 'buildx' as const
  private readonly instances = new BuildxInstances(this.runner)

  override async dispose(): Promise<void> {
    try {
      await this.instances.dispose(await this.config.commandEnv())
    } finally {
      await super.dispose()
    }
  }

  /**
   * Nothing buildx cannot build in some builder; which one is decided from the current builder's
   * driver, read here (a docker-container builder, when one must be made, is made by the build).
   */
  async preflight(req: BuildRequest): Promise<void> {
    await this.instances.currentDriver(req, this.env, await this.config.commandEnv())
  }

  protected async buildAndPush(req: BuildRequest): Promise<BuildResult> {
    if (this.env.ACTIONS_RUNTIME_TOKEN) req.logger.mask(this.env.ACTIONS_RUNTIME_TOKEN)
    for (const secret of req.secrets) req.logger.mask(secret.value)
    const env = await this.config.commandEnv()
    const dir = await mkdtemp(join(this.env.RUNNER_TEMP || tmpdir(), 'canary-buildx-'))
    const metadataFile = join(dir, 'metadata.json')
    const iidFile = join(dir, 'iid')
    const warnings: string[] = []
    const warn = (text: string): void => {
      req.logger.warning(text)
      warnings.push(text)
    }
    try {
      const secretFiles = await writeSecretFiles(dir, req.secrets)
      const instance = await this.instances.forRequest(req, this.env, env)
      const attempt: Attempt = this.firstAttempt(req, instance, warn)
      const build = () =>
        this.runner(
          'docker',
          buildxArgs(req, this.env, {
            metadataFile,
            iidFile,
            secretFiles,
            builder: instance.kind === 'created' ? instance.name : undefined,
            ...attempt
          }),
          { env, logger: req.logger, signal: req.signal }
        )
      let result = await build()
      // At most one retry per thing the builder may refuse: the cache export, default provenance.
      while (this.adjustAfter(result, req, attempt, warn)) result = await build()
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
      return pushedImage(req.image, digest, {
        imageId: await readImageId(iidFile),
        metadata,
        warnings
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /**
   * On the docker driver with no other builder to be had: what was asked for fails here, naming
   * the input; what was only a default is dropped with a warning.
   */
  private firstAttempt(
    req: BuildRequest,
    instance: BuilderInstance,
    warn: (text: string) => void
  ): Attempt {
    if (instance.kind !== 'docker-driver') return { exportCache: true, attest: true }
    const { provenance, provenanceIsDefault, sbom } = req.attestations
    const asked = [
      ...(req.platforms.length > 1 ? [`platforms (${req.platforms.join(',')})`] : []),
      ...(provenance && !provenanceIsDefault ? [`provenance (mode=${provenance})`] : []),
      ...(sbom ? ['sbom'] : [])
    ]
    if (asked.length > 0) {
      throw new Error(
        `the buildx builder uses the docker driver, which cannot build ${asked.join(', ')} for ${req.image}, and ${instance.why}; run docker/setup-buildx-action first, or drop those inputs`
      )
    }
    const dropped = [
      ...(exportsCache(req, this.env) ? ['without exporting the build cache'] : []),
      ...(provenance ? ['without the default provenance attestation'] : [])
    ]
    if (dropped.length > 0) {
      warn(
        `the buildx builder uses the docker driver and ${instance.why}: building ${req.image} ${dropped.join(' and ')}`
      )
    }
    return { exportCache: false, attest: false }
  }

  /** After a failed or cache-failing run: true when it is worth running once more, changed. */
  private adjustAfter(
    result: CommandResult,
    req: BuildRequest,
    attempt: Attempt,
    warn: (text: string) => void
  ): boolean {
    const output = `${result.stdout}\n${result.stderr}`
    if (attempt.exportCache && isCacheBackendError(output)) {
      warn(
        `the build cache backend failed for ${req.image}; ${
          result.exitCode === 0
            ? 'the image was built and pushed without exporting the cache'
            : 'building again without exporting the cache'
        }`
      )
      attempt.exportCache = false
      return result.exitCode !== 0
    }
    if (result.exitCode !== 0 && attempt.attest && isAttestationUnsupported(output)) {
      const { provenance, provenanceIsDefault, sbom } = req.attestations
      if (sbom || (provenance && !provenanceIsDefault)) {
        throw new Error(
          `the buildx builder cannot attach attestations to ${req.image} (the inputs provenance and sbom ask for them): ${tail(output, 3)}; use a docker-container builder (docker/setup-buildx-action) or turn the containerd image store on`
        )
      }
      warn(
        `the buildx builder cannot attach attestations; building ${req.image} again without the default provenance attestation`
      )
      attempt.attest = false
      return true
    }
    return false
  }
}
