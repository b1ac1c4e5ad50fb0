/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.x) on a free 127.0.0.1
 * port, filesystem storage in a temp dir, optionally behind htpasswd (bcrypt) basic auth.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { bcrypt } from './bcrypt.js'
import { freePort } from './local-process.js'

export const REGISTRY_BINARY = '/usr/bin/docker-registry'

export interface RegistryOptions {
  auth?: { user: string; password: string }
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, usable as the registry part of an image reference. */
  host: string
  stop(): Promise<void>
}

async function waitUntilAnswering(
  url: string,
  child: ChildProcess,
  output: () => string
): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`docker-registry exited with ${child.exitCode}: ${output()}`)
    }
    try {
      const response = await fetch(url)
      // 401 is an answer too: the registry is up and asking for credentials.
      if (response.status === 200 || response.status === 401) return
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error(`docker-registry did not answer ${url} within 15s: ${output()}`)
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'canary-registry-'))
  const port = await freePort()
  const host = `127.0.0.1:${port}`
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: host }
  }
  if (opts.auth) {
    const htpasswd = join(dir, 'htpasswd')
    await writeFile(htpasswd, `${opts.auth.user}:${bcrypt(opts.auth.password)}\n`)
    config.auth = { htpasswd: { realm: 'canary-test', path: htpasswd } }
  }
  const configPath = join(dir, 'config.yml')
  await writeFile(configPath, stringify(config))

  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  }

  try {
    await waitUntilAnswering(`http://${host}/v2/`, child, () => output)
  } catch (error) {
    await stop()
    throw error
  }
  return { host, stop }
}
