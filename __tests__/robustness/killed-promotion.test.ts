/**
 * A promotion whose run is cancelled or killed is put back. A cancelled job's step gets a signal,
 * then is killed some ten seconds later: the run puts back what it can, and its record of what is
 * left outlives it, so the post step (abandon) finishes the restore. The action's main step runs
 * as a child process (its step state in a GITHUB_STATE file) against the test cluster here.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { V1Deployment, V1Pod } from '@kubernetes/client-node'
import type { RunState } from '../../src/commands/types.js'
import {
  NAMESPACE,
  NEW_DIGEST,
  NEW_IMAGE,
  STABLE_IMAGE,
  startShop,
  type Shop
} from '../commands/fixture.js'
import { compile, removeCompiled } from './compiled.js'

const BUILD = 'robustness-promotion'
let ACTION: string

beforeAll(() => {
  ACTION = join(compile(BUILD), 'index.js')
}, 180_000)
afterAll(() => removeCompiled(BUILD))

let shop: Shop
let dir: string
beforeEach(async () => {
  shop = await startShop()
  expect((await shop.run('deploy')).report.status).toBe('success')
  // The worker's new pods never become ready: the promotion is waiting for them when it ends.
  shop.cluster.kubelet.behave(
    { pod: /^shop-worker-(?!canary)/, image: NEW_IMAGE },
    { kind: 'hold' }
  )
  dir = mkdtempSync(join(tmpdir(), 'killed-promotion-'))
  // The runner makes the step's state file before the step starts.
  writeFileSync(join(dir, 'state'), '')
})
afterEach(async () => {
  await shop.stop()
  rmSync(dir, { recursive: true, force: true })
})

const INPUTS: Record<string, string> = {
  command: 'promote',
  app: 'shop',
  namespace: NAMESPACE,
  deployments: 'shop-web,shop-worker',
  image: NEW_IMAGE,
  build: 'false',
  version: 'v2',
  approve: 'true',
  digest: NEW_DIGEST,
  timeout: '5m'
}

/** The action's main step, as the runner starts it: inputs as INPUT_*, state to GITHUB_STATE. */
function startPromote(): { child: ChildProcess; exit: Promise<number | null> } {
  const inputs = { ...INPUTS, kubeconfig: shop.cluster.kubeconfig }
  const child = spawn(process.execPath, [ACTION], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_STATE: join(dir, 'state'),
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]))
    },
    stdio: 'ignore'
  })
  return { child, exit: new Promise(resolve => child.on('close', code => resolve(code))) }
}

/** What the post step is handed: the last value the main step saved under `run`. */
function recorded(): RunState {
  const text = readFileSync(join(dir, 'state'), 'utf8')
  const values = [...text.matchAll(/^run<<(\S+)\n([\s\S]*?)\n\1$/gm)].map(m => m[2])
  return { applied: [], promoting: [], ...(JSON.parse(values.at(-1) ?? '{}') as Partial<RunState>) }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 30_000
  while (!condition()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

const deployment = (name: string) => shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, name)
const imageOf = (name: string) => deployment(name)?.spec?.template.spec?.containers[0].image
const lease = () => shop.cluster.get('Lease', NAMESPACE, 'shop-canary-deploy')
const webPodsOn = (image: string) =>
  shop.cluster
    .list<V1Pod>('Pod', NAMESPACE, 'app=shop-web,canary-deploy.dev/track=stable')
    .filter(pod => pod.spec?.containers[0].image === image)
const abandon = (state: RunState) => shop.run('abandon', {}, {}, { abandoned: state })

describe('a promotion killed outright', () => {
  it('is put back by the post step: web and worker on the stable image, the lock released', async () => {
    const run = startPromote()
    await until(() => imageOf('shop-worker') === NEW_IMAGE, 'the worker to take the release')
    run.child.kill('SIGKILL')
    await run.exit
    const state = recorded()
    expect(state.promoting).toEqual(['shop-web', 'shop-worker'])

    const post = await abandon(state)
    expect(post.report.reason).toBeUndefined()
    expect([imageOf('shop-web'), imageOf('shop-worker')]).toEqual([STABLE_IMAGE, STABLE_IMAGE])
    expect(lease()).toBeUndefined()
  }, 90_000)
})

describe('a promotion cancelled, then killed during its restore', () => {
  it('keeps its record until the restore is done; the post step finishes it', async () => {
    const run = startPromote()
    await until(() => imageOf('shop-worker') === NEW_IMAGE, 'the worker to take the release')
    await until(() => webPodsOn(STABLE_IMAGE).length === 0, 'the old web pods to go')
    // Web's pods of the stable image, started again by the restore, take longer than the grace.
    shop.cluster.kubelet.behave({ pod: /^shop-web-/, image: STABLE_IMAGE }, { kind: 'hold' })
    run.child.kill('SIGTERM')
    await until(() => imageOf('shop-web') === STABLE_IMAGE, 'the restore to reach web')
    run.child.kill('SIGKILL')
    await run.exit
    const state = recorded()
    expect(state.promoting).toEqual(['shop-web', 'shop-worker'])
    // The worker was put back before the kill; web's rollout back was still under way.
    expect(state.undo?.map(undo => undo.ref.name)).toEqual(['shop-web'])

    shop.cluster.kubelet.behave({ pod: /^shop-web-/, image: STABLE_IMAGE }, { kind: 'ready' })
    const post = await abandon(state)
    expect(post.report.reason).toBeUndefined()
    expect(post.report.facts).toContainEqual(['put back', 'Deployment shop/shop-web'])
    expect([imageOf('shop-web'), imageOf('shop-worker')]).toEqual([STABLE_IMAGE, STABLE_IMAGE])
    expect(lease()).toBeUndefined()
  }, 90_000)
})
