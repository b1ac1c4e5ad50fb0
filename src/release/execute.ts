/**
 * Carrying out a plan's writes through the object verbs, and keeping, for each one, the write that
 * puts it back (the object as it was, a merge patch of the earlier values, or a delete of what did
 * not exist): a failed promotion is undone from that log, newest first.
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import type { Cluster } from '../k8s/client.js'
import { apply, isForbidden, mergePatch, modify, read, remove, replace } from '../k8s/objects.js'
import type { Logger } from '../logger.js'
import type { Write } from './types.js'
import { deleteOf, inverseMergePatch, objectName, patchOf } from './writes.js'

/** What one write did: the object as the server returned it, or whether a delete found it. */
export interface Done {
  object?: KubernetesObject
  /** delete: false when it was already gone. */
  removed?: boolean
  /** modify: false when there was nothing to change (nothing was written). */
  changed?: boolean
}

/** The object `before` put back over whatever version is there now. */
function restoring(before: KubernetesObject) {
  return (current: KubernetesObject): KubernetesObject => {
    const { status: _status, ...rest } = before as KubernetesObject & { status?: unknown }
    const metadata = { ...rest.metadata, resourceVersion: current.metadata?.resourceVersion }
    delete metadata.managedFields
    return { ...rest, metadata }
  }
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
    case 'replace':
      return {
        object: await replace(cluster, ref, restoring(write.body as KubernetesObject))
      }
    case 'delete':
      return { removed: await remove(cluster, ref) }
  }
}

/** A write that was made, and how to put back what it changed. */
export interface Undoable {
  write: Write
  /** Undefined when it cannot be undone; `why` says why. */
  inverse?: Write
  why?: string
}

/** The inverse of each write made through it, in the order they were made. */
export class UndoLog {
  readonly done: Undoable[] = []

  constructor(private readonly cluster: Cluster) {}

  /** Reads the object as it is, notes how to put it back, then makes the write. */
  async perform(write: Write): Promise<Done> {
    this.done.push(await this.inverseOf(write))
    return perform(this.cluster, write)
  }

  private async inverseOf(write: Write): Promise<Undoable> {
    // Computed from the object as it is when written; what takes it back is its router's withdrawal.
    if (write.verb === 'modify')
      return { write, why: 'a change computed at write time is not put back' }
    let before: KubernetesObject | undefined
    try {
      before = await read(this.cluster, write.ref)
    } catch (error) {
      if (!isForbidden(error)) throw error
      // Written all the same (the identity may write what it may not read); not put back.
      return { write, why: 'its earlier state is not readable by this identity' }
    }
    const role = write.role
    if (write.verb === 'merge-patch')
      return before
        ? { write, inverse: patchOf(role, write.ref, inverseMergePatch(before, write.body ?? {})) }
        : { write }
    if (write.verb === 'delete') return { write, why: 'deleted objects are not put back' }
    if (!before) return { write, inverse: deleteOf(role, write.ref) }
    return {
      write,
      inverse: { role, verb: 'replace', ref: write.ref, body: before, rollout: write.rollout }
    }
  }
}

export interface CarryOutOptions {
  logger: Logger
  /** Where the inverse of each write is kept (promote). */
  undo?: UndoLog
  /** After each write lands: a router's check, a rollout wait. */
  after?: (write: Write, done: Done) => Promise<void>
}

const PAST: Record<Write['verb'], string> = {
  apply: 'applied',
  'merge-patch': 'patched',
  modify: 'patched',
  replace: 'put back',
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
