/**
 * Picks the builder the machine can run: buildx (GitHub's runners), else a plain Docker engine,
 * else buildah (containers without a Docker daemon).
 */
import type { Logger } from '../logger.js'
import { BuildahBuilder } from './buildah.js'
import { BuildxBuilder } from './buildx.js'
import { execRunner, type CommandRunner } from './command.js'
import { DockerBuilder } from './docker.js'
import type { BuilderName, Env, ImageBuilder } from './types.js'

export type BuilderChoice = 'auto' | BuilderName

export async function detectBuilder(
  env: Env,
  runner: CommandRunner = execRunner
): Promise<BuilderName> {
  if ((await runner('docker', ['buildx', 'version'], { env })).exitCode === 0) return 'buildx'
  if ((await runner('docker', ['info'], { env })).exitCode === 0) return 'docker'
  if ((await runner('buildah', ['--version'], { env })).exitCode === 0) return 'buildah'
  throw new Error(
    'no image builder on this machine: `docker buildx`, a reachable Docker engine and `buildah` are all missing; install one, or set build: false and give an image'
  )
}

export async function selectBuilder(
  env: Env,
  which: BuilderChoice,
  logger: Logger,
  runner: CommandRunner = execRunner
): Promise<ImageBuilder> {
  const name = which === 'auto' ? await detectBuilder(env, runner) : which
  logger.debug(`image builder: ${name}${which === 'auto' ? ' (detected)' : ''}`)
  switch (name) {
    case 'buildx':
      return new BuildxBuilder(env, logger, runner)
    case 'docker':
      return new DockerBuilder(env, logger, runner)
    case 'buildah':
      return new BuildahBuilder(env, logger, runner)
  }
}
