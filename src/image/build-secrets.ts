/**
 * Build secrets reach a builder as files: `--secret id=<id>,src=<file>`, never an argument, an
 * environment variable of the build or a layer. Each file is 0600 in a folder only we can read
 * (mkdtemp makes it 0700), and that folder is removed when the build ends, whatever happened.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BuildSecret } from './types.js'

/** Writes each secret into dir; returns the file of each id. Names are by position, not by id. */
export async function writeSecretFiles(
  dir: string,
  secrets: BuildSecret[]
): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const [index, secret] of secrets.entries()) {
    const file = join(dir, `secret-${index}`)
    await writeFile(file, secret.value, { mode: 0o600 })
    files.set(secret.id, file)
  }
  return files
}

/** `--secret id=<id>,src=<file>` for each secret written. */
export function secretFlags(files: Map<string, string>): string[] {
  return [...files].flatMap(([id, file]) => ['--secret', `id=${id},src=${file}`])
}
