/**
 * dist/licenses.txt carries the licence text of every package the bundle can contain: each
 * production dependency of package-lock.json, as `npm run bundle` writes it from the installed tree.
 */
import { readFileSync } from 'node:fs'
import { licensesText } from '../scripts/licenses.js'

interface LockEntry {
  version?: string
  dev?: boolean
  optional?: boolean
}

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, LockEntry>
}
const production = Object.entries(lock.packages)
  .filter(([path, meta]) => path !== '' && !meta.dev && !meta.optional)
  .map(([path, meta]) => `${path.replace(/^.*node_modules\//, '')}@${meta.version}`)
const text = licensesText()

describe('dist/licenses.txt', () => {
  it('is what npm run bundle writes from the installed production tree (fresh)', () => {
    expect(readFileSync('dist/licenses.txt', 'utf8')).toBe(text)
  })

  it('has a block for every production package of package-lock.json', () => {
    const missing = production.filter(id => !text.includes(`\n${id}\n`))
    expect(missing).toEqual([])
  })

  it('carries jsep, a production dependency ncc’s licence plugin left out', () => {
    expect(text).toMatch(/\njsep@[\d.]+\nMIT\n\n/)
  })

  it('quotes licence texts, not only their names', () => {
    expect(text).toMatch(/\n@kubernetes\/client-node@[\d.]+\nApache-2.0\n\n\s*Apache License\n/)
  })
})
