/**
 * A shop to deploy to: the in-process test cluster with its stable Deployments (shop-web serving
 * the example app, migrations that succeed) and a GitHub API, for the benchmarks that run commands.
 * runAction() runs the action's bundle in a child process as a runner would, with its inputs in
 * INPUT_* variables and its output files in a temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startTestCluster, type TestCluster } from '../__tests__/harness/cluster.js'
import { exampleApp, releaseVersion, stableDeployment } from '../__tests__/commands/fixture.js'
import { startGitHubApi, type GitHubApi } from '../__tests__/harness/github.js'
import { MemoryLogger } from '../src/logger.js'
import { runCommand } from '../src/run-command.js'

export const NS = 'shop'
export const DIGEST = `sha256:${'2'.repeat(64)}`
const NEW_IMAGE = `registry.example.com/shop@${DIGEST}`

export interface Shop {
  cluster: TestCluster
  github: GitHubApi
  deployments: string[]
  /** The inputs and environment a run of `command` gets, as the action would read them. */
  inputs(command: string, extra?: Record<string, string>): Record<string, string>
  env(): Record<string, string>
  run(command: string, extra?: Record<string, string>): Promise<{ status: string; ms: number }>
  stop(): Promise<void>
}

export async function startShop(processTypes: number, podStartMs?: number): Promise<Shop> {
  const cluster = await startTestCluster({ namespace: NS, podStartMs })
  const github = await startGitHubApi({ permissions: { maintainer: 'write' } })
  const deployments = [
    'shop-web',
    ...Array.from({ length: processTypes - 1 }, (_, i) => `shop-worker${i || ''}`)
  ]
  for (const name of deployments) cluster.put(stableDeployment(name, { port: name === 'shop-web' }))
  cluster.kubelet.serve({ label: { app: 'shop-web' } }, exampleApp(releaseVersion))
  cluster.kubelet.behave({ pod: /-migrate-/ }, { kind: 'succeed', logs: ['migrated'] })
  await cluster.settle()
  const workspace = mkdtempSync(join(tmpdir(), 'bench-shop-'))
  const shop: Shop = {
    cluster,
    github,
    deployments,
    inputs: (command, extra = {}) => ({
      command,
      app: 'shop',
      namespace: NS,
      deployments: deployments.join(','),
      kubeconfig: cluster.kubeconfig,
      image: NEW_IMAGE,
      build: 'false',
      version: 'v2',
      'smoke-timeout': '10s',
      timeout: '60s',
      'github-token': github.token,
      comment: 'false',
      ...extra
    }),
    env: () => ({
      GITHUB_WORKSPACE: workspace,
      HOME: workspace,
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'abcdef1234567',
      GITHUB_RUN_ID: '7',
      GITHUB_ACTOR: 'maintainer',
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.example.com'
    }),
    async run(command, extra = {}) {
      const values = shop.inputs(command, extra)
      const started = performance.now()
      const result = await runCommand(name => values[name] ?? '', {
        logger: new MemoryLogger(),
        env: shop.env(),
        signal: new AbortController().signal
      })
      const ms = performance.now() - started
      if (result.report.status !== 'success')
        throw new Error(`${command} ended ${result.report.status}: ${result.report.reason ?? ''}`)
      return { status: result.report.status, ms }
    },
    async stop() {
      await cluster.stop()
      await github.stop()
      rmSync(workspace, { recursive: true, force: true })
    }
  }
  return shop
}

/** The action's environment for a run of `command` in a child process; dir holds its files. */
function actionEnv(shop: Shop, dir: string, command: string, extra: Record<string, string>) {
  const files = ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV']
  for (const file of files) writeFileSync(join(dir, file), '')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...shop.env(),
    RUNNER_TEMP: dir,
    ...Object.fromEntries(files.map(file => [file, join(dir, file)]))
  }
  for (const [name, value] of Object.entries(shop.inputs(command, extra)))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  return env
}

/**
 * Starts `node [nodeArgs] script` as the action's run of `command` against the shop. The caller
 * waits for it (finished()) or kills it; cleanup() removes its files.
 */
export function runAction(
  shop: Shop,
  script: string,
  command: string,
  opts: { extra?: Record<string, string>; nodeArgs?: string[] } = {}
): {
  child: ChildProcess
  finished: () => Promise<number | null>
  output: () => string
  dir: string
  cleanup: () => void
} {
  const dir = mkdtempSync(join(tmpdir(), 'bench-action-'))
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script], {
    env: actionEnv(shop, dir, command, opts.extra ?? {}),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>(resolve => child.on('exit', resolve))
  return {
    child,
    dir,
    finished: () => exited,
    output: () => output,
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}
