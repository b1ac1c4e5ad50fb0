/**
 * The same commands from a shell: `canary-deploy <command> [--input-name value ...]`. Flags are the
 * action's input names (from action.yml, via action-inputs.ts), logs go to stderr, and the report
 * is printed to stdout as Markdown, so `canary-deploy diff ... > diff.md` works.
 */
import { ACTION_INPUTS } from './action-inputs.js'
import type { Logger } from './logger.js'
import { COMMANDS } from './command-names.js'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
}

const INPUT_NAMES = new Set(ACTION_INPUTS.map(input => input.name))

export function helpText(): string {
  const width = Math.max(...ACTION_INPUTS.map(input => input.name.length)) + 2
  const rows = ACTION_INPUTS.map(input => {
    const fallback = input.default.includes('${{') ? '' : input.default
    const suffix = input.required ? ' (required)' : fallback ? ` (default: ${fallback})` : ''
    return `  --${input.name.padEnd(width)}${input.description}${suffix}`
  })
  return [
    'Usage: canary-deploy <command> [--input-name value ...]',
    '',
    `Commands: ${COMMANDS.join(', ')}`,
    '',
    'Flags (the action inputs of action.yml):',
    ...rows,
    '',
    'Every input can also come from the environment, as CANARY_DEPLOY_<INPUT> (e.g.',
    'CANARY_DEPLOY_KUBECONFIG, CANARY_DEPLOY_REGISTRY_PASSWORD): pass secrets that way, not as flags.',
    'The report is printed to stdout as Markdown; logs go to stderr. Exit code 0 on success, 1 otherwise.'
  ].join('\n')
}

export class UsageError extends Error {}

/** The environment variable an input can also come from: registry-password -> CANARY_DEPLOY_REGISTRY_PASSWORD. */
export function envName(input: string): string {
  return `CANARY_DEPLOY_${input.toUpperCase().replace(/-/g, '_')}`
}

/** argv (without node and script) -> input values by name. */
export function parseArgs(argv: string[]): Map<string, string> | 'help' {
  const values = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--help' || arg === '-h' || arg === 'help') return 'help'
    if (!arg.startsWith('--')) {
      if (values.has('command')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`)
      values.set('command', arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq > 0 ? eq : undefined)
    if (!INPUT_NAMES.has(name)) {
      throw new UsageError(`unknown flag --${name} (canary-deploy --help lists the flags)`)
    }
    let value: string
    if (eq > 0) value = arg.slice(eq + 1)
    else if (i + 1 < argv.length) value = argv[++i]
    else throw new UsageError(`--${name} needs a value`)
    values.set(name, value)
  }
  return values
}

interface TerminalLogger extends Logger {
  /** Masks every registered secret in text that does not go through the logger (the report). */
  redact(text: string): string
}

function terminalLogger(io: CliIo): TerminalLogger {
  const secrets: string[] = []
  const redact = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text)
  return {
    redact,
    info: message => io.stderr(`${redact(message)}\n`),
    warning: message => io.stderr(`warning: ${redact(message)}\n`),
    debug: message => {
      if (io.env.CANARY_DEPLOY_DEBUG) io.stderr(`debug: ${redact(message)}\n`)
    },
    group: async (name, fn) => {
      io.stderr(`\n== ${name}\n`)
      return fn()
    },
    mask: secret => {
      if (secret) secrets.push(secret)
    }
  }
}

/** The checked-out commit, when GITHUB_SHA is not set. Undefined outside a git work tree. */
export async function localGitSha(cwd?: string): Promise<string | undefined> {
  try {
    const { getExecOutput } = await import('@actions/exec')
    const out = await getExecOutput('git', ['rev-parse', 'HEAD'], {
      cwd,
      silent: true,
      ignoreReturnCode: true
    })
    const sha = out.stdout.trim()
    return out.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined
  } catch {
    return undefined
  }
}

export async function cli(argv: string[], io: CliIo, signal: AbortSignal): Promise<number> {
  let values: Map<string, string> | 'help'
  try {
    values = parseArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr(`canary-deploy: ${error.message}\n`)
    return 1
  }
  if (values === 'help') {
    io.stdout(`${helpText()}\n`)
    return 0
  }
  // Loaded past --help only: the help text needs none of the commands' code (issue 17).
  const { renderMarkdown } = await import('./github/report.js')
  const { failureLine, runCommand } = await import('./run-command.js')
  const env = { ...io.env }
  env.GITHUB_SHA ??= await localGitSha()
  const flags = values
  const logger = terminalLogger(io)
  // Secrets are better passed in the environment than as flags, which `ps` and shell history see.
  const read = (name: string): string => flags.get(name) ?? io.env[envName(name)] ?? ''
  const result = await runCommand(read, { logger, env, signal })
  io.stdout(`${logger.redact(renderMarkdown(result.report))}\n`)
  const failure = failureLine(result)
  if (failure) io.stderr(`canary-deploy: ${logger.redact(failure)}\n`)
  return failure ? 1 : 0
}

export async function main(): Promise<void> {
  const controller = new AbortController()
  const abort = (signal: NodeJS.Signals): void =>
    controller.abort(new Error(`the run was cancelled (${signal})`))
  process.once('SIGINT', abort)
  process.once('SIGTERM', abort)
  const io: CliIo = {
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
    env: process.env
  }
  try {
    process.exitCode = await cli(process.argv.slice(2), io, controller.signal)
  } catch (error) {
    io.stderr(`canary-deploy: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}
