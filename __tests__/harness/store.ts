/**
 * The object store: one global resourceVersion counter (as etcd's revision), a bounded event
 * history for watches (older starts are "compacted" and answer 410 Expired), and synchronous
 * listeners so controllers and watches see every change at once.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions
 */
import type { ResourceType } from './resources.js'
import { clone, type KObject } from './types.js'

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  rv: number
  type: EventType
  resource: ResourceType
  object: KObject
  /** the object before a MODIFIED or DELETED, so selector watches can tell enter from leave */
  previous?: KObject
}

function resourceKey(t: ResourceType): string {
  return `${t.group}/${t.resource}`
}

function objectKey(ns: string | undefined, name: string): string {
  return `${ns ?? ''}/${name}`
}

export class Store {
  private rv = 1
  private readonly objects = new Map<string, Map<string, KObject>>()
  private history: StoreEvent[] = []
  private compactedThrough = 0
  private readonly listeners = new Set<(e: StoreEvent) => void>()

  constructor(private readonly historyLimit = 1000) {}

  currentRV(): number {
    return this.rv
  }

  /** Watches may start from any resourceVersion at or after this one. */
  oldestWatchableRV(): number {
    return this.compactedThrough
  }

  private bucket(t: ResourceType): Map<string, KObject> {
    const key = resourceKey(t)
    let b = this.objects.get(key)
    if (!b) {
      b = new Map()
      this.objects.set(key, b)
    }
    return b
  }

  get(t: ResourceType, ns: string | undefined, name: string): KObject | undefined {
    const o = this.bucket(t).get(objectKey(t.namespaced ? ns : undefined, name))
    return o ? clone(o) : undefined
  }

  /** Every object of a type, in one namespace or all, ordered by namespace then name. */
  list(t: ResourceType, ns?: string): KObject[] {
    const out: KObject[] = []
    for (const o of this.bucket(t).values()) {
      if (!t.namespaced || ns === undefined || o.metadata.namespace === ns) out.push(clone(o))
    }
    return out.sort((a, b) =>
      objectKey(a.metadata.namespace, a.metadata.name ?? '').localeCompare(
        objectKey(b.metadata.namespace, b.metadata.name ?? '')
      )
    )
  }

  /** Stores a new object; the caller has validated it and set every field but resourceVersion. */
  create(t: ResourceType, obj: KObject): KObject {
    return this.write(t, obj, 'ADDED')
  }

  update(t: ResourceType, obj: KObject): KObject {
    return this.write(t, obj, 'MODIFIED')
  }

  delete(t: ResourceType, ns: string | undefined, name: string): KObject | undefined {
    const b = this.bucket(t)
    const key = objectKey(t.namespaced ? ns : undefined, name)
    const previous = b.get(key)
    if (!previous) return undefined
    b.delete(key)
    this.rv++
    // The DELETED event carries the object as last seen, at the revision of the deletion.
    const object = clone(previous)
    object.metadata.resourceVersion = String(this.rv)
    this.emit({ rv: this.rv, type: 'DELETED', resource: t, object, previous })
    return clone(object)
  }

  private write(t: ResourceType, obj: KObject, type: EventType): KObject {
    const b = this.bucket(t)
    const key = objectKey(
      t.namespaced ? obj.metadata.namespace : undefined,
      obj.metadata.name ?? ''
    )
    const previous = b.get(key)
    this.rv++
    const stored = clone(obj)
    stored.metadata.resourceVersion = String(this.rv)
    b.set(key, stored)
    this.emit({
      rv: this.rv,
      type: previous ? 'MODIFIED' : type,
      resource: t,
      object: stored,
      previous
    })
    return clone(stored)
  }

  private emit(e: StoreEvent): void {
    this.history.push(e)
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit)
      this.compactedThrough = dropped[dropped.length - 1].rv
    }
    for (const l of [...this.listeners]) l(e)
  }

  /**
   * Forgets the history up to now, as a fresh kube-apiserver's watch cache starts at the revision
   * it was built from: watches and exact lists from earlier revisions are 410 (recording 42).
   */
  compact(): void {
    this.history = []
    this.compactedThrough = this.rv
  }

  /** The objects of a type as they were at revision `rv` (etcd's MVCC read), or 'expired'. */
  listAt(t: ResourceType, ns: string | undefined, rv: number): KObject[] | 'expired' {
    if (rv < this.compactedThrough) return 'expired'
    const state = new Map<string, KObject>()
    for (const [k, o] of this.bucket(t)) state.set(k, o)
    for (let i = this.history.length - 1; i >= 0 && this.history[i].rv > rv; i--) {
      const e = this.history[i]
      if (resourceKey(e.resource) !== resourceKey(t)) continue
      const k = objectKey(
        t.namespaced ? e.object.metadata.namespace : undefined,
        e.object.metadata.name ?? ''
      )
      if (e.previous) state.set(k, e.previous)
      else state.delete(k)
    }
    return [...state.values()]
      .filter(o => !t.namespaced || ns === undefined || o.metadata.namespace === ns)
      .map(o => clone(o))
  }

  /** Events after `rv`, or 'expired' when the history no longer reaches back that far. */
  eventsSince(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.compactedThrough) return 'expired'
    return this.history.filter(e => e.rv > rv)
  }

  /** Listens to every change; returns the unsubscribe function. */
  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }
}
