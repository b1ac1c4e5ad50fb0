import { newReport } from '../github/report.js'
import type { CommandHandler } from './types.js'

export const promote: CommandHandler = async settings => {
  const report = newReport('promote', `promote ${settings.app}`)
  report.status = 'failure'
  report.reason = 'promote is not implemented yet'
  return { report, outputs: { status: 'failure' } }
}
