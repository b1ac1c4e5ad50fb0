/**
 * The part of a run that does not care where it runs: settings -> command -> result. main.ts and
 * cli.ts wrap it with their own inputs, logging and summary sinks.
 */
import { connectsFirst, LOAD_COMMAND } from './commands/index.js'
import { connectEarly } from './commands/connection.js'
import type { CommandContext, CommandResult } from './commands/types.js'
import { newReport } from './github/report.js'
import { maskKubeconfigCredentials } from './k8s/client.js'
import { readSettings, SECRET_INPUTS, SettingsError, type InputReader } from './settings.js'

export async function runCommand(
  read: InputReader,
  context: CommandContext
): Promise<CommandResult> {
  // Secrets are masked before validation, so not even a parse error can print them.
  for (const name of SECRET_INPUTS) {
    const value = read(name)
    if (!value) continue
    // The multi-line kubeconfig is masked credential by credential (a runner masks line by line).
    if (name === 'kubeconfig') maskKubeconfigCredentials(value, context.logger)
    else context.logger.mask(value)
  }
  let settings
  try {
    settings = readSettings(read, context.env)
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error
    const report = newReport(read('command') || 'deploy', 'canary-deploy: invalid inputs')
    report.status = 'failure'
    report.reason = error.message
    report.sections.push({
      title: 'Invalid inputs',
      body: error.problems
        .map(p => `- \`${p.input}\`: expected ${p.expected}, got ${p.given}`)
        .join('\n')
    })
    return { report, outputs: { status: 'failure' } }
  }
  // The first request goes out before the command's code is imported, which then loads while the
  // request travels: on a real cluster's round trips rather than before them.
  const connection = connectsFirst(settings) ? connectEarly(settings, context) : undefined
  try {
    await connection?.written
    const handler = await LOAD_COMMAND[settings.command]()
    const result = await handler(settings, connection ? { ...context, connection } : context)
    result.outputs.status ??= result.report.status
    return result
  } finally {
    // A command that failed before its connect stage leaves the connection unused (dispose is idempotent).
    connection?.reached.then(
      reached => reached.cluster.dispose(),
      () => undefined
    )
  }
}

/** One line for setFailed/exit: the reason, never a stack trace. */
export function failureLine(result: CommandResult): string | undefined {
  const { status, reason } = result.report
  if (status === 'success' || status === 'no-op') return undefined
  return reason ?? `${result.report.command} ${status}`
}
