/**
 * Connecting to the cluster, and reaching its server: what a session begins with (session.ts),
 * and what run-command.ts begins before loading a command that connects first, kept apart from
 * the session so that beginning it loads nothing else.
 */
import { connect, type Cluster } from '../k8s/client.js'
import { reachServer } from '../k8s/reach.js'
import { HeldLogger, type Logger } from '../logger.js'
import type { Settings } from '../settings.js'
import type { CommandContext } from './types.js'

/** A cluster connected to, and the version its server answered with. */
export interface Reached {
  cluster: Cluster
  version: string
}

/** Connects, and says "connected" only once the server has answered: fails fast when it cannot. */
export async function connectAndReach(
  settings: Settings,
  context: CommandContext,
  logger: Logger,
  onWritten?: () => void
): Promise<Reached> {
  const cluster = await connect({ ...settings.cluster, logger })
  try {
    return { cluster, version: await reachServer(cluster, context.signal, onWritten) }
  } catch (err) {
    cluster.dispose()
    throw err
  }
}

/**
 * A connection begun before the command's code is loaded (run-command.ts), so that its first
 * request is on its way while the rest is imported. Its log lines are held until the command's
 * connect stage, which reports it as if it had begun there; credentials are masked at once.
 */
export interface EarlyConnection {
  /** Resolves once the first request is written, or the connection has failed. */
  written: Promise<void>
  reached: Promise<Reached>
  logger: HeldLogger
}

export function connectEarly(settings: Settings, context: CommandContext): EarlyConnection {
  const logger = new HeldLogger(context.logger)
  let written = (): void => undefined
  const sent = new Promise<void>(resolve => (written = resolve))
  const reached = connectAndReach(settings, context, logger, () => written())
  // Settled, it has nothing more to write. Its failure is the connect stage's to report (or
  // nobody's, if the command never gets there).
  reached.then(
    () => written(),
    () => written()
  )
  return { written: sent, reached, logger }
}
