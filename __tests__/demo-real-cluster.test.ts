/**
 * `npm run demo -- --kubeconfig FILE --image REPO` on a real cluster: the image it builds must
 * answer /version with the version the smoke checks expect, so the build argument it passes is
 * the one examples/app's Dockerfile reads, set to the release version.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from '../src/cli.js'
import {
  flagValue,
  realClusterDeployArgs,
  VERSION_BUILD_ARG
} from '../scripts/demo-real-cluster.js'

const COMMON = ['--app', 'shop', '--namespace', 'shop']

/** The inputs the CLI reads from the demo's argv. */
const inputsOf = (given: string[], fallback = 'demo-abcde') => {
  const parsed = parseArgs(realClusterDeployArgs(COMMON, given, fallback))
  if (parsed === 'help') throw new Error('the demo asked for help')
  return parsed
}

describe('the real-cluster demo', () => {
  it('builds with the release version as the build argument examples/app/Dockerfile reads', () => {
    const dockerfile = readFileSync(new URL('../examples/app/Dockerfile', import.meta.url), 'utf8')
    expect(dockerfile).toMatch(new RegExp(`^ARG ${VERSION_BUILD_ARG}=`, 'm'))
    const inputs = inputsOf(['--image', 'registry.example.com/shop'])
    expect(inputs.get('version')).toBe('demo-abcde')
    expect(inputs.get('build-args')).toBe(`${VERSION_BUILD_ARG}=demo-abcde`)
    expect(inputs.get('build-context')).toBe('examples/app')
  })

  it('bakes in the version given with --version, which the smoke checks then expect', () => {
    for (const given of [
      ['--image', 'registry.example.com/shop', '--version', 'v7'],
      ['--image=registry.example.com/shop', '--version=v7']
    ]) {
      const inputs = inputsOf(given)
      expect([inputs.get('version'), inputs.get('build-args')]).toEqual([
        'v7',
        `${VERSION_BUILD_ARG}=v7`
      ])
    }
  })

  it('reads a flag in either form, the last one winning as in the CLI', () => {
    expect(flagValue(['--image', 'a', '--image=b'], 'image')).toBe('b')
    expect(flagValue(['--image-x', 'a'], 'image')).toBeUndefined()
  })
})
