/**
 * Real local processes for tests (Prometheus, the example app): spawned with argument arrays, their
 * output kept for error messages, stopped with SIGTERM (SIGKILL after a bound), and killed when the
 * test process exits however it exits, so no test leaves one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

export interface LocalProcess {
  readonly child: ChildProcess
  /** The last few KB of stdout and stderr. */
  output(): string
  /** Resolves once the process has exited (now, if it already has). */
  readonly exited: Promise<void>
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves once it has exited. */
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
let exitHook = false

/** The last resort: a test process ending without stop() still takes its children with it. */
function killAllOnExit(): void {
  if (exitHook) return
  exitHook = true
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}

export function spawnLocal(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}
): LocalProcess {
  killAllOnExit()
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(child)
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    child.once('exit', () => resolve())
    // A command that cannot start (ENOENT) never emits exit.
    child.once('error', error => {
      keep(Buffer.from(`\n${error.message}`))
      resolve()
    })
  }).then(() => {
    running.delete(child)
  })
  const alive = (): boolean => running.has(child)
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (!alive()) return exited
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(killer)
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Polls `ready` until it answers true; fails with the process's output when the process exits or
 * `timeoutMs` passes first. A condition, not a sleep: it ends as soon as the thing is there.
 */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  proc: LocalProcess | undefined,
  timeoutMs: number
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited = false
  void proc?.exited.then(() => {
    exited = true
  })
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what}: the process exited: ${proc?.output() ?? ''}`)
    try {
      if (await ready()) return
    } catch {
      // not there yet
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000}s${proc ? `: ${proc.output()}` : ''}`)
}
