/**
 * What the bundle costs a run before it does anything: its size, and the time from process start
 * to the first Kubernetes API request (the command's connect + first read) of `node dist/index.js`.
 */
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { median, round, type Row } from './row.js'

const MAX_BUNDLE_BYTES = 4 * 1024 * 1024
const COLD_START_TARGET_MS = 300
const TRIALS = 10

/** Starts dist/index.js against a server that answers nothing useful, timing the first request. */
async function coldStartMs(bundle: string): Promise<number> {
  let started = 0
  let resolveFirst: (ms: number) => void = () => undefined
  const first = new Promise<number>(resolve => (resolveFirst = resolve))
  const server = createServer((_req, res) => {
    resolveFirst(performance.now() - started)
    res.writeHead(503, { 'content-type': 'application/json' })
    res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","code":503}')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const kubeconfig = `apiVersion: v1
clusters: [{ name: c, cluster: { server: 'http://127.0.0.1:${port}', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u, namespace: default } }]
current-context: x
`
  started = performance.now()
  const child = spawn(process.execPath, [bundle], {
    env: {
      PATH: process.env.PATH,
      INPUT_COMMAND: 'rollback',
      INPUT_APP: 'shop',
      INPUT_KUBECONFIG: kubeconfig,
      INPUT_VERSION: 'v1',
      INPUT_BUILD: 'false',
      INPUT_IMAGE: 'registry.example.com/shop:v1'
    },
    stdio: 'ignore'
  })
  const ms = await Promise.race([
    first,
    new Promise<number>(resolve => setTimeout(() => resolve(Number.NaN), 10_000))
  ])
  child.kill('SIGKILL')
  server.close()
  return ms
}

/** dir: where the bundle is (BENCH_DIST overrides, to compare another build). */
export async function benchBundle(dir = process.env.BENCH_DIST ?? 'dist'): Promise<Row[]> {
  const bundle = join(dir, 'index.js')
  const size = statSync(bundle).size
  const times: number[] = []
  for (let i = 0; i < TRIALS; i++) times.push(await coldStartMs(bundle))
  const cold = median(times.filter(Number.isFinite))
  return [
    {
      name: 'bundle: dist/index.js size',
      value: round(size / 1024 / 1024, 2),
      unit: 'MiB',
      target: '<= 4 MiB',
      met: size <= MAX_BUNDLE_BYTES
    },
    {
      name: `cold start: node dist/index.js to first API request (median of ${TRIALS})`,
      value: round(cold, 0),
      unit: 'ms',
      target: `< ${COLD_START_TARGET_MS} ms`,
      met: cold < COLD_START_TARGET_MS
    }
  ]
}
