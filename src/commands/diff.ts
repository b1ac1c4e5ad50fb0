import { newReport } from '../github/report.js'
import type { CommandHandler } from './types.js'

export const diff: CommandHandler = async settings => {
  const report = newReport('diff', `diff ${settings.app}`)
  report.status = 'failure'
  report.reason = 'diff is not implemented yet'
  return { report, outputs: { status: 'failure' } }
}
