/**
 * buildah where there is no Docker engine: `buildah bud` then `buildah push --digestfile`.
 * The digest is the one buildah wrote while pushing, not a second look at the tag.
 */
import { mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLogger, type Logger } from '../logger.js'
import { refuseUnsupported } from './builder-abilities.js'
import { pushedImage } from './build-result.js'
import { readImageId } from './image-id.js'
import { secretFlags, writeSecretFiles } from './build-secrets.js'
import { cancelledOr, execRunner, runStep, tail, type CommandRunner } from './command.js'
import { redact } from './docker.js'
import { imageLabels, keyValueFlags } from './image-labels.js'
import { isLoopbackRegistry, parseImageRef, repositoryOf } from './image-ref.js'
import type { BuildRequest, BuildResult, Env, ImageBuilder } from './types.js'

/**
 * Loopback registries are plain http (tests, local CI), so TLS verification is off for them unless
 * asked for; for any other registry it cannot be turned off.
 */
export function skipsTlsVerify(registry: string, tlsVerify?: boolean): boolean {
  if (tlsVerify === false && !isLoopbackRegistry(registry)) {
    throw new Error(
      `tlsVerify: false is allowed only for 127.0.0.1/localhost registries, not registry ${registry}`
    )
  }
  return isLoopbackRegistry(registry) && tlsVerify !== true
}

function tlsArgs(req: BuildRequest): string[] {
  return skipsTlsVerify(parseImageRef(req.image).registry, req.tlsVerify)
    ? ['--tls-verify=false']
    : []
}

export function buildahCacheRepository(image: string): string {
  return `${repositoryOf(image)}/buildcache`
}

export interface BudFiles {
  iidFile?: string
  secretFiles?: Map<string, string>
}

export function buildahBudArgs(req: BuildRequest, files: BudFiles = {}): string[] {
  const args = ['bud', '--layers', '--format', 'docker', '-f', req.dockerfile]
  for (const tag of [req.image, ...req.tags]) args.push('-t', tag)
  if (req.target) args.push('--target', req.target)
  if (req.platforms.length === 1) args.push('--platform', req.platforms[0])
  if (files.iidFile) args.push('--iidfile', files.iidFile)
  args.push(...secretFlags(files.secretFiles ?? new Map()))
  args.push(...keyValueFlags('--build-arg', req.buildArgs))
  args.push(...keyValueFlags('--label', imageLabels(req)))
  if (req.cache === 'registry') {
    const cache = buildahCacheRepository(req.image)
    args.push('--cache-from', cache, '--cache-to', cache, ...tlsArgs(req))
  }
  args.push(req.context)
  return args
}

export function buildahPushArgs(req: BuildRequest, digestFile: string, tag = req.image): string[] {
  return ['push', '--digestfile', digestFile, ...tlsArgs(req), tag, `docker://${tag}`]
}

export function buildahLoginArgs(registry: string, username: string): string[] {
  const tls = skipsTlsVerify(registry) ? ['--tls-verify=false'] : []
  return ['login', '--username', username, '--password-stdin', ...tls, registry]
}

/**
 * True when every step after a FROM reused a cached layer (`--> Using cache <id>`): nothing was
 * rebuilt. Steps are counted from buildah's `STEP n/m: INSTRUCTION` lines.
 */
export function allStepsCached(output: string): boolean {
  const steps = [...output.matchAll(/^STEP \d+\/\d+: (\S+)/gm)].filter(
    m => m[1].toUpperCase() !== 'FROM'
  ).length
  const cached = [...output.matchAll(/^--> Using cache /gm)].length
  return steps > 0 && cached >= steps
}

export class BuildahBuilder implements ImageBuilder {
  readonly name = 'buildah' as const
  private authFile: Promise<string> | undefined
  /** The folder of an auth file this builder made itself: after a login it holds credentials. */
  private ownAuthDir: string | undefined

  constructor(
    private readonly env: Env,
    private readonly logger: Logger = new MemoryLogger(),
    private readonly runner: CommandRunner = execRunner
  ) {}

