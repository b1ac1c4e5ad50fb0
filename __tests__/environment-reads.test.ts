/**
 * DESIGN.md: only settings.ts reads the environment (the run context), and only the entries know
 * they run in a process of their own. Every other file is handed what it needs.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const SRC = join(process.cwd(), 'src')
const MAY_READ = ['settings.ts', 'main.ts', 'post.ts', 'cli.ts', 'index.ts']

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : []
  )
}

it('finds process.env only in settings.ts and the entries', () => {
  const readers = sources(SRC)
    .filter(file => readFileSync(file, 'utf8').includes('process.env'))
    .map(file => relative(SRC, file))
  expect(readers.filter(file => !MAY_READ.includes(file))).toEqual([])
  expect(readers).toContain('settings.ts')
})
