/**
 * Carrying out a plan's writes through the object verbs, one after another, saying what each did;
 * promote passes each through its undo log (undo.ts) first.
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import type { Cluster } from '../k8s/client.js'
import { apply, mergePatch, modify, remove } from '../k8s/objects.js'
import type { Logger } from '../logger.js'
import type { Write } from './types.js'
import type { UndoLog } from './undo.js'
import { objectName } from './writes.js'

/** What one write did: the object as the server returned it, or whether a delete found it. */
export interface Done {
  object?: KubernetesObject
  /** delete: false when it was already gone. */
  removed?: boolean
  /** modify: false when there was nothing to change (nothing was written). */
  changed?: boolean
}

/** One write, as its verb says. */
export async function perform(cluster: Cluster, write: Write): Promise<Done> {
  const { ref } = write
  switch (write.verb) {
    case 'apply':
      return {
        object: await apply(cluster, write.body as KubernetesObject, { force: write.force })
      }
    case 'merge-patch':
      return { object: await mergePatch(cluster, ref, write.body ?? {}) }
    case 'modify':
      return await modify(cluster, ref, write.change ?? (() => undefined))
    case 'delete':
      return { removed: await remove(cluster, ref) }
  }
}

export interface CarryOutOptions {
  logger: Logger
  /** Where the inverse of each write is kept (promote). */
  undo?: Pick<UndoLog, 'perform'>
  /** After each write lands: a router's check, a rollout wait. */
  after?: (write: Write, done: Done) => Promise<void>
}

const PAST: Record<Write['verb'], string> = {
  apply: 'applied',
  'merge-patch': 'patched',
  modify: 'patched',
  delete: 'deleted'
}

/** What a write did, in words: `Deployment shop/web-canary: deleted (never live)`. */
export function describeDone(write: Write, done: Done, namespace: string): string | undefined {
  if (write.verb === 'delete' && !done.removed) return undefined
  if (write.verb === 'modify' && !done.changed) return undefined
  const says = write.says ? ` (${write.says})` : ''
  return `${objectName(write.ref, namespace)}: ${PAST[write.verb]}${says}`
}

/** Makes the writes one after another, in order; says what each did. */
export async function carryOut(
  cluster: Cluster,
  writes: Write[],
  opts: CarryOutOptions
): Promise<string[]> {
  const said: string[] = []
  for (const write of writes) {
    const done = opts.undo ? await opts.undo.perform(write) : await perform(cluster, write)
    const line = describeDone(write, done, cluster.namespace)
    if (line) {
      opts.logger.info(line)
      said.push(line)
    }
    await opts.after?.(write, done)
  }
  return said
}