  /**
   * chroot isolation runs inside unprivileged containers (CI); REGISTRY_AUTH_FILE must name an
   * existing file, so a fresh `{}` is made when none is given.
   */
  private async buildahEnv(): Promise<Env> {
    this.authFile ??= this.ensureAuthFile()
    return {
      ...this.env,
      BUILDAH_ISOLATION: this.env.BUILDAH_ISOLATION ?? 'chroot',
      REGISTRY_AUTH_FILE: await this.authFile
    }
  }

  private async ensureAuthFile(): Promise<string> {
    const given = this.env.REGISTRY_AUTH_FILE
    if (given) {
      const exists = await access(given).then(
        () => true,
        () => false
      )
      if (!exists) await writeFile(given, '{}\n', { mode: 0o600 })
      return given
    }
    const dir = await mkdtemp(join(this.env.RUNNER_TEMP || tmpdir(), 'canary-buildah-auth-'))
    this.ownAuthDir = dir
    const file = join(dir, 'auth.json')
    await writeFile(file, '{}\n', { mode: 0o600 })
    return file
  }

  async dispose(): Promise<void> {
    if (this.ownAuthDir) await rm(this.ownAuthDir, { recursive: true, force: true })
    this.ownAuthDir = undefined
    this.authFile = undefined
  }

  async login(registry: string, username: string, password: string): Promise<void> {
    this.logger.mask(password)
    const result = await this.runner('buildah', buildahLoginArgs(registry, username), {
      env: await this.buildahEnv(),
      input: `${password}\n`
    })
    if (result.exitCode !== 0) {
      const output = redact(tail(result.stderr || result.stdout, 5), password)
      throw new Error(`buildah login to registry ${registry} as ${username} failed: ${output}`)
    }
  }

  /** buildah builds secrets, but one platform and no attestations. */
  async preflight(req: BuildRequest): Promise<void> {
    refuseUnsupported('buildah', req, { secrets: true, platforms: 1, attestations: false })
  }

  async build(req: BuildRequest): Promise<BuildResult> {
    try {
      await this.preflight(req)
      return await this.budAndPush(req)
    } catch (error) {
      throw cancelledOr(error, req.image, req.signal)
    }
  }

  /** bud, then push the image (its digest is the release's) and each extra tag. */
  private async budAndPush(req: BuildRequest): Promise<BuildResult> {
    for (const secret of req.secrets) req.logger.mask(secret.value)
    const env = await this.buildahEnv()
    const dir = await mkdtemp(join(this.env.RUNNER_TEMP || tmpdir(), 'canary-buildah-'))
    try {
      const iidFile = join(dir, 'iid')
      const secretFiles = await writeSecretFiles(dir, req.secrets)
      const built = await runStep(
        this.runner,
        'buildah',
        buildahBudArgs(req, { iidFile, secretFiles }),
        { env, logger: req.logger, signal: req.signal },
        `buildah bud of ${req.image}`
      )
      const digest = await this.push(req, req.image, join(dir, 'digest'), env)
      for (const [i, tag] of req.tags.entries()) {
        await this.push(req, tag, join(dir, `digest-${i}`), env)
      }
      return pushedImage(req.image, digest, {
        imageId: await readImageId(iidFile),
        cacheHit: allStepsCached(built.stdout)
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** `buildah push` of one tag; the digest buildah wrote while pushing it. */
  private async push(
    req: BuildRequest,
    tag: string,
    digestFile: string,
    env: Env
  ): Promise<string> {
    await runStep(
      this.runner,
      'buildah',
      buildahPushArgs(req, digestFile, tag),
      { env, logger: req.logger, signal: req.signal },
      `buildah push of ${tag} to registry ${parseImageRef(tag).registry}`
    )
    const digest = (await readFile(digestFile, 'utf8').catch(() => '')).trim()
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) {
      throw new Error(`buildah push of ${tag} wrote no digest to ${digestFile}`)
    }
    return digest
  }
}
