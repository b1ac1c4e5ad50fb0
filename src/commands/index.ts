import type { CommandName } from '../settings.js'
import { abandon } from './abandon.js'
import { cleanup } from './cleanup.js'
import { deploy } from './deploy.js'
import { diff } from './diff.js'
import { promote } from './promote.js'
import { rollback } from './rollback.js'
import type { CommandHandler } from './types.js'

export const COMMAND_HANDLERS: Record<CommandName, CommandHandler> = {
  deploy,
  promote,
  rollback,
  diff,
  cleanup,
  abandon
}
