/**
 * Plain `docker build` + `docker push`, for machines with a Docker engine but no buildx plugin.
 * The digest comes from the push output (`<tag>: digest: sha256:... size: N`).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLogger, type Logger } from '../logger.js'
import { refuseUnsupported } from './builder-abilities.js'
import { pushedImage } from './build-result.js'
import { readImageId } from './image-id.js'
import { cancelledOr, execRunner, runStep, tail, type CommandRunner } from './command.js'
import { PrivateDockerConfig } from './docker-config.js'
import { imageLabels, keyValueFlags } from './image-labels.js'
import { parseImageRef } from './image-ref.js'
import type { BuildRequest, BuildResult, Env, ImageBuilder } from './types.js'

export function dockerBuildArgs(req: BuildRequest, iidFile?: string): string[] {
  const args = ['build', '--file', req.dockerfile]
  for (const tag of [req.image, ...req.tags]) args.push('--tag', tag)
  if (req.target) args.push('--target', req.target)
  if (req.platforms.length === 1) args.push('--platform', req.platforms[0])
  if (iidFile) args.push('--iidfile', iidFile)
  args.push(...keyValueFlags('--build-arg', req.buildArgs))
  args.push(...keyValueFlags('--label', imageLabels(req)))
  if (req.cache === 'registry') {
    // The classic engine cannot export a cache; the pushed image carries it inline instead.
    args.push('--build-arg', 'BUILDKIT_INLINE_CACHE=1', '--cache-from', req.image)
  }
  args.push(req.context)
  return args
}

export function dockerPushArgs(image: string): string[] {
  return ['push', image]
}

/** The manifest digest `docker push` prints last. */
export function digestFromPushOutput(output: string): string | undefined {
  const matches = [...output.matchAll(/digest: (sha256:[a-f0-9]{64})/g)]
  return matches.at(-1)?.[1]
}

/** Replaces a secret in tool output before it can reach an error message. */
export function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text
}

/** `docker login --password-stdin`, shared by the docker and buildx builders. */
export async function dockerLogin(
  runner: CommandRunner,
  env: Env,
  logger: Logger,
  registry: string,
  username: string,
  password: string
): Promise<void> {
  logger.mask(password)
  const result = await runner(
    'docker',
    ['login', '--username', username, '--password-stdin', registry],
    {
      env,
      input: password
    }
  )
  if (result.exitCode !== 0) {
    const output = redact(tail(result.stderr || result.stdout, 5), password)
    throw new Error(`docker login to registry ${registry} as ${username} failed: ${output}`)
  }
}

/**
 * What both Docker CLI builders share: a login kept in a private DOCKER_CONFIG that dispose()
 * removes, and a build that reports cancellation as such.
 */
export abstract class DockerCliBuilder implements ImageBuilder {
  abstract readonly name: 'buildx' | 'docker'
  protected readonly config: PrivateDockerConfig

  constructor(
    protected readonly env: Env,
    protected readonly logger: Logger = new MemoryLogger(),
    protected readonly runner: CommandRunner = execRunner
  ) {
    this.config = new PrivateDockerConfig(env)
  }

  async login(registry: string, username: string, password: string): Promise<void> {
    const env = await this.config.loginEnv(registry)
    return dockerLogin(this.runner, env, this.logger, registry, username, password)
  }

  /** Removes the private DOCKER_CONFIG a login made, with the credentials in it. */
  dispose(): Promise<void> {
    return this.config.dispose()
  }

  abstract preflight(req: BuildRequest): Promise<void>

  async build(req: BuildRequest): Promise<BuildResult> {
    try {
      await this.preflight(req)
      return await this.buildAndPush(req)
    } catch (error) {
      throw cancelledOr(error, req.image, req.signal)
    }
  }

  protected abstract buildAndPush(req: BuildRequest): Promise<BuildResult>
}

export class DockerBuilder extends DockerCliBuilder {
  readonly name = 'docker' as const

  /** The classic builder (no buildx plugin): no secrets, one platform, no attestations. */
  async preflight(req: BuildRequest): Promise<void> {
    refuseUnsupported('docker', req, { secrets: false, platforms: 1, attestations: false })
  }

  protected async buildAndPush(req: BuildRequest): Promise<BuildResult> {
    const env = await this.config.commandEnv()
    const dir = await mkdtemp(join(this.env.RUNNER_TEMP || tmpdir(), 'canary-docker-'))
    try {
      const iidFile = join(dir, 'iid')
      const step = { env, logger: req.logger, signal: req.signal }
      await runStep(
        this.runner,
        'docker',
        dockerBuildArgs(req, iidFile),
        step,
        `docker build of ${req.image}`
      )
      // The image first: its digest is the release's; extra tags point at the same manifest.
      const digest = await this.push(req.image, env, req)
      for (const tag of req.tags) await this.push(tag, env, req)
      return pushedImage(req.image, digest, { imageId: await readImageId(iidFile) })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  private async push(tag: string, env: Env, req: BuildRequest): Promise<string> {
    const pushed = await runStep(
      this.runner,
      'docker',
      dockerPushArgs(tag),
      { env, logger: req.logger, signal: req.signal },
      `docker push of ${tag} to registry ${parseImageRef(tag).registry}`
    )
    const digest = digestFromPushOutput(pushed.stdout + pushed.stderr)
    if (!digest) throw new Error(`docker push of ${tag} did not report a digest`)
    return digest
  }
}
