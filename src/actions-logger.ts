import * as core from '@actions/core'
import type { Logger } from './logger.js'

/** Logs as workflow commands: collapsible groups, masked secrets, annotations for warnings. */
export const actionsLogger: Logger = {
  info: message => core.info(message),
  warning: message => core.warning(message),
  debug: message => core.debug(message),
  group: (name, fn) => core.group(name, fn),
  mask: secret => core.setSecret(secret)
}
