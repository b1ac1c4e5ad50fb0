/**
 * kube-controller-manager's garbage collector and namespace controller, event-driven:
 * - an object with the `orphan` finalizer: its dependents lose their ownerReference to it, then the
 *   finalizer goes (and with the last finalizer, the object);
 * - `foregroundDeletion`: its dependents are deleted (those with dependents of their own in the
 *   foreground too); once no dependent that blocks owner deletion is left, the finalizer goes;
 * - an object deleted: dependents whose owners are all gone are deleted in the background;
 * - a Terminating namespace: the namespace controller (namespace-deletion.ts) passes over it
 *   whenever it or anything in it changes.
 * https://kubernetes.io/docs/concepts/architecture/garbage-collection/
 * https://kubernetes.io/docs/tasks/administer-cluster/use-cascading-deletion/
 */
import type { Api } from './api.js'
import type { ResourceType } from './resources.js'
import { syncTerminatingNamespace } from './namespace-deletion.js'
import type { StoreEvent } from './store.js'
import { StatusError } from './status.js'
import type { KObject } from './types.js'

type Work = () => void

export class GarbageCollector {
  private readonly queue = new Map<string, Work>()
  private scheduled = false
  private unsubscribe: () => void = () => {}

  constructor(private readonly api: Api) {}

  start(): void {
    this.unsubscribe = this.api.store.subscribe(e => this.onChange(e))
  }

  stop(): void {
    this.unsubscribe()
    this.queue.clear()
  }

  private onChange(e: StoreEvent): void {
    const o = e.object
    const ns = o.metadata.namespace
    if (e.type !== 'DELETED' && o.metadata.deletionTimestamp) {
      const fins = o.metadata.finalizers ?? []
      if (fins.includes('orphan')) this.enqueue(e.resource, o, () => this.orphan(e.resource, o))
      if (fins.includes('foregroundDeletion'))
        this.enqueue(e.resource, o, () => this.foreground(e.resource, o))
      if (e.resource.kind === 'Namespace')
        this.enqueue(e.resource, o, () => syncTerminatingNamespace(this.api, o.metadata.name ?? ''))
    }
    if (e.type === 'DELETED') {
      this.enqueue(e.resource, o, () => this.collectDependents(o), 'dependents')
      // An owner waiting in the foreground for this one looks again.
      for (const ref of o.metadata.ownerReferences ?? []) {
        const owner = this.byUid(ref.uid, ns)
        if (owner?.obj.metadata.finalizers?.includes('foregroundDeletion'))
          this.enqueue(owner.t, owner.obj, () => this.foreground(owner.t, owner.obj))
      }
    }
    // Anything gone or changed in a Terminating namespace (a pod finished, a finalizer removed)
    // brings its controller back, as the real one requeues until the namespace is empty.
    if (ns !== undefined) {
      const nsType = this.api.kindOf('Namespace')
      const namespace = this.api.store.get(nsType, undefined, ns)
      if (namespace?.metadata.deletionTimestamp)
        this.enqueue(nsType, namespace, () => syncTerminatingNamespace(this.api, ns))
    }
  }

  private enqueue(t: ResourceType, o: KObject, work: Work, what = 'self'): void {
    const key = `${what}/${t.resource}/${o.metadata.namespace ?? ''}/${o.metadata.uid ?? ''}`
    if (this.queue.has(key)) return
    this.queue.set(key, work)
    if (this.scheduled) return
    this.scheduled = true
    this.api.pendingGC++
    // The collector acts after the request that caused it has been answered, as the real one does.
    setImmediate(() => {
      this.scheduled = false
      this.api.pendingGC--
      const batch = [...this.queue.values()]
      this.queue.clear()
      for (const w of batch) {
        try {
          w()
        } catch (err) {
          // Gone meanwhile, or refused: the next change brings it back.
          if (!(err instanceof StatusError) && process.env.HARNESS_DEBUG) console.error(err)
        }
      }
    })
  }

  private byUid(
    uid: string,
    ns: string | undefined
  ): { t: ResourceType; obj: KObject } | undefined {
    for (const t of this.api.registry.all()) {
      for (const obj of this.api.store.list(t, t.namespaced ? ns : undefined))
        if (obj.metadata.uid === uid) return { t, obj }
    }
    return undefined
  }

  private live(t: ResourceType, o: KObject): KObject | undefined {
    const cur = this.api.store.get(t, o.metadata.namespace, o.metadata.name ?? '')
    return cur?.metadata.uid === o.metadata.uid ? cur : undefined
  }

  /** Removes one finalizer; the object goes with its last one. */
  private dropFinalizer(t: ResourceType, o: KObject, finalizer: string): void {
    const finalizers = (o.metadata.finalizers ?? []).filter(f => f !== finalizer)
    const next: KObject = { ...o, metadata: { ...o.metadata, finalizers } }
    if (finalizers.length === 0) delete next.metadata.finalizers
    this.api.write(t, next, 'kube-controller-manager')
  }

  private orphan(t: ResourceType, o: KObject): void {
    const owner = this.live(t, o)
    if (!owner) return
    for (const { t: dt, obj } of this.api.dependents(owner)) {
      const refs = (obj.metadata.ownerReferences ?? []).filter(r => r.uid !== owner.metadata.uid)
      const next: KObject = { ...obj, metadata: { ...obj.metadata, ownerReferences: refs } }
      if (refs.length === 0) delete next.metadata.ownerReferences
      this.api.write(dt, next, 'kube-controller-manager')
    }
    this.dropFinalizer(t, owner, 'orphan')
  }

  private foreground(t: ResourceType, o: KObject): void {
    const owner = this.live(t, o)
    if (!owner?.metadata.finalizers?.includes('foregroundDeletion')) return
    const deps = this.api.dependents(owner)
    for (const { t: dt, obj } of deps) {
      if (obj.metadata.deletionTimestamp) continue
      const hasOwn = this.api.dependents(obj).length > 0
      this.api.delete(dt, obj.metadata.namespace, obj.metadata.name ?? '', {
        propagationPolicy: hasOwn ? 'Foreground' : 'Background'
      })
    }
    const blocking = this.api
      .dependents(owner)
      .filter(d =>
        d.obj.metadata.ownerReferences?.some(
          r => r.uid === owner.metadata.uid && r.blockOwnerDeletion === true
        )
      )
    if (blocking.length === 0) this.dropFinalizer(t, owner, 'foregroundDeletion')
  }

  /** Dependents whose owners are all gone go in the background. */
  private collectDependents(owner: KObject): void {
    for (const { t, obj } of this.api.dependents(owner)) {
      if (obj.metadata.deletionTimestamp) continue
      const others = (obj.metadata.ownerReferences ?? []).filter(r => r.uid !== owner.metadata.uid)
      if (others.some(r => this.byUid(r.uid, obj.metadata.namespace))) continue
      this.api.delete(t, obj.metadata.namespace, obj.metadata.name ?? '', {
        propagationPolicy: 'Background'
      })
    }
  }
}
