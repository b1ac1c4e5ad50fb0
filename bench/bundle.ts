/**
 * What the shipped bundle costs every run, its post step and every CLI call (issue 17):
 * - its bytes (the JavaScript in dist/, undici.cjs included though only a proxy loads it; the
 *   source maps beside them are not loaded);
 * - cold start of `node dist/cli.js --help`, as a ratio to a bare `node -e 0` timed alongside;
 * - cold start to the first API request: `node dist/index.js` as a deploy step, from spawn to the
 *   test cluster receiving its first request (GET /version), each run beside a bare `node -e 0`;
 * - the post step of a run whose main step finished (nearly every run), spawn to exit, beside a
 *   bare `node -e 0`;
 * - peak RSS of a whole deploy (build skipped) run from the bundle in a child process.
 * The bundle is built from the current source into .tmp/bench-dist (dist/ may lag behind it until
 * the lead rebuilds it); BENCH_DIST names another bundle directory to measure instead.
 */
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { median, round, type Row } from './row.js'
import { runAction, startShop } from './shop.js'

const BUNDLE_TARGET_BYTES = 1_500_000
const HELP_RATIO_TARGET = 3.5
const FIRST_REQUEST_TARGET_MS = 100
const RSS_TARGET_MB = 70
const HELP_TRIALS = 15
const FIRST_REQUEST_TRIALS = 10
const POST_TRIALS = 15

/** The bundle directory to measure, and how to name it in a row. */
function bundleDir(): { dir: string; label: string } {
  const given = process.env.BENCH_DIST
  if (given) return { dir: given, label: given }
  const dir = join('.tmp', 'bench-dist')
  execFileSync(process.execPath, ['scripts/bundle.js', '--outdir', dir], { stdio: 'inherit' })
  return { dir, label: 'the bundle of this checkout' }
}

/** Wall time of one `node ...args` run to its exit, ms. */
function timeRun(args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, args, { stdio: 'ignore', env })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', code =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`node ${args.join(' ')} exited ${code}`))
    )
  })
}

/** Bare node and the CLI's --help, interleaved so that load on the machine hits both alike. */
async function helpColdStart(dir: string): Promise<{ bare: number; help: number }> {
  const bare: number[] = []
  const help: number[] = []
  for (let i = 0; i < HELP_TRIALS; i++) {
    bare.push(await timeRun(['-e', '0']))
    help.push(await timeRun([join(dir, 'cli.js'), '--help']))
  }
  return { bare: median(bare), help: median(help) }
}

/**
 * Bare node and a deploy step to its first request, interleaved so that load on the machine hits
 * both alike.
 */
async function firstRequestColdStart(dir: string): Promise<{ bare: number; first: number }> {
  const bare: number[] = []
  const first: number[] = []
  for (let i = 0; i < FIRST_REQUEST_TRIALS; i++) {
    bare.push(await timeRun(['-e', '0']))
    first.push(await firstRequestMs(dir))
  }
  return { bare: median(bare), first: median(first) }
}

/** From spawning a deploy step to the test cluster receiving its first request, ms. */
async function firstRequestMs(dir: string): Promise<number> {
  const shop = await startShop(1)
  try {
    let started = 0
    const first = new Promise<number>(resolve => {
      const stop = shop.cluster.onRequest(() => {
        stop()
        resolve(performance.now() - started)
      })
    })
    started = performance.now()
    // Without a GitHub token the step records no GitHub deployment: its first request is the cluster's.
    const run = runAction(shop, join(dir, 'index.js'), 'deploy', { extra: { 'github-token': '' } })
    const exited = run.finished().then(code => {
      throw new Error(`the deploy exited ${code} before any API request: ${run.output()}`)
    })
    try {
      return await Promise.race([first, exited])
    } finally {
      run.child.kill('SIGKILL')
      await run.finished()
      run.cleanup()
    }
  } finally {
    await shop.stop()
  }
}

/** Bare node and the post step of a run whose main step finished, interleaved. */
async function finishedPostStep(dir: string): Promise<{ bare: number; post: number }> {
  // What the runner hands the post step of a finished run: the state the main step saved.
  const env = { PATH: process.env.PATH, GITHUB_ACTIONS: 'true', STATE_finished: 'true' }
  const bare: number[] = []
  const post: number[] = []
  for (let i = 0; i < POST_TRIALS; i++) {
    bare.push(await timeRun(['-e', '0'], env))
    post.push(await timeRun([join(dir, 'post.js')], env))
  }
  return { bare: median(bare), post: median(post) }
}

