/**
 * Undoing a promotion. Before each write, the write that puts back what it will change is noted
 * (a merge patch of the earlier values, or a delete of what did not exist), and once the server
 * answers it is narrowed to exactly what changed. The notes are kept in memory and, bounded and
 * without a Secret's data, in the step state, so that the post step of a run killed half way can
 * finish the restore. Put back newest first, each stable Deployment's rollout waited for.
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import type { Cluster } from '../k8s/client.js'
import { normalizeForDiff } from '../k8s/object-diff.js'
import { isForbidden, read, type ObjectRef } from '../k8s/objects.js'
import { waitForRollout } from '../k8s/wait.js'
import type { Logger } from '../logger.js'
import { perform, type Done } from './execute.js'
import type { Write, WriteRole } from './types.js'
import { deleteOf, inverseMergePatch, mergePatchBetween, objectName, patchOf } from './writes.js'

/** One write of a promotion, and how to put back what it changed. */
export interface Undoable {
  ref: ObjectRef
  role: WriteRole
  /** The write that puts it back; absent when there is nothing to put back, or (why) it cannot be. */
  inverse?: Write
  why?: string
}

/**
 * What the step state may hold of the undo log, in all: runner state reaches the post step as one
 * environment variable, and one of those is limited to 128 KiB on Linux.
 */
export const KEPT_BYTES = 64 * 1024

/** Keeps the inverse of every write made through it, oldest first. */
export class UndoLog {
  private readonly entries: { undo: Undoable; putBack: boolean }[] = []

  /** `onChange` is given what the step state should now hold (kept()), after every change. */
  constructor(
    private readonly cluster: Cluster,
    private readonly onChange: (kept: Undoable[]) => void = () => undefined
  ) {}

  /** Notes how to put the object back, then makes the write, then narrows the note to what changed. */
  async perform(write: Write): Promise<Done> {
    const before = await this.readBefore(write)
    const entry = { undo: before.undo ?? inverseOf(write, before.object), putBack: false }
    this.entries.push(entry)
    this.onChange(this.kept())
    const done = await perform(this.cluster, write)
    if (write.verb === 'apply' && before.object && done.object) {
      entry.undo = changedBack(write, before.object, done.object)
      this.onChange(this.kept())
    }
    return done
  }

  /** What is still to be put back, oldest first. */
  pending(): Undoable[] {
    return this.entries.filter(e => !e.putBack).map(e => e.undo)
  }

  /** `undo` was put back: the step state no longer holds it. */
  putBack(undo: Undoable): void {
    const entry = this.entries.find(e => e.undo === undo)
    if (entry) entry.putBack = true
    this.onChange(this.kept())
  }

  /**
   * What the step state holds: pending() less a Secret's earlier data (kept by name, as not put
   * back), up to KEPT_BYTES in all (past that, by name too).
   */
  kept(): Undoable[] {
    let bytes = 0
    return this.pending().map(undo => {
      const keep: Undoable =
        undo.ref.kind === 'Secret' && undo.inverse?.verb === 'merge-patch'
          ? {
              ref: undo.ref,
              role: undo.role,
              why: "a Secret's earlier data is never kept outside the cluster"
            }
          : undo
      const size = Buffer.byteLength(JSON.stringify(keep))
      if (bytes + size > KEPT_BYTES) {
        return {
          ref: undo.ref,
          role: undo.role,
          why: `how to put it back (${size} bytes) did not fit in the step state`
        }
      }
      bytes += size
      return keep
    })
  }

  private async readBefore(write: Write): Promise<{ object?: KubernetesObject; undo?: Undoable }> {
    try {
      return { object: await read(this.cluster, write.ref) }
    } catch (error) {
      if (!isForbidden(error)) throw error
      // Written all the same (the identity may write what it may not read); not put back.
      const why = 'its earlier state is not readable by this identity'
      return { undo: { ref: write.ref, role: write.role, why } }
    }
  }
}

/** Before the write: what puts back every key it names (or deletes what it creates). */
function inverseOf(write: Write, before: KubernetesObject | undefined): Undoable {
  const { ref, role } = write
  if (write.verb === 'delete') return { ref, role, why: 'deleted objects are not put back' }
  // A promotion's modify takes the canary out of the user's route: left out, stable has all of
  // the traffic, which is where a failed promotion must leave it.
  if (write.verb === 'modify') return { ref, role }
  // A patch of an object that does not exist fails, changing nothing.
  if (!before)
    return write.verb === 'apply' ? { ref, role, inverse: deleteOf(role, ref) } : { ref, role }
  const { apiVersion: _v, kind: _k, ...body } = (write.body ?? {}) as KubernetesObject
  const patch = inverseMergePatch(before, body) as KubernetesObject
  // The name and namespace are the object's own: putting them back changes nothing.
  if (patch.metadata) {
    delete patch.metadata.name
    delete patch.metadata.namespace
  }
  return { ref, role, inverse: withRollout(patchOf(role, ref, patch), write) }
}

/**
 * After an apply: what puts back exactly what changed, server-side defaults and fields the apply
 * dropped (server-side apply removes what our field manager no longer names) included.
 */
function changedBack(write: Write, before: KubernetesObject, after: KubernetesObject): Undoable {
  const { ref, role } = write
  const patch = mergePatchBetween(normalizeForDiff(after), normalizeForDiff(before))
  if (Object.keys(patch).length === 0) return { ref, role }
  return { ref, role, inverse: withRollout(patchOf(role, ref, patch), write) }
}

const withRollout = (inverse: Write, write: Write): Write =>
  write.rollout ? { ...inverse, rollout: true } : inverse

export interface PutBackOptions {
  logger: Logger
  /** How long each put-back Deployment's rollout is waited for. */
  timeoutMs: number
  /** Each entry once put back (and, for a Deployment, rolled out). */
  onPutBack?: (undo: Undoable) => void
}

export interface PutBackResult {
  /** `Deployment shop/web`, one per object put back. */
  restored: string[]
  /** `Deployment shop/web: why`, one per object not put back. */
  failed: string[]
}

/**
 * Puts back `entries` (oldest first, as logged), newest first. Each one is tried whatever the
 * others do; not tied to any run's signal: a cancelled run must still finish putting stable back.
 */
export async function putBack(
  cluster: Cluster,
  entries: Undoable[],
  opts: PutBackOptions
): Promise<PutBackResult> {
  const { logger } = opts
  const result: PutBackResult = { restored: [], failed: [] }
  for (const undo of [...entries].reverse()) {
    const name = objectName(undo.ref, cluster.namespace)
    if (!undo.inverse) {
      if (undo.why) result.failed.push(`${name}: ${undo.why}`)
      else opts.onPutBack?.(undo)
      continue
    }
    let written = false
    try {
      await perform(cluster, undo.inverse)
      written = true
      if (undo.inverse.rollout) {
        await waitForRollout(cluster, undo.ref.name, {
          timeoutMs: opts.timeoutMs,
          logger,
          since: Date.now()
        })
      }
      logger.info(`${name}: put back`)
      result.restored.push(name)
      opts.onPutBack?.(undo)
    } catch (error) {
      const why = `${written ? 'put back, but its rollout did not finish: ' : ''}${messageOf(error)}`
      logger.warning(`${name} could not be put back: ${why}`)
      result.failed.push(`${name}: ${why}`)
    }
  }
  return result
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)
