import { newReport } from '../github/report.js'
import type { CommandHandler } from './types.js'

export const cleanup: CommandHandler = async settings => {
  const report = newReport('cleanup', `cleanup ${settings.app}`)
  report.status = 'failure'
  report.reason = 'cleanup is not implemented yet'
  return { report, outputs: { status: 'failure' } }
}
