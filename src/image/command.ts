/**
 * Runs a tool with an argument array (never a shell), capturing its output. Builders take a
 * CommandRunner so tests can check their decisions without the tool.
 *
 * node:child_process rather than @actions/exec: exec 3 neither takes an AbortSignal nor hands out
 * the child process, and a cancelled run must stop its build within the cancel budget.
 */
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import type { Logger } from '../logger.js'
import type { Env } from './types.js'

export interface CommandResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface CommandOptions {
  /**
   * The tool's whole environment (the run context's toolEnv, with what a builder adds): nothing of
   * this process's own environment reaches a tool unless it is here.
   */
  env: Env
  /** Written to the tool's stdin: the only way a password reaches a tool. */
  input?: string
  /** Each output line goes to logger.info (build logs); without it the tool runs silently. */
  logger?: Logger
  /** Aborting stops the tool (and what it started) and rejects with CommandCancelledError. */
  signal?: AbortSignal
  /** Past this the tool is stopped as on abort, and the run rejects with CommandTimeoutError. */
  timeoutMs?: number
}

export type CommandRunner = (
  tool: string,
  args: string[],
  options: CommandOptions
) => Promise<CommandResult>

/** The runner's rejection when its signal aborted: the tool was stopped, not failed. */
export class CommandCancelledError extends Error {
  constructor(tool: string) {
    super(`${tool} was cancelled`)
    this.name = 'CommandCancelledError'
  }
}

/** The runner's rejection when the tool ran past its timeoutMs: stopped, not failed by itself. */
export class CommandTimeoutError extends Error {
  constructor(tool: string, args: string[], timeoutMs: number) {
    // The subcommand (`buildx rm`) says what hung; later arguments may be values worth keeping out.
    const firstFlag = args.findIndex(arg => arg.startsWith('-'))
    const subcommand = args.slice(0, Math.min(2, firstFlag === -1 ? args.length : firstFlag))
    super(`${[tool, ...subcommand].join(' ')} did not finish within ${timeoutMs / 1000} s`)
    this.name = 'CommandTimeoutError'
  }
}

/** How long a tool may take to stop after SIGTERM before it gets SIGKILL: well inside 10 s. */
const TERM_GRACE_MS = 3_000
/** How long to wait for output pipes to close once the tool exited (a grandchild may hold them). */
const STDIO_CLOSE_MS = 10_000

function definedEntries(env: Env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value
  return out
}

/** Feeds chunks in, calls back once per complete line (a trailing partial line on flush). */
function lineSplitter(onLine: (line: string) => void): { push(text: string): void; flush(): void } {
  let pending = ''
  return {
    push(text) {
      pending += text
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) onLine(line.replace(/\r$/, ''))
    },
    flush() {
      if (pending) onLine(pending.replace(/\r$/, ''))
      pending = ''
    }
  }
}

export const execRunner: CommandRunner = (tool, args, options) =>
  new Promise<CommandResult>((resolve, reject) => {
    const { signal, logger } = options
    if (signal?.aborted) {
      reject(new CommandCancelledError(tool))
      return
    }
    // Its own process group on POSIX, so cancelling also stops what the tool started
    // (docker runs buildx as a plugin process).
    const ownGroup = process.platform !== 'win32'
    const child = spawn(tool, args, {
      env: definedEntries(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: ownGroup,
      windowsHide: true
    })
    let stdout = ''
    let stderr = ''
    let settled = false
    let cancelled = false
    let killTimer: NodeJS.Timeout | undefined
    let closeTimer: NodeJS.Timeout | undefined
    const outLines = lineSplitter(line => logger?.info(line))
    const errLines = lineSplitter(line => logger?.info(line))

    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (ownGroup && child.pid !== undefined) process.kill(-child.pid, sig)
        else child.kill(sig)
      } catch {
        // Already gone.
      }
    }
    const stop = (): void => {
      kill('SIGTERM')
      killTimer = setTimeout(() => kill('SIGKILL'), TERM_GRACE_MS)
    }
    const onAbort = (): void => {
      cancelled = true
      stop()
    }
    let timedOut = false
    const timeoutTimer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            stop()
          }, options.timeoutMs)
    const finish = (result: CommandResult): void => {
      if (settled) return
      settled = true
      clearTimeout(killTimer)
      clearTimeout(closeTimer)
      clearTimeout(timeoutTimer)
      signal?.removeEventListener('abort', onAbort)
      outLines.flush()
      errLines.flush()
      if (cancelled) reject(new CommandCancelledError(tool))
      else if (timedOut) reject(new CommandTimeoutError(tool, args, options.timeoutMs ?? 0))
      else resolve(result)
    }

    signal?.addEventListener('abort', onAbort, { once: true })
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
      outLines.push(text)
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
      errLines.push(text)
    })
    // A tool that exits without reading its stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')

    child.on('error', error => {
      // spawn fails when the tool is not on PATH; callers treat that like any failed command.
      finish({ exitCode: 127, stdout, stderr: stderr + error.message })
    })
    const exitCodeOf = (code: number | null, sig: NodeJS.Signals | null): number =>
      code ?? 128 + (sig ? constants.signals[sig] : 0)
    child.on('exit', (code, sig) => {
      closeTimer = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
        finish({ exitCode: exitCodeOf(code, sig), stdout, stderr })
      }, STDIO_CLOSE_MS)
    })
    child.on('close', (code, sig) => finish({ exitCode: exitCodeOf(code, sig), stdout, stderr }))
  })

/** Runs one build step; a failure throws `<what> failed:` with the tool's last lines. */
export async function runStep(
  runner: CommandRunner,
  tool: string,
  args: string[],
  options: CommandOptions,
  what: string
): Promise<CommandResult> {
  const result = await runner(tool, args, options)
  if (result.exitCode !== 0) {
    throw new Error(`${what} failed:\n${tail(result.stderr || result.stdout)}`)
  }
  return result
}

/** The last lines of a tool's output, for an error message a person can act on. */
export function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n')
}

/**
 * What a build rejects with when its signal aborted: "build cancelled", whatever the step was
 * doing when it was stopped. Otherwise the step's own error, unchanged.
 */
export function cancelledOr(error: unknown, image: string, signal?: AbortSignal): unknown {
  return signal?.aborted ? new Error(`build cancelled: ${image}`, { cause: error }) : error
}
