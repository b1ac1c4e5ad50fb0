// Bundles the action (dist/index.js), its post step (dist/post.js) and the CLI (dist/cli.js) with
// ncc. Each is one self-contained ESM file: the runner and `npx` load them without node_modules.
import { execFileSync } from 'node:child_process'
import {
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  readFileSync,
  chmodSync,
  mkdirSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const entries = [
  ['src/index.ts', 'index.js'],
  ['src/post.ts', 'post.js'],
  ['src/cli-entry.ts', 'cli.js']
]

rmSync('dist', { recursive: true, force: true })
mkdirSync('dist')
for (const [entry, output] of entries) {
  const out = mkdtempSync(join(tmpdir(), 'ncc-'))
  execFileSync(
    process.execPath,
    [
      'node_modules/@vercel/ncc/dist/ncc/cli.js',
      'build',
      entry,
      '-o',
      out,
      '--minify',
      '--no-source-map-register',
      '--quiet',
      '--target',
      'es2023'
    ],
    { stdio: 'inherit' }
  )
  const files = readdirSync(out)
  for (const file of files) {
    const target = file === 'index.js' ? output : file
    if (file === 'index.js' || !files.includes(target))
      renameSync(join(out, file), join('dist', target))
  }
  rmSync(out, { recursive: true, force: true })
}
// The CLI is also the package's `bin`.
const cli = readFileSync('dist/cli.js', 'utf8')
if (!cli.startsWith('#!')) writeFileSync('dist/cli.js', `#!/usr/bin/env node\n${cli}`)
chmodSync('dist/cli.js', 0o755)
writeFileSync('dist/package.json', '{ "type": "module" }\n')
