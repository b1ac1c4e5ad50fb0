/**
 * Which buildx builder a build runs on. The default `docker` driver (on the classic image store, as
 * on GitHub's runners) refuses cache export ("Cache export is not supported for the docker driver"),
 * attestations ("Attestation is not supported for the docker driver") and multi-platform builds.
 * When a build needs one of those, we make our own `docker-container` builder for it, as
 * docker/setup-buildx-action would, and remove it afterwards; when that cannot be made, the caller
 * drops what the docker driver cannot do, with a warning, or fails naming the input that asked.
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from '../logger.js'
import { CommandTimeoutError, tail, type CommandRunner } from './command.js'
import { exportsCache } from './cache-backend.js'
import type { BuildRequest, Env } from './types.js'

/** inspect and create only read and write buildx's own config (create starts no container). */
const INSPECT_TIMEOUT_MS = 30_000
const CREATE_TIMEOUT_MS = 30_000
/**
 * rm stops and removes the BuildKit container. It also runs after a cancelled build, so it is held
 * to what is left of the 10 s a cancelled run has to stop, its own SIGTERM grace included.
 */
const REMOVE_TIMEOUT_MS = 5_000

/** The driver of the builder `docker buildx build` would use (`Driver:` of `docker buildx inspect`). */
export function driverFromInspect(output: string): string | undefined {
  return /^Driver:\s*(\S+)/m.exec(output)?.[1]
}

/** What of a request the `docker` driver on the classic image store cannot do. */
export function dockerDriverLimits(req: BuildRequest, env: Env): string[] {
  const limits: string[] = []
  if (exportsCache(req, env)) limits.push('cache export')
  if (req.attestations.provenance || req.attestations.sbom) limits.push('attestations')
  if (req.platforms.length > 1) limits.push('several platforms')
  return limits
}

export type BuilderInstance =
  /** The current builder can do all the request asks: no --builder. */
  | { kind: 'current' }
  /** Our own docker-container builder, to pass as --builder and remove afterwards. */
  | { kind: 'created'; name: string }
  /** The docker driver, and no other could be made: the caller drops what it cannot do. */
  | { kind: 'docker-driver'; why: string }

export class BuildxInstances {
  private created: { name: string; logger: Logger } | undefined
  /** The current builder's driver, once inspected (undefined inside: not known). */
  private inspected: Promise<{ driver?: string }> | undefined

  constructor(private readonly runner: CommandRunner) {}

  /**
   * The current builder's driver, when the request needs more than the docker driver can do (the
   * only case where it matters): `docker buildx inspect`, a read, run once however often asked.
   */
  async currentDriver(req: BuildRequest, env: Env, commandEnv: Env): Promise<string | undefined> {
    if (dockerDriverLimits(req, env).length === 0) return undefined
    this.inspected ??= this.inspect(req, commandEnv)
    return (await this.inspected).driver
  }

  private async inspect(req: BuildRequest, commandEnv: Env): Promise<{ driver?: string }> {
    const inspected = await this.runner('docker', ['buildx', 'inspect'], {
      env: commandEnv,
      signal: req.signal,
      timeoutMs: INSPECT_TIMEOUT_MS
    }).catch((error: unknown) => {
      if (!(error instanceof CommandTimeoutError)) throw error
      throw new Error(`${error.message}: is the Docker daemon answering?`, { cause: error })
    })
    // Unknown driver: build on the current one; a refusal is still caught from the build's output.
    return inspected.exitCode === 0 ? { driver: driverFromInspect(inspected.stdout) } : {}
  }

  /** The builder for this request, making a docker-container one when the docker driver cannot. */
  async forRequest(req: BuildRequest, env: Env, commandEnv: Env): Promise<BuilderInstance> {
    if (this.created) return { kind: 'created', name: this.created.name }
    if ((await this.currentDriver(req, env, commandEnv)) !== 'docker') return { kind: 'current' }
    const limits = dockerDriverLimits(req, env)
    const name = `canary-deploy-${randomBytes(4).toString('hex')}`
    req.logger.info(
      `the current buildx builder uses the docker driver, which cannot do ${limits.join(', ')}: creating the docker-container builder ${name}`
    )
    const failed = (why: string): BuilderInstance => ({
      kind: 'docker-driver',
      why: `creating a docker-container builder failed: ${why}`
    })
    try {
      const made = await this.runner(
        'docker',
        ['buildx', 'create', '--driver', 'docker-container', '--name', name],
        { env: commandEnv, logger: req.logger, signal: req.signal, timeoutMs: CREATE_TIMEOUT_MS }
      )
      if (made.exitCode !== 0) return failed(tail(made.stderr || made.stdout, 3))
    } catch (error) {
      if (!(error instanceof CommandTimeoutError)) throw error
      // It may have got as far as writing the builder: remove it rather than leave it behind
      // (an rm that finds no such builder has nothing to report).
      const left = await this.remove(name, commandEnv)
      if (left?.timedOut) warnLeftBehind(req.logger, name, left.why)
      return failed(error.message)
    }
    this.created = { name, logger: req.logger }
    return { kind: 'created', name }
  }

  /** Removes the builder we made (its BuildKit container with it). */
  async dispose(commandEnv: Env): Promise<void> {
    const created = this.created
    this.created = undefined
    if (!created) return
    const left = await this.remove(created.name, commandEnv)
    if (left) warnLeftBehind(created.logger, created.name, left.why)
  }

  /** `docker buildx rm`, bounded: undefined once removed, else why not. */
  private async remove(
    name: string,
    commandEnv: Env
  ): Promise<{ why: string; timedOut: boolean } | undefined> {
    try {
      const result = await this.runner('docker', ['buildx', 'rm', name], {
        env: commandEnv,
        timeoutMs: REMOVE_TIMEOUT_MS
      })
      if (result.exitCode === 0) return undefined
      return { why: tail(result.stderr || result.stdout, 1), timedOut: false }
    } catch (error) {
      if (!(error instanceof CommandTimeoutError)) throw error
      return { why: error.message, timedOut: true }
    }
  }
}

function warnLeftBehind(logger: Logger, name: string, why: string): void {
  logger.warning(
    `the buildx builder ${name} was not removed (${why}): remove it with \`docker buildx rm ${name}\``
  )
}
