/**
 * How a finished or failed command lets go of the runner, with the shipped CLI in a child process:
 * - exit after report: from the report on stdout to the process exit, after a re-deploy of a
 *   version whose canary is already available (a watch left open kept this at minutes);
 * - unreachable API server: from start to exit against a port nothing listens on (refused) and a
 *   server that accepts connections and never answers (timeout); both must fail within 10 s.
 */
import { spawn } from 'node:child_process'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { NAMESPACE, NEW_IMAGE, startShop } from '../__tests__/commands/fixture.js'
import { median, round, type Row } from './row.js'

const CLI = join('dist', 'cli.js')
const TRIALS = 3
const EXIT_TARGET_MS = 500
const UNREACHABLE_TARGET_MS = 10_000
/** Far above both targets: a run still going at this bound is recorded as this bound. */
const BOUND_MS = 30_000

interface Exit {
  /** ms from start to exit */
  total: number
  /** ms from the first stdout byte (the report) to exit */
  afterReport: number
  stdout: string
}

function runCli(args: string[], env: Record<string, string>): Promise<Exit> {
  return new Promise(resolve => {
    const started = performance.now()
    let reported = Number.NaN
    let stdout = ''
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'ignore']
    })
    child.stdout.on('data', (chunk: Buffer) => {
      if (Number.isNaN(reported)) reported = performance.now()
      stdout += chunk.toString()
    })
    const bound = setTimeout(() => child.kill('SIGKILL'), BOUND_MS)
    child.on('exit', () => {
      clearTimeout(bound)
      const now = performance.now()
      resolve({ total: now - started, afterReport: now - reported, stdout })
    })
  })
}

function kubeconfigFor(server: string): string {
  return `apiVersion: v1
clusters: [{ name: c, cluster: { server: '${server}', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: bench-token-not-in-output } }]
contexts: [{ name: x, context: { cluster: c, user: u, namespace: default } }]
current-context: x
`
}

async function exitAfterReport(): Promise<number[]> {
  const shop = await startShop()
  try {
    const first = await shop.run('deploy')
    if (first.report.status !== 'success') throw new Error(`first deploy: ${first.report.reason}`)
    const args = ['deploy', '--app', 'shop', '--namespace', NAMESPACE, '--version', 'v2']
    args.push('--deployments', 'shop-web,shop-worker', '--image', NEW_IMAGE, '--build', 'false')
    const times: number[] = []
    for (let i = 0; i < TRIALS; i++) {
      const run = await runCli(args, { CANARY_DEPLOY_KUBECONFIG: shop.cluster.kubeconfig })
      if (!run.stdout.includes('succeeded')) throw new Error('the CLI re-deploy did not succeed')
      times.push(run.afterReport)
    }
    return times
  } finally {
    await shop.stop()
  }
}

async function unreachable(server: string): Promise<number> {
  const args = ['rollback', '--app', 'shop', '--version', 'v1']
  const run = await runCli(args, { CANARY_DEPLOY_KUBECONFIG: kubeconfigFor(server) })
  // A run that failed for another reason (a bad input) measures nothing about reaching a server.
  if (!run.stdout.includes(`could not reach the API server ${server}`))
    throw new Error(`the run against ${server} did not fail on reaching it`)
  return run.total
}

/** A port that was free a moment ago: nothing listens there now. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise<void>(resolve => probe.close(() => resolve()))
  return port
}

async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer(socket => sockets.add(socket))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

export async function benchExit(): Promise<Row[]> {
  const afterReport = median(await exitAfterReport())
  const refused = await unreachable(`http://127.0.0.1:${await closedPort()}`)
  const silent = await silentServer()
  const timeout = await unreachable(`http://127.0.0.1:${silent.port}`).finally(silent.close)
  return [
    {
      name: `exit after report: CLI re-deploy of an available canary (median of ${TRIALS})`,
      value: round(afterReport),
      unit: 'ms',
      target: `< ${EXIT_TARGET_MS} ms`,
      met: afterReport < EXIT_TARGET_MS
    },
    {
      name: 'unreachable API server, connection refused: CLI start to exit',
      value: round(refused),
      unit: 'ms',
      target: `< ${UNREACHABLE_TARGET_MS} ms`,
      met: refused < UNREACHABLE_TARGET_MS
    },
    {
      name: 'unreachable API server, no answer (timeout): CLI start to exit',
      value: round(timeout),
      unit: 'ms',
      target: `< ${UNREACHABLE_TARGET_MS} ms`,
      met: timeout < UNREACHABLE_TARGET_MS
    }
  ]
}
