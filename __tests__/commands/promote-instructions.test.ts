/**
 * What the deploy summary tells a maintainer to run works as written: the promote workflow's
 * inputs first, then the CLI lines as a clone runs them (`node dist/cli.js`, README "From a
 * shell"), each of which, run through the CLI, promotes or rolls back the release just deployed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { V1Deployment } from '@kubernetes/client-node'
import { cli } from '../../src/cli.js'
import { NAMESPACE, NEW_DIGEST, NEW_IMAGE, startShop, type Shop } from './fixture.js'
import { putWebService } from './strategies-fixture.js'

let shop: Shop
let dir: string
beforeEach(async () => {
  shop = await startShop()
  dir = mkdtempSync(join(tmpdir(), 'canary-instructions-'))
})
const kubeconfigBefore = process.env.KUBECONFIG
afterEach(async () => {
  if (kubeconfigBefore === undefined) delete process.env.KUBECONFIG
  else process.env.KUBECONFIG = kubeconfigBefore
  await shop.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** The summary's shell lines, split into words as a POSIX shell would (single quotes only). */
function shellLines(markdown: string): string[][] {
  const block = /```sh\n([\s\S]*?)\n```/.exec(markdown)?.[1] ?? ''
  return block
    .split('\n')
    .filter(line => !line.startsWith('#'))
    .map(line => [...line.matchAll(/'([^']*)'|(\S+)/g)].map(m => m[1] ?? m[2]))
}

/** Runs one line as the shell would, through the CLI's own entry, with the kubeconfig in KUBECONFIG. */
async function runLine(words: string[]): Promise<{ code: number; out: string }> {
  expect(words.slice(0, 2)).toEqual(['node', 'dist/cli.js'])
  const kubeconfig = join(dir, 'kubeconfig')
  writeFileSync(kubeconfig, shop.cluster.kubeconfig)
  let out = ''
  // A shell hands the CLI one environment; client-node reads KUBECONFIG from the process's own.
  process.env.KUBECONFIG = kubeconfig
  const code = await cli(
    words.slice(2),
    {
      stdout: text => (out += text),
      stderr: text => (out += text),
      env: { KUBECONFIG: kubeconfig }
    },
    new AbortController().signal
  )
  return { code, out }
}

it('names the CLI a clone has, not a command on PATH', () => {
  expect(existsSync(join(process.cwd(), 'dist/cli.js'))).toBe(true)
})

describe.each([
  ['replicas', {}, 'shop-web'],
  ['rainbow', { strategy: 'rainbow' }, 'shop-web-abcdef']
] as const)('with the %s strategy, the summary of a deploy', (_name, strategy, live) => {
  const env = { GITHUB_SHA: 'abcdef1234567890', GITHUB_REPOSITORY: 'acme/shop' }
  let markdown = ''
  beforeEach(async () => {
    putWebService(shop)
    await shop.cluster.settle()
    const deployed = await shop.run('deploy', strategy, env)
    expect(deployed.report.reason).toBeUndefined()
    markdown = deployed.report.next?.markdown ?? ''
  })

  it('gives the workflow_dispatch inputs first, then the CLI lines', () => {
    expect(markdown.indexOf('| `digest` |')).toBeGreaterThan(-1)
    expect(markdown.indexOf('| `digest` |')).toBeLessThan(markdown.indexOf('```sh'))
    expect(shellLines(markdown).map(words => words.slice(0, 3))).toEqual([
      ['node', 'dist/cli.js', 'promote'],
      ['node', 'dist/cli.js', 'rollback']
    ])
  })

  it('promotes the release with its promote line, as written', async () => {
    const { code, out } = await runLine(shellLines(markdown)[0])
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('succeeded') })
    const image = shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, live)?.spec?.template.spec
      ?.containers[0].image
    expect(image).toBe(NEW_IMAGE)
    expect(out).toContain(NEW_DIGEST.slice(0, 15))
  })

  it('rolls the release back with its rollback line, as written', async () => {
    const { code, out } = await runLine(shellLines(markdown)[1])
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('succeeded') })
  })
})
