/**
 * examples/app/server.js as a real process on a free 127.0.0.1 port: the shipped example, started
 * the way its image starts it (node server.js, PORT, APP_VERSION), with its fault settings.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnLocal, waitUntil, type LocalProcess } from './local-process.js'

/** examples/app of this checkout, from here or from the compiled copy under .tmp/tools (bench). */
function appDir(): string {
  for (
    let dir = dirname(fileURLToPath(import.meta.url));
    dir !== dirname(dir);
    dir = dirname(dir)
  ) {
    if (existsSync(join(dir, 'examples', 'app', 'server.js'))) return join(dir, 'examples', 'app')
  }
  throw new Error('examples/app/server.js not found above the test harness')
}

export interface ExampleAppOptions {
  version: string
  /** FAULT_ERROR_RATE: fraction of app requests answered 500. */
  errorRate?: number
  /** FAULT_DELAY_MS: added to each app request. */
  delayMs?: number
}

export interface ExampleApp {
  /** `127.0.0.1:PORT` */
  address: string
  url: string
  process: LocalProcess
  stop(): Promise<void>
}

export async function startExampleApp(opts: ExampleAppOptions): Promise<ExampleApp> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PORT: '0', APP_VERSION: opts.version }
  if (opts.errorRate !== undefined) env.FAULT_ERROR_RATE = String(opts.errorRate)
  if (opts.delayMs !== undefined) env.FAULT_DELAY_MS = String(opts.delayMs)
  const proc = spawnLocal(process.execPath, ['server.js'], { cwd: appDir(), env })
  let port: string | undefined
  try {
    await waitUntil(
      'example app listening',
      async () => (port = /listening on :(\d+)/.exec(proc.output())?.[1]) !== undefined,
      proc,
      15_000
    )
  } catch (error) {
    await proc.stop()
    throw error
  }
  const address = `127.0.0.1:${port}`
  return { address, url: `http://${address}`, process: proc, stop: () => proc.stop() }
}
