import type { Command } from '../settings.js'
import { cleanup } from './cleanup.js'
import { deploy } from './deploy.js'
import { diff } from './diff.js'
import { promote } from './promote.js'
import { rollback } from './rollback.js'
import type { CommandHandler } from './types.js'

export const COMMAND_HANDLERS: Record<Command, CommandHandler> = {
  deploy,
  promote,
  rollback,
  diff,
  cleanup
}
