/**
 * What each command costs against the in-process test cluster, build skipped:
 * - API requests of a clean deploy, promote, rollback and diff, by verb and resource, checked
 *   against at most 2 LIST + 2 WATCH per waited resource and no polling loop;
 * - the action's own overhead: deploy wall time minus the pod start time the cluster was told to
 *   take (median of a few fresh clusters);
 * - scale: deploy of one app with 20 stable Deployments;
 * - memory: peak RSS of a deploy run in a child process (the bundle when it is built).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startTestCluster, type TestCluster } from '../__tests__/harness/cluster.js'
import { exampleApp, releaseVersion, stableDeployment } from '../__tests__/commands/fixture.js'
import { startGitHubApi, type GitHubApi } from '../__tests__/harness/github.js'
import type { RequestRecord } from '../__tests__/harness/server.js'
import { MemoryLogger } from '../src/logger.js'
import { runCommand } from '../src/run-command.js'
import { median, round, type Row } from './row.js'

const NS = 'shop'
const DIGEST = `sha256:${'2'.repeat(64)}`
const NEW_IMAGE = `registry.example.com/shop@${DIGEST}`

/** What the cluster is made to take per round of pod starts in the overhead trials. */
const POD_START_MS = 500
const OVERHEAD_TRIALS = 3
const OVERHEAD_TARGET_MS = 1000
const RSS_TARGET_MB = 150
/**
 * Two pod starts long enough for every wait to open its watches: a polling loop reads more in the
 * slower run, a watch does not. (Against a 20 ms start, a wait that finishes before its pods'
 * watch opens would look like a loop: it is not one.)
 */
const SLOW_POD_START_MS = 1500
const SLOWER_POD_START_MS = 3000

interface Shop {
  cluster: TestCluster
  github: GitHubApi
  deployments: string[]
  /** The inputs and environment a run of `command` gets, as the action would read them. */
  inputs(command: string, extra?: Record<string, string>): Record<string, string>
  env(): Record<string, string>
  run(command: string, extra?: Record<string, string>): Promise<{ status: string; ms: number }>
  stop(): Promise<void>
}

