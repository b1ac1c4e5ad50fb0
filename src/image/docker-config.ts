/**
 * A private DOCKER_CONFIG for the Docker builders' registry login: `docker login` writes the password
 * into $DOCKER_CONFIG/config.json, and on a self-hosted runner ~/.docker outlives the job. The private
 * directory (0700, under RUNNER_TEMP) is removed on dispose. A DOCKER_CONFIG the user set is theirs:
 * it is used as is and never removed, as BuildahBuilder does with a given REGISTRY_AUTH_FILE.
 */
import { lstat, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Env } from './types.js'

/**
 * What docker and buildx keep next to config.json and still need: CLI plugins (buildx itself when
 * installed per user), buildx builder instances (docker/setup-buildx-action), docker contexts.
 * System-wide plugin folders such as /usr/libexec/docker/cli-plugins are found without this.
 */
const SHARED_ENTRIES = ['cli-plugins', 'buildx', 'contexts']

/** Keys of config.json that store credentials outside the file: a login must not reach them. */
const CREDENTIAL_STORE_KEY = 'credsStore'
const CREDENTIAL_HELPERS_KEY = 'credHelpers'

type DockerConfigFile = Record<string, unknown>

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false
  )
}

async function readConfig(file: string): Promise<DockerConfigFile> {
  try {
    const data: unknown = JSON.parse(await readFile(file, 'utf8'))
    return typeof data === 'object' && data !== null && !Array.isArray(data)
      ? (data as DockerConfigFile)
      : {}
  } catch {
    return {}
  }
}

/** The folder docker reads when DOCKER_CONFIG is not set. */
export function defaultDockerConfigDir(env: Env): string {
  return join(env.HOME || homedir(), '.docker')
}

export class PrivateDockerConfig {
  private made: Promise<string> | undefined
  /** The private folder, once made: after a login it holds credentials. */
  private ownDir: string | undefined

  constructor(private readonly env: Env) {}

  /**
   * The environment for a docker command. Before any login it is the user's own; once logged in,
   * every command reads the private config so the credentials are found.
   */
  async commandEnv(): Promise<Env> {
    if (this.env.DOCKER_CONFIG || !this.made) return this.env
    return { ...this.env, DOCKER_CONFIG: await this.made }
  }

  /** The environment for `docker login <registry>`: from here on, the private config. */
  async loginEnv(registry: string): Promise<Env> {
    if (this.env.DOCKER_CONFIG) return this.env
    this.made ??= this.make()
    const dir = await this.made
    await this.forgetCredentialHelper(dir, registry)
    return { ...this.env, DOCKER_CONFIG: dir }
  }

  async dispose(): Promise<void> {
    const dir = this.ownDir
    this.ownDir = undefined
    this.made = undefined
    // rm does not follow the symlinks to the user's shared folders: only the links go.
    if (dir) await rm(dir, { recursive: true, force: true })
  }

  /**
   * Starts from the user's settings and logins (a docker/login-action earlier in the job keeps
   * working) but not their credential store: a new login must land in the private file only.
   */
  private async make(): Promise<string> {
    const dir = await mkdtemp(join(this.env.RUNNER_TEMP || tmpdir(), 'canary-docker-config-'))
    this.ownDir = dir
    const source = defaultDockerConfigDir(this.env)
    const config = await readConfig(join(source, 'config.json'))
    delete config[CREDENTIAL_STORE_KEY]
    await writeFile(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`, {
      mode: 0o600
    })
    for (const entry of SHARED_ENTRIES) {
      const target = join(source, entry)
      if (await exists(target)) await symlink(target, join(dir, entry))
    }
    return dir
  }

  /** A credential helper named for the registry would receive the password: drop it here. */
  private async forgetCredentialHelper(dir: string, registry: string): Promise<void> {
    const file = join(dir, 'config.json')
    const config = await readConfig(file)
    const helpers = config[CREDENTIAL_HELPERS_KEY]
    if (typeof helpers !== 'object' || helpers === null || !(registry in helpers)) return
    delete (helpers as Record<string, unknown>)[registry]
    await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  }
}
