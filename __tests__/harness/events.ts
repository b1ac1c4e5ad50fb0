/**
 * core/v1 Events as the kubelet, scheduler and controllers record them: one object per
 * (object, reason, message, source), its count and lastTimestamp bumped on repeats.
 * https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/
 */
import type { Api } from './api.js'
import { groupVersion } from './resources.js'
import { now, type CoreEvent, type KObject } from './types.js'

export interface EventSource {
  component: string
  host?: string
}

export class EventRecorder {
  private readonly names = new Map<string, string>()

  constructor(private readonly api: Api) {}

  record(
    obj: KObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: EventSource,
    fieldPath?: string
  ): void {
    const t = this.api.kindOf('Event')
    const ns = obj.metadata.namespace ?? 'default'
    // A terminating (or gone) namespace takes no new events, as admission refuses them.
    const namespace = this.api.store.get(this.api.kindOf('Namespace'), undefined, ns)
    if (!namespace || namespace.metadata.deletionTimestamp) return
    const key = [obj.metadata.uid, reason, message, source.component, fieldPath ?? ''].join(
      '\u0000'
    )
    const existingName = this.names.get(key)
    const existing = existingName ? this.api.store.get(t, ns, existingName) : undefined
    const at = now()
    if (existing) {
      const e = existing as CoreEvent
      e.count = (e.count ?? 1) + 1
      e.lastTimestamp = at
      this.api.store.update(t, e)
      return
    }
    const objType = this.api.kindOf(obj.kind ?? 'Pod')
    const name = `${obj.metadata.name ?? 'unknown'}.${(process.hrtime.bigint() + BigInt(Date.now()) * 1000000n).toString(16).slice(-16)}`
    this.names.set(key, name)
    const event: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        apiVersion: groupVersion(objType),
        resourceVersion: obj.metadata.resourceVersion,
        ...(fieldPath ? { fieldPath } : {})
      },
      reason,
      message,
      source: source.host
        ? { component: source.component, host: source.host }
        : { component: source.component },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? ''
    }
    this.api.put(event)
  }
}