async function startShop(processTypes: number, podStartMs?: number): Promise<Shop> {
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

const PROMOTE = { approve: 'true', digest: DIGEST }

function resourceOf(r: RequestRecord): string {
  return r.subresource ? `${r.resource}/${r.subresource}` : r.resource
}

/** "list pods 2, watch pods 2, ..." in request order of first appearance. */
function byVerbAndResource(requests: RequestRecord[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of requests) {
    const key = `${r.verb}${r.dryRun ? ' (dry-run)' : ''} ${resourceOf(r)}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

/** Any verb and resource read more often in the slower run than in the slow one polls. */
function pollingLoops(fast: Map<string, number>, slow: Map<string, number>): string[] {
  return [...slow]
    .filter(([key, n]) => n > (fast.get(key) ?? 0))
    .map(([key, n]) => `${key} ${fast.get(key) ?? 0} -> ${n}`)
}

interface CommandCase {
  command: string
  inputs: Record<string, string>
  /** Resources the command waits on (each a watch-based wait). */
  waited: number
}

function requestRows(
  c: CommandCase,
  requests: RequestRecord[],
  slow: RequestRecord[],
  slower: RequestRecord[]
): Row[] {
  const lists = requests.filter(r => r.verb === 'list').length
  const watches = requests.filter(r => r.verb === 'watch').length
  const counts = byVerbAndResource(requests)
  const loops = pollingLoops(byVerbAndResource(slow), byVerbAndResource(slower))
  const ok = lists <= 2 * c.waited && watches <= 2 * c.waited
  return [
    {
      name: `requests: ${c.command} (${c.waited} waited) total — ${lists} LIST, ${watches} WATCH`,
      value: requests.length,
      unit: 'requests',
      target: `<= ${2 * c.waited} LIST + ${2 * c.waited} WATCH`,
      met: ok
    },
    ...[...counts].map(([key, n]) => ({
      name: `  ${c.command}: ${key}`,
      value: n,
      unit: 'requests',
      target: '',
      met: null
    })),
    {
      name: `requests: ${c.command} polling loops (reads growing from a ${SLOW_POD_START_MS} to a ${SLOWER_POD_START_MS} ms pod start)${loops.length ? `: ${loops.join(', ')}` : ''}`,
      value: loops.length,
      unit: 'loops',
      target: '0',
      met: loops.length === 0
    }
  ]
}

const CASES = (n: number): CommandCase[] => [
  // The migration Job and each canary Deployment.
  { command: 'deploy', inputs: { 'migrate-command': 'bin/migrate' }, waited: n + 1 },
  // Each stable Deployment rolls out the canary's image.
  { command: 'promote', inputs: PROMOTE, waited: n },
  // Only sets up the rollback; not measured.
  { command: 'deploy', inputs: { version: 'v3' }, waited: n },
  // Each canary is deleted.
  { command: 'rollback', inputs: { version: 'v3' }, waited: n },
  { command: 'diff', inputs: { version: 'v4' }, waited: 0 }
]

/** Runs the clean sequence and returns each measured command's requests. */
async function requestSequence(podStartMs: number): Promise<Map<string, RequestRecord[]>> {
  const shop = await startShop(2, podStartMs)
  try {
    const byCommand = new Map<string, RequestRecord[]>()
    for (const c of CASES(shop.deployments.length)) {
      shop.cluster.resetRequests()
      await shop.run(c.command, c.inputs)
      await shop.cluster.settle()
      if (!byCommand.has(c.command)) byCommand.set(c.command, [...shop.cluster.requests])
    }
    return byCommand
  } finally {
    await shop.stop()
  }
}

/** deploy (with a migration), promote, rollback (after a second deploy), diff: one clean run each. */
async function requestsPerCommand(): Promise<Row[]> {
  const fast = await requestSequence(20)
  const slow = await requestSequence(SLOW_POD_START_MS)
  const slower = await requestSequence(SLOWER_POD_START_MS)
  const rows: Row[] = []
  for (const c of CASES(2)) {
    const requests = fast.get(c.command)
    if (!requests || rows.some(r => r.name.startsWith(`requests: ${c.command} `))) continue
    rows.push(...requestRows(c, requests, slow.get(c.command) ?? [], slower.get(c.command) ?? []))
  }
  return rows
}

/** Deploy wall time minus what the cluster was made to take: one round of pod starts. */
async function overhead(
  processTypes: number,
  trials: number
): Promise<{ ms: number; requests: RequestRecord[] }> {
  const times: number[] = []
  let requests: RequestRecord[] = []
  for (let i = 0; i < trials; i++) {
    const shop = await startShop(processTypes, POD_START_MS)
    try {
      shop.cluster.resetRequests()
      const { ms } = await shop.run('deploy')
      times.push(ms - POD_START_MS)
      requests = [...shop.cluster.requests]
    } finally {
      await shop.stop()
    }
  }
  return { ms: median(times), requests }
}

/**
 * The action's entry as compiled by `npm run tools` from the current source (dist/ may lag behind
 * it until the bundle is rebuilt); it loads its dependencies from node_modules.
 */
function deployProgram(): { script: string; label: string } {
  // BENCH_DIST names a bundle directory to measure instead (as bench/bundle.ts does).
  const dist = process.env.BENCH_DIST
  if (dist) return { script: join(dist, 'index.js'), label: `${dist}/index.js` }
  return {
    script: join('.tmp', 'tools', 'src', 'index.js'),
    label: 'src/index.ts via npm run tools'
  }
}

/** Runs one deploy in a child process against a test cluster here; returns its peak RSS in MB. */
async function peakRssMb(): Promise<{ mb: number; label: string }> {
  const shop = await startShop(2)
  const dir = mkdtempSync(join(tmpdir(), 'bench-rss-'))
  try {
    const { script, label } = deployProgram()
    const rssFile = join(dir, 'rss')
    const wrapper = join(dir, 'peak-rss.mjs')
    // resourceUsage().maxRSS is the process's high-water mark (VmHWM), in KiB.
    writeFileSync(
      wrapper,
      `import { writeFileSync } from 'node:fs'\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)))\n`
    )
    for (const file of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV'])
      writeFileSync(join(dir, file), '')
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...shop.env(),
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: join(dir, 'GITHUB_OUTPUT'),
      GITHUB_STEP_SUMMARY: join(dir, 'GITHUB_STEP_SUMMARY'),
      GITHUB_STATE: join(dir, 'GITHUB_STATE'),
      GITHUB_ENV: join(dir, 'GITHUB_ENV')
    }
    for (const [name, value] of Object.entries(
      shop.inputs('deploy', { 'migrate-command': 'bin/migrate' })
    ))
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
    const child = spawn(process.execPath, ['--import', wrapper, script], {
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
    if (code !== 0) {
      const error =
        output.split('\n').find(l => l.startsWith('::error')) ??
        output.split('\n').slice(-3).join(' ')
      throw new Error(`the deploy child exited ${code}: ${error}`)
    }
    return { mb: Number(readFileSync(rssFile, 'utf8')) / 1024, label }
  } finally {
    await shop.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function guarded(name: string, rows: () => Promise<Row[]>): Promise<Row[]> {
  try {
    return await rows()
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return [{ name, value: null, unit: '', target: `skipped: ${reason}`, met: null }]
  }
}

export async function benchCommands(): Promise<Row[]> {
  return [
    ...(await guarded('requests per command', requestsPerCommand)),
    ...(await guarded('overhead', async () => {
      const small = await overhead(2, OVERHEAD_TRIALS)
      return [
        {
          name: `overhead: deploy wall time minus ${POD_START_MS} ms pod start (2 Deployments, median of ${OVERHEAD_TRIALS})`,
          value: round(small.ms, 0),
          unit: 'ms',
          target: `< ${OVERHEAD_TARGET_MS} ms`,
          met: small.ms < OVERHEAD_TARGET_MS
        }
      ]
    })),
    ...(await guarded('scale: 20 Deployments', async () => {
      const big = await overhead(20, 1)
      return [
        {
          name: `scale: deploy with 20 stable Deployments, wall time minus ${POD_START_MS} ms pod start`,
          value: round(big.ms, 0),
          unit: 'ms',
          target: `< ${OVERHEAD_TARGET_MS} ms`,
          met: big.ms < OVERHEAD_TARGET_MS
        },
        ...requestRows(
          { command: 'deploy with 20 stable Deployments', inputs: {}, waited: 20 },
          big.requests,
          big.requests,
          big.requests
        ).slice(0, 1)
      ]
    })),
    ...(await guarded('memory: peak RSS of a deploy', async () => {
      const { mb, label } = await peakRssMb()
      return [
        {
          name: `memory: peak RSS of a deploy (${label}, child process)`,
          value: round(mb, 0),
          unit: 'MB',
          target: `< ${RSS_TARGET_MB} MB`,
          met: mb < RSS_TARGET_MB
        }
      ]
    }))
  ]
}
