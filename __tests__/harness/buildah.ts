/**
 * An isolated buildah environment for tests and benchmarks: its own storage (vfs, in a temp dir,
 * so a "cold" build is really cold and other users of the machine are untouched), chroot
 * isolation and an empty auth file.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface BuildahSandbox {
  env: Record<string, string>
  dispose(): Promise<void>
}

/** Why the real-builder tests cannot run here, or undefined when buildah is on PATH. */
export function buildahMissingReason(): string | undefined {
  try {
    execFileSync('buildah', ['--version'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'buildah is not on PATH (apt-get install buildah); skipping the real image builder tests'
  }
}

export async function buildahSandbox(): Promise<BuildahSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'canary-buildah-sandbox-'))
  const storageConf = join(dir, 'storage.conf')
  await writeFile(
    storageConf,
    `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'graph')}"\nrunroot = "${join(dir, 'run')}"\n`
  )
  const authFile = join(dir, 'auth.json')
  await writeFile(authFile, '{}\n', { mode: 0o600 })
  return {
    env: {
      CONTAINERS_STORAGE_CONF: storageConf,
      STORAGE_DRIVER: 'vfs',
      BUILDAH_ISOLATION: 'chroot',
      REGISTRY_AUTH_FILE: authFile
    },
    dispose: () => rm(dir, { recursive: true, force: true })
  }
}
