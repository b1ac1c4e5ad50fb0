import { newReport } from '../github/report.js'
import type { CommandHandler } from './types.js'

export const deploy: CommandHandler = async settings => {
  const report = newReport('deploy', `deploy ${settings.app}`)
  report.status = 'failure'
  report.reason = 'deploy is not implemented yet'
  return { report, outputs: { status: 'failure' } }
}