/**
 * One whole deploy from the bundle, in a child process; its peak RSS in MiB (maxRSS / 1024, as
 * issue 17 measured the 98.6 "MB" it started from).
 */
async function deployPeakRssMb(dir: string): Promise<number> {
  const shop = await startShop(2)
  const run = runAction(shop, join(dir, 'index.js'), 'deploy', {
    extra: { 'migrate-command': 'bin/migrate' },
    nodeArgs: ['--import', PEAK_RSS_PRELOAD]
  })
  try {
    const code = await run.finished()
    if (code !== 0) {
      const lines = run.output().split('\n')
      const error = lines.find(l => l.startsWith('::error')) ?? lines.slice(-3).join(' ')
      throw new Error(`the deploy exited ${code}: ${error}`)
    }
    return Number(readFileSync(join(run.dir, 'peak-rss'), 'utf8')) / 1024
  } finally {
    run.cleanup()
    await shop.stop()
  }
}

/** The preload that writes a process's high-water RSS (resourceUsage().maxRSS, KiB) on exit. */
const PEAK_RSS_PRELOAD = join(tmpdir(), 'canary-deploy-bench-peak-rss.mjs')
function writePeakRssPreload(): void {
  writeFileSync(
    PEAK_RSS_PRELOAD,
    "import { writeFileSync } from 'node:fs'\nimport { join } from 'node:path'\n" +
      "process.on('exit', () => writeFileSync(join(process.env.RUNNER_TEMP, 'peak-rss'), String(process.resourceUsage().maxRSS)))\n"
  )
}

export async function benchBundle(): Promise<Row[]> {
  const { dir, label } = bundleDir()
  const bytesOf = (suffix: string): number =>
    readdirSync(dir)
      .filter(file => file.endsWith(suffix))
      .reduce((sum, file) => sum + statSync(join(dir, file)).size, 0)
  const bytes = bytesOf('.js') + bytesOf('.cjs')
  const mapBytes = bytesOf('.map')
  const { bare, help } = await helpColdStart(dir)
  const firstRequest = await firstRequestColdStart(dir)
  const finished = await finishedPostStep(dir)
  writePeakRssPreload()
  const rss = await deployPeakRssMb(dir)
  return [
    {
      name: `bundle: JavaScript in ${label} (source maps beside it: ${round(mapBytes / 1e6, 2)} MB, not loaded)`,
      value: round(bytes / 1e6, 2),
      unit: 'MB',
      target: `< ${BUNDLE_TARGET_BYTES / 1e6} MB`,
      met: bytes < BUNDLE_TARGET_BYTES
    },
    {
      name: `cold start: cli.js --help ${round(help, 0)} ms / bare node -e 0 ${round(bare, 0)} ms (medians of ${HELP_TRIALS})`,
      value: round(help / bare, 2),
      unit: 'x',
      target: `<= ${HELP_RATIO_TARGET}x`,
      met: help / bare <= HELP_RATIO_TARGET
    },
    {
      // The test cluster speaks plain HTTP: a real one adds the TLS handshake (TLS is loaded either way).
      name: `cold start: deploy step spawned to its first request to the test cluster (plain HTTP) ${round(firstRequest.first, 0)} ms = ${round(firstRequest.first / firstRequest.bare, 2)}x bare node -e 0 ${round(firstRequest.bare, 0)} ms (medians of ${FIRST_REQUEST_TRIALS}, interleaved)`,
      value: round(firstRequest.first, 0),
      unit: 'ms',
      target: `< ${FIRST_REQUEST_TARGET_MS} ms`,
      met: firstRequest.first < FIRST_REQUEST_TARGET_MS
    },
    {
      name: `cold start: post step of a run that finished, spawned to exit ${round(finished.post, 0)} ms / bare node -e 0 ${round(finished.bare, 0)} ms (medians of ${POST_TRIALS}, interleaved)`,
      value: round(finished.post / finished.bare, 2),
      unit: 'x',
      target: 'none (issue 17 sets none)',
      met: null
    },
    {
      name: 'memory: peak RSS of a deploy from the bundle (child process, 2 Deployments, a migration, GitHub deployment record)',
      value: round(rss, 1),
      unit: 'MiB',
      target: `< ${RSS_TARGET_MB} MiB`,
      met: rss < RSS_TARGET_MB
    }
  ]
}
