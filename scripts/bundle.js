// Bundles the action with esbuild into dist/: index.js and the chunks it imports when a path needs
// them, self-contained ES modules that the runner loads without node_modules, each with its source
// map beside it (*.js.map, not inlined), and the licence texts of every package it can contain
// (dist/licenses.txt, scripts/licenses.js). The post step (dist/post.js) and the CLI (dist/cli.js)
// enter index.js.
//
// Of @kubernetes/client-node only the kubeconfig and its auth are bundled: the modules its config.js
// imports for the generated API clients, the oidc/azure/gcp auth providers and SOCKS proxies are
// replaced by src/k8s/client-node-omitted.ts, whose stand-ins refuse by name. That keeps the bundle
// near a third of its size, and start-up with it (npm run bench prints both).
//
//   node scripts/bundle.js [--entry src/index.ts] [--outdir dist]
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { builtinModules } from 'node:module'
import { parseArgs } from 'node:util'
import * as esbuild from 'esbuild'
import { licensesText } from './licenses.js'

const { values: args } = parseArgs({
  options: {
    entry: { type: 'string', default: 'src/index.ts' },
    outdir: { type: 'string', default: 'dist' }
  }
})

const CLIENT_NODE_DIST = /node_modules\/@kubernetes\/client-node\/dist\/config\.js$/
const OMITTED = resolve('src/k8s/client-node-omitted.ts')
/** What client-node's config.js imports that the bundle replaces with OMITTED. */
const REPLACED_IMPORTS = new Set([
  './gen/index.js',
  './oidc_auth.js',
  './azure_auth.js',
  './gcp_auth.js',
  'undici',
  'socks',
  'socks-proxy-agent'
])
/** Bundled inputs that would mean a replacement no longer holds. */
const MUST_NOT_SHIP = [
  // middleware.js (kept: it is small) needs gen's tiny rxjsStub, none of the rest.
  /@kubernetes\/client-node\/dist\/gen\/(?!rxjsStub\.js)/,
  /@kubernetes\/client-node\/node_modules\/undici\//,
  /node_modules\/(openid-client|jsonpath-plus|socks|socks-proxy-agent|ws|tar-fs)\//
]

const LAZY_UNDICI = resolve('scripts/bundle-shims/undici.cjs')

/** @type {esbuild.Plugin} */
const omitClientNodeParts = {
  name: 'omit-client-node-parts',
  setup(build) {
    build.onResolve({ filter: /.*/ }, ({ path, importer }) => {
      if (CLIENT_NODE_DIST.test(importer) && REPLACED_IMPORTS.has(path)) return { path: OMITTED }
      // Everyone else's undici (@actions/*) is loaded only when a proxy needs it, from its own file.
      if (path === 'undici')
        return importer === LAZY_UNDICI
          ? { path: './undici.cjs', external: true }
          : { path: LAZY_UNDICI }
      return undefined
    })
  }
}

const BUILTIN = new Set(builtinModules.filter(name => !name.startsWith('_')))
const BY_REQUIRE = 'node-builtin-by-require'

/**
 * Node's modules are required, not imported: an ES module import of node:http builds its export
 * namespace, and reading every export starts Node's internal fetch (undici, http2, zlib, workers),
 * 13 MB of RSS and some milliseconds that a require() does not cost. Each import of one becomes
 * a CommonJS module that requires it; the bundle's require is the banner's createRequire.
 * @type {esbuild.Plugin}
 */
const requireNodeModules = {
  name: 'require-node-modules',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, ({ path, namespace }) => {
      const name = path.replace(/^node:/, '')
      if (!BUILTIN.has(name)) return undefined
      if (namespace === BY_REQUIRE) return { path: `node:${name}`, external: true }
      return { path: name, namespace: BY_REQUIRE }
    })
    build.onLoad({ filter: /.*/, namespace: BY_REQUIRE }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${path}`)})`,
      loader: 'js'
    }))
  }
}

const outdir = args.outdir
rmSync(outdir, { recursive: true, force: true })
mkdirSync(outdir, { recursive: true })
const result = await esbuild.build({
  entryPoints: [args.entry],
  outdir,
  entryNames: 'index',
  // Each dynamic import() starts a chunk, loaded only by the paths that need it: `--help` reads
  // no Kubernetes or GitHub code, the post step none of the commands'.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  // A stack from a bug report is read with the map: node --enable-source-maps, or any map reader.
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // CommonJS dependencies call require() for Node's own modules; an ES module has none of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'\nconst require = __createRequire(import.meta.url)"
  },
  plugins: [requireNodeModules, omitClientNodeParts]
})

// undici in a file of its own, required by scripts/bundle-shims/undici.cjs only when a proxy needs
// it: not even parsed on every start (it is 40% of the bundle's bytes).
await esbuild.build({
  entryPoints: [resolve('node_modules/undici/index.js')],
  outfile: join(outdir, 'undici.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning'
})

const inputs = Object.keys(result.metafile.inputs)
const shipped = inputs.filter(input => MUST_NOT_SHIP.some(pattern => pattern.test(input)))
if (shipped.length > 0) {
  throw new Error(
    `the bundle took in what scripts/bundle.js leaves out of client-node:\n  ${shipped.join('\n  ')}`
  )
}

// The licence texts of every package the bundle can contain (scripts/licenses.js), beside it.
writeFileSync(join(outdir, 'licenses.txt'), licensesText())

// The post step and the CLI enter the same bundle; the CLI is also the package's `bin`.
writeFileSync(
  join(outdir, 'post.js'),
  "globalThis.canaryDeployEntry = 'post'\nawait import('./index.js')\n"
)
writeFileSync(
  join(outdir, 'cli.js'),
  "#!/usr/bin/env node\nglobalThis.canaryDeployEntry = 'cli'\nawait import('./index.js')\n"
)
chmodSync(join(outdir, 'cli.js'), 0o755)
writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n')
