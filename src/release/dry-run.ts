/**
 * What a plan would change, object by object, without changing anything: each object's writes, in
 * plan order, are played on it as it is. With cluster access the first write of an object is a
 * server-side dry run (defaults and admission included) and later ones on the result it gave;
 * without, the manifests at the base ref stand in for the cluster and writes are played locally.
 * An object the plan creates and later deletes (a canary) is shown as it will be while it lives; one
 * it changes and later puts back as it was (the user's HTTPRoute) as it will be while changed.
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import type { Cluster } from '../k8s/client.js'
import { KubeError } from '../k8s/errors.js'
import { apply, isForbidden, mergePatch, modify, read } from '../k8s/objects.js'
import { diffObject } from '../k8s/object-diff.js'
import type { Write, WriteRole } from './types.js'
import { mergePatched, objectKey, objectName } from './writes.js'

export type ChangeKind = 'create' | 'update' | 'delete' | 'unchanged' | 'refused' | 'unreadable'

export interface ObjectChange {
  /** `Deployment shop/web`. */
  label: string
  kind: ChangeKind
  /** A unified diff of the object as it is and as the plan leaves it ('' when unchanged). */
  text: string
  /** Why it is refused, unreadable, or left as it is. */
  note?: string
  /** What each command does to it, in order: `deploy: apply (canary)`. */
  steps: string[]
  roles: WriteRole[]
}

/** The writes of one command of the plan. */
export interface PlanPhase {
  command: 'deploy' | 'promote'
  writes: Write[]
}

/** Where an object's current state and the result of a write come from. */
export interface Projector {
  namespace: string
  /** The object as it is; `unreadable` says why it cannot be known. */
  current(write: Write): Promise<{ object?: KubernetesObject; unreadable?: string }>
  /** What an apply would make of it. */
  apply(write: Write): Promise<KubernetesObject>
  /** What a merge patch would make of it, when it is as it is now (else patched locally). */
  patchLive(write: Write): Promise<KubernetesObject>
  /** What a modify would make of it, when it is as it is now (else changed locally). */
  modifyLive(write: Write): Promise<KubernetesObject | undefined>
}

/** The cluster's answers: reads, and server-side dry runs (dryRun=All: nothing is stored). */
export function clusterProjector(cluster: Cluster): Projector {
  return {
    namespace: cluster.namespace,
    async current(write) {
      try {
        return { object: await read(cluster, write.ref) }
      } catch (error) {
        if (!isForbidden(error)) throw error
        return { unreadable: `not readable by this identity (${errorText(error)})` }
      }
    },
    apply: write =>
      apply(cluster, write.body as KubernetesObject, { dryRun: true, force: write.force }),
    patchLive: write => mergePatch(cluster, write.ref, write.body ?? {}, { dryRun: true }),
    modifyLive: async write =>
      (await modify(cluster, write.ref, changeOf(write), { dryRun: true })).object
  }
}

const changeOf = (write: Write) => write.change ?? (() => undefined)

/** What a modify makes of `state`, played locally; nothing of an object not there to change. */
function modifiedLocally(state: KubernetesObject | undefined, write: Write) {
  const patch = state && changeOf(write)(state)
  return state && patch ? mergePatched(state, patch) : state
}

/** The manifests at the base ref as the cluster's state; writes played locally. */
export function offlineProjector(base: KubernetesObject[], namespace: string): Projector {
  const before = new Map(
    base.map(object => [
      objectKey(
        {
          kind: object.kind ?? '',
          name: object.metadata?.name ?? '',
          namespace: object.metadata?.namespace
        },
        namespace
      ),
      object
    ])
  )
  return {
    namespace,
    current: async write => ({ object: before.get(objectKey(write.ref, namespace)) }),
    apply: async write => write.body as KubernetesObject,
    patchLive: async write =>
      mergePatched(before.get(objectKey(write.ref, namespace)) ?? {}, write.body ?? {}),
    modifyLive: async write => modifiedLocally(before.get(objectKey(write.ref, namespace)), write)
  }
}

const VERB: Record<Write['verb'], string> = {
  apply: 'applies',
  'merge-patch': 'patches',
  modify: 'patches',
  delete: 'deletes'
}

/** What the phases would change, one entry per object, in the order the plan first writes each. */
export async function projectPlan(
  phases: PlanPhase[],
  projector: Projector
): Promise<ObjectChange[]> {
  const groups = new Map<string, { command: PlanPhase['command']; write: Write }[]>()
  for (const { command, writes } of phases) {
    for (const write of writes) {
      const key = objectKey(write.ref, projector.namespace)
      groups.set(key, [...(groups.get(key) ?? []), { command, write }])
    }
  }
  const changes: ObjectChange[] = []
  for (const entries of groups.values()) {
    const change = await projectObject(entries, projector)
    if (change) changes.push(change)
  }
  return changes
}

async function projectObject(
  entries: { command: PlanPhase['command']; write: Write }[],
  projector: Projector
): Promise<ObjectChange | undefined> {
  const first = entries[0].write
  const label = objectName(first.ref, projector.namespace)
  const steps = entries.map(
    ({ command, write }) =>
      `${command} ${VERB[write.verb]} it${write.says ? ` (${write.says})` : ''}`
  )
  const roles = [...new Set(entries.map(e => e.write.role))]
  const base = { label, steps, roles, text: '' }
  const { object: before, unreadable } = await projector.current(first)
  if (unreadable) return { ...base, kind: 'unreadable', note: unreadable }
  let state = before
  let untouched = true
  /** Every state the writes leave it in, in order (not its deletion), and whose write it was. */
  const states: { object: KubernetesObject; command: PlanPhase['command'] }[] = []
  try {
    for (const { command, write } of entries) {
      if (write.verb === 'delete') {
        state = undefined
      } else if (write.verb === 'merge-patch') {
        state =
          untouched && state
            ? await projector.patchLive(write)
            : state && mergePatched(state, write.body ?? {})
      } else if (write.verb === 'modify') {
        state = untouched ? await projector.modifyLive(write) : modifiedLocally(state, write)
      } else {
        state = await projector.apply(write)
      }
      if (state) states.push({ object: state, command })
      untouched = false
    }
  } catch (error) {
    if (!(error instanceof KubeError) || error.status === undefined) throw error
    // The cluster answered: this object would be refused (invalid, conflict, admission, RBAC).
    return { ...base, kind: 'refused', note: errorText(error) }
  }
  // Deleted at the end (a canary after promotion): shown as it lives until then.
  const after = state ?? states.at(-1)?.object
  if (!before && !after) return undefined
  const diff = diffObject(label, before, after)
  if (diff.kind !== 'unchanged') return { ...base, ...diff }
  // Put back as it was at the end (the route after promotion): shown as it is while changed.
  const changed = states.findLast(s => diffObject(label, before, s.object).kind !== 'unchanged')
  if (!changed) return { ...base, ...diff }
  return {
    ...base,
    ...diffObject(label, before, changed.object),
    note: `shown as ${changed.command} leaves it; ${entries[entries.length - 1].command} puts it back as it was`
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
