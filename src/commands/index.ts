import type { Settings, CommandName } from '../settings.js'
import { hasKubeconfig } from '../k8s/client.js'
import type { CommandHandler } from './types.js'

/** Each command's code, imported when it runs: most of the bundle is some command's. */
export const LOAD_COMMAND: Record<CommandName, () => Promise<CommandHandler>> = {
  deploy: async () => (await import('./deploy.js')).deploy,
  promote: async () => (await import('./promote.js')).promote,
  rollback: async () => (await import('./rollback.js')).rollback,
  diff: async () => (await import('./diff.js')).diff,
  cleanup: async () => (await import('./cleanup.js')).cleanup,
  abandon: async () => (await import('./abandon.js')).abandon
}

/**
 * Whether the command's first outside contact is its cluster, so that run-command.ts may begin
 * connecting before the command is loaded.
 */
export function connectsFirst(settings: Settings): boolean {
  switch (settings.command) {
    case 'deploy':
      // Not after a builder's checks: a refused build input contacts nothing.
      return !settings.image.build
    case 'diff':
      return hasKubeconfig(settings.cluster)
    case 'rollback':
    case 'cleanup':
      return true
    default:
      // promote asks GitHub about the approver first; abandon looks at what the main step left.
      return false
  }
}
