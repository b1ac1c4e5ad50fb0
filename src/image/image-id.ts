/** The image ID (config digest) a builder wrote to its --iidfile. */
import { readFile } from 'node:fs/promises'

/** The ID in `iidFile`; undefined when the builder wrote none, or not an ID. */
export async function readImageId(iidFile: string): Promise<string | undefined> {
  const id = (await readFile(iidFile, 'utf8').catch(() => '')).trim()
  return /^sha256:[a-f0-9]{64}$/.test(id) ? id : undefined
}
