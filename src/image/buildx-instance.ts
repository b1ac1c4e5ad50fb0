/**
 * Which buildx builder a build runs on. The default `docker` driver (on the classic image store, as
 * on GitHub's runners) refuses cache export ("Cache export is not supported for the docker driver"),
 * attestations ("Attestation is not supported for the docker driver") and multi-platform builds.
 * When a build needs one of those, we make our own `docker-container` builder for it, as
 * docker/setup-buildx-action would, and remove it afterwards; when that cannot be made, the caller
 * drops what the docker driver cannot do, with a warning, or fails naming the input that asked.
 */
import { randomBytes } from 'node:crypto'
import { tail, type CommandRunner } from './command.js'
import { exportsCache } from './cache-backend.js'
import type { BuildRequest, Env } from './types.js'

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
  private created: string | undefined

  constructor(private readonly runner: CommandRunner) {}

  /** The builder for this request, making a docker-container one when the docker driver cannot. */
  async forRequest(req: BuildRequest, env: Env, commandEnv: Env): Promise<BuilderInstance> {
    if (this.created) return { kind: 'created', name: this.created }
    const limits = dockerDriverLimits(req, env)
    if (limits.length === 0) return { kind: 'current' }
    const inspected = await this.runner('docker', ['buildx', 'inspect'], { env: commandEnv })
    // Unknown driver: build on the current one; a refusal is still caught from the build's output.
    if (inspected.exitCode !== 0) return { kind: 'current' }
    if (driverFromInspect(inspected.stdout) !== 'docker') return { kind: 'current' }
    const name = `canary-deploy-${randomBytes(4).toString('hex')}`
    req.logger.info(
      `the current buildx builder uses the docker driver, which cannot do ${limits.join(', ')}: creating the docker-container builder ${name}`
    )
    const made = await this.runner(
      'docker',
      ['buildx', 'create', '--driver', 'docker-container', '--name', name],
      { env: commandEnv, logger: req.logger, signal: req.signal }
    )
    if (made.exitCode !== 0) {
      return {
        kind: 'docker-driver',
        why: `creating a docker-container builder failed: ${tail(made.stderr || made.stdout, 3)}`
      }
    }
    this.created = name
    return { kind: 'created', name }
  }

  /** Removes the builder we made (its BuildKit container with it). */
  async dispose(commandEnv: Env): Promise<void> {
    const name = this.created
    this.created = undefined
    if (name) await this.runner('docker', ['buildx', 'rm', name], { env: commandEnv })
  }
}
