// The licence texts of every package the bundle can contain: each production dependency that
// package-lock.json installs (`npm ci --omit=dev`), with the licence file it ships. Generated from
// the lock rather than from what ncc's licence plugin noticed, which misses packages it bundles
// (jsep, through @kubernetes/client-node's jsonpath-plus). Written by scripts/bundle.js.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const LICENSE_FILE = /^(licen[cs]e|copying|unlicense)(\.|-|$)/i
const RULE = '-'.repeat(80)

/** The text of dist/licenses.txt for the tree installed under root. */
export function licensesText(root = process.cwd()) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
  const blocks = new Map()
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (!path || meta.dev) continue
    const dir = join(root, path)
    if (!existsSync(join(dir, 'package.json'))) {
      // An optional dependency for another platform is not installed, so it cannot be bundled.
      if (meta.optional) continue
      throw new Error(`${path} is in package-lock.json but not installed: run npm ci`)
    }
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const id = `${pkg.name}@${pkg.version}`
    const license = typeof pkg.license === 'string' ? pkg.license : (meta.license ?? 'UNKNOWN')
    const file = readdirSync(dir)
      .filter(name => LICENSE_FILE.test(name))
      .sort()[0]
    const text = file
      ? readFileSync(join(dir, file), 'utf8').trim()
      : `(the package ships no licence file; its package.json says ${license})`
    blocks.set(id, `${id}\n${license}\n\n${text}`)
  }
  const sorted = [...blocks.keys()].sort().map(id => blocks.get(id))
  return `Licences of the ${sorted.length} packages bundled in dist/ (production dependencies of package-lock.json)\n\n${RULE}\n\n${sorted.join(`\n\n${RULE}\n\n`)}\n`
}
