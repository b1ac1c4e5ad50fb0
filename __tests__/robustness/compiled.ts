/**
 * Our own build of the action and CLI (tsconfig.tools.json into a private directory), for tests
 * that run them as child processes: dist may be stale. Each test file builds into its own directory.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'

/** Builds into `.tmp/<name>`; returns where `src/` landed. */
export function compile(name: string): string {
  const outDir = join(process.cwd(), '.tmp', name)
  rmSync(outDir, { recursive: true, force: true })
  try {
    execFileSync(
      process.execPath,
      [
        join(process.cwd(), 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.tools.json',
        '--outDir',
        outDir
      ],
      { stdio: 'pipe' }
    )
  } catch {
    // Type errors elsewhere (files being edited) do not stop tsc from emitting.
  }
  const src = join(outDir, 'src')
  if (!existsSync(join(src, 'index.js'))) throw new Error(`could not build ${src}`)
  return src
}

/** Removes what compile(name) built. */
export function removeCompiled(name: string): void {
  rmSync(join(process.cwd(), '.tmp', name), { recursive: true, force: true })
}
