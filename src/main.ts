/**
 * The action: inputs from the runner, logs as workflow commands (groups, masks), the report into
 * the job summary, outputs, and a one-line failure.
 */
import * as core from '@actions/core'
import { actionsLogger } from './actions-logger.js'
import { renderMarkdown } from './github/report.js'
import { failureLine, runCommand } from './run-command.js'
import { markFinished, saveRunState } from './action-state.js'

export async function run(): Promise<void> {
  const controller = new AbortController()
  const abort = (signal: NodeJS.Signals): void =>
    controller.abort(new Error(`the run was cancelled (${signal})`))
  process.once('SIGINT', abort)
  process.once('SIGTERM', abort)
  try {
    const result = await runCommand(name => core.getInput(name), {
      logger: actionsLogger,
      env: process.env,
      signal: controller.signal,
      checkpoint: saveRunState
    })
    for (const [name, value] of Object.entries(result.outputs)) core.setOutput(name, value)
    await writeSummary(renderMarkdown(result.report))
    markFinished()
    const failure = failureLine(result)
    if (failure) core.setFailed(failure)
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
  } finally {
    process.off('SIGINT', abort)
    process.off('SIGTERM', abort)
  }
}

async function writeSummary(markdown: string): Promise<void> {
  // Outside a runner (no GITHUB_STEP_SUMMARY) there is nowhere to write it; the log has the story.
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.addRaw(markdown, true).write()
  } catch (error) {
    core.warning(
      `could not write the job summary: ${error instanceof Error ? error.message : error}`
    )
  }
}
