// Bundles the action with ncc into dist/index.js, one self-contained ESM file that the runner loads
// without node_modules. The post step (dist/post.js) and the CLI (dist/cli.js) enter that same file.
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
import { minify } from 'terser'
import { licensesText } from './licenses.js'

rmSync('dist', { recursive: true, force: true })
mkdirSync('dist')
const out = mkdtempSync(join(tmpdir(), 'ncc-'))
execFileSync(
  process.execPath,
  [
    'node_modules/@vercel/ncc/dist/ncc/cli.js',
    'build',
    'src/index.ts',
    '-o',
    out,
    '--no-source-map-register',
    '--quiet',
    '--target',
    'es2023'
  ],
  { stdio: 'inherit' }
)
for (const file of readdirSync(out)) renameSync(join(out, file), join('dist', file))
rmSync(out, { recursive: true, force: true })

// ncc's own --minify gives up on the modern syntax of undici 8 (and says so), shipping 20 MB;
// terser 5 parses it. negate_iife stays off so V8 keeps compiling functions lazily at start-up.
const minified = await minify(readFileSync('dist/index.js', 'utf8'), {
  module: true,
  ecma: 2022,
  compress: { negate_iife: false },
  mangle: true,
  format: { comments: false }
})
writeFileSync('dist/index.js', minified.code)

// The post step and the CLI enter the same bundle; the CLI is also the package's `bin`.
writeFileSync('dist/post.js', "globalThis.canaryDeployEntry = 'post'\nawait import('./index.js')\n")
writeFileSync(
  'dist/cli.js',
  "#!/usr/bin/env node\nglobalThis.canaryDeployEntry = 'cli'\nawait import('./index.js')\n"
)
chmodSync('dist/cli.js', 0o755)
writeFileSync('dist/package.json', '{ "type": "module" }\n')
// The licence texts of every package the bundle can contain, shipped beside it.
writeFileSync('dist/licenses.txt', licensesText())
