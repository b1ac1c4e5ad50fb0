/**
 * client-node's KubeConfig, guarded where it hands out credentials: every credential it applies to
 * a request (a token an exec plugin or a token file produced just now, a client key) is masked the
 * first time it appears, one value or PEM line at a time (a runner masks line by line); and a failed
 * exec credential plugin is reported by its command and exit code only. The plugin's stdout and
 * stderr can hold tokens, and client-node puts stderr in its error, so that error is never shown.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import type https from 'node:https'
import { KubeConfig } from '@kubernetes/client-node/dist/config.js'
import { ExecAuth } from '@kubernetes/client-node/dist/exec_auth.js'
import type { Logger } from '../logger.js'
import { secretLines } from '../secret-lines.js'
import { isRecord } from '../json.js'

/** An exec plugin still running after this is stopped: a run must never hang on a login prompt. */
export const EXEC_PLUGIN_TIMEOUT_MS = 60_000
/** A plugin that ignores SIGTERM this long after the timeout is killed outright. */
export const EXEC_PLUGIN_KILL_GRACE_MS = 2_000

/** What client-node's ExecAuth calls to start a plugin: child_process.spawn's (command, args, options). */
type PluginSpawner = (
  command: string,
  args: string[] | undefined,
  options: SpawnOptions
) => ChildProcess

/** How the last run of an exec plugin command ended. */
interface PluginRun {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  spawnError?: string
}

export class GuardedKubeConfig extends KubeConfig {
  private readonly masked = new Set<string>()
  private readonly pluginRuns = new Map<string, PluginRun>()

  constructor(
    private readonly logger: Logger,
    private readonly pluginTimeoutMs = EXEC_PLUGIN_TIMEOUT_MS
  ) {
    super()
    // client-node's ExecAuth keeps its spawn function private and reports only the plugin's stderr;
    // spawning through ours records the exit code, which is all a failure may say.
    const authenticators = (this as unknown as { authenticators: unknown[] }).authenticators
    for (const authenticator of authenticators) {
      if (authenticator instanceof ExecAuth)
        (authenticator as unknown as { execFn: PluginSpawner }).execFn = this.runPlugin
    }
  }

  private readonly runPlugin: PluginSpawner = (command, args = [], options) => {
    const run: PluginRun = { code: null, signal: null, timedOut: false }
    this.pluginRuns.set(command, run)
    const child = spawn(command, args, options)
    // Not spawn's own timeout option: its timer outlives a plugin that never started.
    let kill: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      run.timedOut = true
      child.kill('SIGTERM')
      // client-node waits for the plugin's pipes to close: one that traps SIGTERM would hang the run.
      kill = setTimeout(() => child.kill('SIGKILL'), EXEC_PLUGIN_KILL_GRACE_MS)
      kill.unref()
    }, this.pluginTimeoutMs)
    timer.unref()
    const stopTimers = (): void => {
      clearTimeout(timer)
      clearTimeout(kill)
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      stopTimers()
      run.spawnError = err.code ?? 'error'
    })
    child.on('exit', (code, signal) => {
      stopTimers()
      run.code = code
      run.signal = signal
    })
    return child
  }

  override async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    try {
      await super.applyToHTTPSOptions(opts)
    } catch (err) {
      throw this.credentialError(err)
    }
    const headers = isRecord(opts.headers) ? opts.headers : {}
    const authorization = headers.Authorization ?? headers.authorization
    if (typeof authorization === 'string') {
      this.mask(authorization)
      this.mask(authorization.replace(/^(Bearer|Basic)\s+/i, ''))
    }
    if (typeof opts.auth === 'string') {
      this.mask(opts.auth.slice(opts.auth.indexOf(':') + 1))
      this.mask(Buffer.from(opts.auth).toString('base64'))
    }
    for (const pem of [opts.key, opts.cert]) {
      if (typeof pem === 'string' || Buffer.isBuffer(pem)) this.mask(pem.toString())
    }
  }

  /** Masks each line of a credential once, however often it is applied to a request. */
  private mask(secret: string): void {
    for (const line of secretLines(secret)) {
      if (this.masked.has(line)) continue
      this.masked.add(line)
      this.logger.mask(line)
    }
  }

  /** The error to show for a failed credential lookup: never an exec plugin's own output. */
  private credentialError(err: unknown): Error {
    const user = this.getCurrentUser()
    const provider: unknown = user?.authProvider
    const exec: unknown =
      user?.exec ?? (isRecord(provider) && isRecord(provider.config) ? provider.config.exec : null)
    if (!isRecord(exec)) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : 'unknown error'
      return new Error(
        `could not get the credentials of kubeconfig user "${user?.name}": ${reason}`
      )
    }
    const command = typeof exec.command === 'string' ? exec.command : ''
    const plugin = `the exec credential plugin "${command}" of kubeconfig user "${user?.name}"`
    if (!command) return new Error(`${plugin} has no command`)
    const run = this.pluginRuns.get(command)
    let what: string
    if (run?.spawnError === 'ENOENT')
      what = 'could not start (ENOENT): is it installed and on PATH?'
    else if (run?.spawnError) what = `could not start (${run.spawnError})`
    else if (run?.timedOut)
      what = `did not finish within ${this.pluginTimeoutMs / 1000} s and was stopped`
    else if (run?.signal) what = `was killed by ${run.signal}`
    else if (run?.code) what = `failed with exit code ${run.code}`
    else if (run) what = 'exited 0 without printing an ExecCredential with a token or certificate'
    else what = 'failed'
    return new Error(`${plugin} ${what} (its output is not shown: it can hold credentials)`)
  }
}
