import { newReport } from '../github/report.js'
import type { CommandHandler } from './types.js'

export const rollback: CommandHandler = async settings => {
  const report = newReport('rollback', `rollback ${settings.app}`)
  report.status = 'failure'
  report.reason = 'rollback is not implemented yet'
  return { report, outputs: { status: 'failure' } }
}
