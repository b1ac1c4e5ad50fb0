import { timeStage, type Report } from '../github/report.js'
import type { Logger } from '../logger.js'

/** Runs one stage of a command: a log group, a timed row in the report, and a detail line. */
export type Stage = <T>(
  name: string,
  fn: (detail: (text: string) => void) => Promise<T>
) => Promise<T>

export function stageRunner(report: Report, logger: Logger): Stage {
  return (name, fn) =>
    logger.group(name, () => timeStage(report, name, s => fn(text => (s.detail = text))))
}
