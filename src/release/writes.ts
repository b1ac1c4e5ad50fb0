/**
 * Writes as data: how a plan names them, and the JSON merge patch arithmetic (RFC 7386) that both
 * undoing a promotion and an offline diff need: a patch applied locally, and the patch that puts
 * back what another one changed.
 */
import { isDeepStrictEqual } from 'node:util'
import type { KubernetesObject } from '@kubernetes/client-node'
import { refOf, type ObjectRef } from '../k8s/objects.js'
import type { Change, Write, WriteRole } from './types.js'
import { isRecord, type JsonObject } from '../json.js'

export function applyOf(
  role: WriteRole,
  object: KubernetesObject,
  opts: Pick<Write, 'force' | 'rollout' | 'says'> = {}
): Write {
  return { role, verb: 'apply', ref: refOf(object), body: object, ...opts }
}

export function patchOf(role: WriteRole, ref: ObjectRef, patch: object, says?: string): Write {
  return { role, verb: 'merge-patch', ref, body: patch, ...(says ? { says } : {}) }
}

export function modifyOf(role: WriteRole, ref: ObjectRef, change: Change, says?: string): Write {
  return { role, verb: 'modify', ref, change, ...(says ? { says } : {}) }
}

export function deleteOf(role: WriteRole, ref: ObjectRef, says?: string): Write {
  return { role, verb: 'delete', ref, ...(says ? { says } : {}) }
}

/** `Deployment shop/web`: how a write's object is named in logs, reports and the diff. */
export function objectName(ref: ObjectRef, namespace: string): string {
  return `${ref.kind} ${ref.namespace ?? namespace}/${ref.name}`
}

/** kind/namespace/name: one object, whatever the write. */
export function objectKey(ref: ObjectRef, namespace: string): string {
  return `${ref.kind}/${ref.namespace ?? namespace}/${ref.name}`
}

/** `patch` merged into `target` as the API server merges a JSON merge patch; inputs untouched. */
export function mergePatched<T>(target: T, patch: object): T {
  const merge = (into: unknown, change: unknown): unknown => {
    if (!isRecord(change)) return structuredClone(change)
    const result: JsonObject = isRecord(into) ? { ...into } : {}
    for (const [key, value] of Object.entries(change)) {
      if (value === null) delete result[key]
      else result[key] = merge(result[key], value)
    }
    return result
  }
  return merge(target, patch) as T
}

/**
 * The merge patch that puts `before` back after `patch` was merged into it: every key the patch
 * touched gets its earlier value, or null when it had none.
 */
export function inverseMergePatch(before: unknown, patch: object): object {
  const inverse: JsonObject = {}
  for (const [key, value] of Object.entries(patch)) {
    const was = isRecord(before) ? before[key] : undefined
    if (isRecord(value) && isRecord(was)) inverse[key] = inverseMergePatch(was, value)
    else inverse[key] = was === undefined ? null : structuredClone(was)
  }
  return inverse
}

/**
 * The JSON merge patch that turns `from` into `to` (RFC 7386's generation): changed keys get their
 * new value (lists whole), keys `to` lacks get null, equal ones are left out.
 */
export function mergePatchBetween(from: unknown, to: unknown): JsonObject {
  const was = isRecord(from) ? from : {}
  const now = isRecord(to) ? to : {}
  const patch: JsonObject = {}
  for (const key of Object.keys(was)) if (!(key in now)) patch[key] = null
  for (const [key, value] of Object.entries(now)) {
    if (isRecord(value) && isRecord(was[key])) {
      const inner = mergePatchBetween(was[key], value)
      if (Object.keys(inner).length > 0) patch[key] = inner
    } else if (!isDeepStrictEqual(was[key], value)) {
      patch[key] = structuredClone(value)
    }
  }
  return patch
}
