/**
 * A cancelled run (SIGTERM, as a cancelled workflow or Ctrl-C sends it) stops waiting, removes the
 * canary it created, releases the app's lock, prints the summary saying it was cancelled and exits
 * non-zero: the CLI runs as a child process against the test cluster in this process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { V1Deployment } from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { NAMESPACE, NEW_IMAGE, stableDeployment } from '../commands/fixture.js'
import { compile, removeCompiled } from './compiled.js'

const BUILD = 'robustness-cli'
/** How long the CLI may take from the signal to its exit. */
const EXIT_WITHIN_MS = 10_000

let cluster: TestCluster
let CLI: string

beforeAll(() => {
  CLI = join(compile(BUILD), 'cli-entry.js')
}, 180_000)
afterAll(() => removeCompiled(BUILD))

beforeEach(async () => {
  cluster = await startTestCluster({ namespace: NAMESPACE })
  for (const name of ['shop-web', 'shop-worker'])
    cluster.put(stableDeployment(name, { port: name.endsWith('web') }))
  await cluster.settle()
  // The canary never becomes ready: the run is waiting for its rollout when the signal comes.
  cluster.kubelet.behave({ pod: /-canary-/ }, { kind: 'hold' })
})
afterEach(() => cluster.stop())

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** false when the CLI had to be killed because it did not end after the signal */
  ended: boolean
}

function startDeploy(): { child: ChildProcess; exit: Promise<Exit>; stopAfterSignal(): void } {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'deploy',
      '--app',
      'shop',
      '--namespace',
      NAMESPACE,
      '--deployments',
      'shop-web,shop-worker',
      '--kubeconfig',
      cluster.kubeconfig,
      '--image',
      NEW_IMAGE,
      '--build',
      'false',
      '--version',
      'v2',
      '--timeout',
      '5m'
    ],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', chunk => (stdout += String(chunk)))
  child.stderr?.on('data', chunk => (stderr += String(chunk)))
  let ended = true
  let killer: NodeJS.Timeout | undefined
  const exit = new Promise<Exit>(resolve =>
    child.on('close', (code, signal) => {
      clearTimeout(killer)
      resolve({ code, signal, stdout, stderr, ended })
    })
  )
  return {
    child,
    exit,
    stopAfterSignal: () => {
      killer = setTimeout(() => {
        ended = false
        child.kill('SIGKILL')
      }, EXIT_WITHIN_MS)
    }
  }
}

async function until(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

const canary = (name: string) => cluster.get<V1Deployment>('Deployment', NAMESPACE, name)
const lease = () => cluster.get('Lease', NAMESPACE, 'shop-canary-deploy')

describe('cancelling deploy with SIGTERM while it waits for the canary', () => {
  let result: Exit

  beforeEach(async () => {
    const run = startDeploy()
    await until(
      () => canary('shop-web-canary') !== undefined && canary('shop-worker-canary') !== undefined,
      'the canaries'
    ).catch(async error => {
      run.child.kill('SIGKILL')
      const early = await run.exit
      throw new Error(`${(error as Error).message}; the CLI said:\n${early.stderr}`)
    })
    expect(lease()).toBeDefined()
    run.child.kill('SIGTERM')
    run.stopAfterSignal()
    result = await run.exit
  }, 60_000)

  it('exits non-zero, on its own, soon after the signal', () => {
    expect({ ended: result.ended, stderr: result.stderr }).toEqual({
      ended: true,
      stderr: expect.any(String)
    })
    expect(result.code).not.toBe(0)
    expect(result.code).not.toBeNull()
  })

  it('deletes the canaries it created (rollback-on-failure)', () => {
    expect(canary('shop-web-canary')).toBeUndefined()
    expect(canary('shop-worker-canary')).toBeUndefined()
  })

  it('releases the lock', () => {
    expect(lease()).toBeUndefined()
  })

  it('prints the summary, saying the run was cancelled', () => {
    expect(result.stdout).toMatch(/^#+ /m)
    expect(result.stdout).toMatch(/cancel/i)
  })
})
