import * as core from '@actions/core'
import type { Logger } from './logger.js'
import { secretLines } from './secret-lines.js'

/** Logs as workflow commands: collapsible groups, masked secrets, annotations for warnings. */
export const actionsLogger: Logger = {
  info: message => core.info(message),
  warning: message => core.warning(message),
  debug: message => core.debug(message),
  group: (name, fn) => core.group(name, fn),
  mask: secret => {
    for (const line of secretLines(secret)) core.setSecret(line)
  }
}
