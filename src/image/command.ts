/**
 * Runs a tool with an argument array (never a shell) through @actions/exec, capturing its output.
 * Builders take a CommandRunner so tests can check their decisions without the tool.
 */
import { exec } from '@actions/exec'
import type { Logger } from '../logger.js'
import type { Env } from './types.js'

export interface CommandResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface CommandOptions {
  /** Added to (and overriding) the process environment. */
  env?: Env
  /** Written to the tool's stdin: the only way a password reaches a tool. */
  input?: string
  /** Each output line goes to logger.info (build logs); without it the tool runs silently. */
  logger?: Logger
}

export type CommandRunner = (
  tool: string,
  args: string[],
  options?: CommandOptions
) => Promise<CommandResult>

function definedEntries(env: Env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value
  return out
}

export const execRunner: CommandRunner = async (tool, args, options = {}) => {
  let stdout = ''
  let stderr = ''
  const logger = options.logger
  try {
    const exitCode = await exec(tool, args, {
      env: definedEntries({ ...process.env, ...options.env }),
      input: options.input === undefined ? undefined : Buffer.from(options.input),
      silent: true,
      ignoreReturnCode: true,
      listeners: {
        stdout: data => (stdout += data.toString()),
        stderr: data => (stderr += data.toString()),
        stdline: line => logger?.info(line),
        errline: line => logger?.info(line)
      }
    })
    return { exitCode, stdout, stderr }
  } catch (error) {
    // exec throws when the tool is not on PATH; callers treat that like any failed command.
    const message = error instanceof Error ? error.message : String(error)
    return { exitCode: 127, stdout, stderr: stderr + message }
  }
}

/** The last lines of a tool's output, for an error message a person can act on. */
export function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n')
}
