/**
 * One watch stream: newline-delimited JSON `{type, object}` events.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 * - no resourceVersion (or "0"): synthetic ADDED for every current object, then changes
 * - resourceVersion N: every change after N; N older than the kept history: ERROR 410 Expired
 * - label/field selectors: an object that starts matching arrives ADDED, one that stops DELETED
 * - allowWatchBookmarks: BOOKMARK events carrying only the current resourceVersion
 * - timeoutSeconds: the server ends the stream
 */
import type { ServerResponse } from 'node:http'
import type { FaultState } from './faults.js'
import { groupVersion, type ResourceType } from './resources.js'
import { failure } from './status.js'
import type { Store, StoreEvent } from './store.js'
import type { KObject } from './types.js'

export interface WatchRequest {
  resource: ResourceType
  namespace?: string
  matches: (o: KObject) => boolean
  resourceVersion?: string
  bookmarks: boolean
  /** watch-list: the current objects as ADDED, then a BOOKMARK marking their end */
  sendInitialEvents?: boolean
  bookmarkIntervalMs: number
  timeoutSeconds?: number
}

type WatchEvent = { type: string; object: unknown }

export class WatchStream {
  private held: string[] = []
  private closed = false
  private readonly cleanups: (() => void)[] = []

  constructor(
    private readonly res: ServerResponse,
    private readonly store: Store,
    private readonly faults: FaultState,
    private readonly onClose: (w: WatchStream) => void
  ) {}

  start(req: WatchRequest): void {
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' })
    // Headers go out at once, as kube-apiserver flushes them: clients wait for them before reading events.
    this.res.flushHeaders()
    this.res.on('close', () => this.close())
    const t = req.resource
    const inScope = (e: StoreEvent): boolean =>
      // By group and resource: a CRD's kind is re-registered when its CRD changes.
      e.resource.group === t.group &&
      e.resource.resource === t.resource &&
      (req.namespace === undefined || e.object.metadata.namespace === req.namespace)
    const rv = req.resourceVersion
    if (req.sendInitialEvents) {
      for (const o of this.store.list(t, req.namespace))
        if (req.matches(o)) this.send({ type: 'ADDED', object: o })
      this.send({
        type: 'BOOKMARK',
        object: {
          kind: t.kind,
          apiVersion: groupVersion(t),
          metadata: {
            resourceVersion: String(this.store.currentRV()),
            annotations: { 'k8s.io/initial-events-end': 'true' }
          }
        }
      })
    } else if (rv === undefined || rv === '' || rv === '0') {
      for (const o of this.store.list(t, req.namespace))
        if (req.matches(o)) this.send({ type: 'ADDED', object: o })
    } else {
      const from = Number(rv)
      const events = Number.isFinite(from) ? this.store.eventsSince(from) : 'expired'
      if (events === 'expired') {
        this.send({
          type: 'ERROR',
          object: failure(
            410,
            'Expired',
            `too old resource version: ${rv} (${this.store.oldestWatchableRV() + 1})`
          )
        })
        this.end()
        return
      }
      for (const e of events) if (inScope(e)) this.deliver(e, req.matches)
    }
    this.cleanups.push(this.store.subscribe(e => inScope(e) && this.deliver(e, req.matches)))
    if (req.bookmarks) {
      const timer = setInterval(() => {
        const object = {
          kind: t.kind,
          apiVersion: groupVersion(t),
          metadata: { resourceVersion: String(this.store.currentRV()) }
        }
        this.send({ type: 'BOOKMARK', object })
      }, req.bookmarkIntervalMs)
      this.cleanups.push(() => clearInterval(timer))
    }
    if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0) {
      const timer = setTimeout(() => this.end(), req.timeoutSeconds * 1000)
      this.cleanups.push(() => clearTimeout(timer))
    }
  }

  private deliver(e: StoreEvent, matches: (o: KObject) => boolean): void {
    const now = matches(e.object)
    const before = e.previous !== undefined && matches(e.previous)
    if (e.type === 'ADDED' && now) this.send({ type: 'ADDED', object: e.object })
    else if (e.type === 'MODIFIED') {
      if (now && before) this.send({ type: 'MODIFIED', object: e.object })
      else if (now) this.send({ type: 'ADDED', object: e.object })
      else if (before) this.send({ type: 'DELETED', object: e.object })
    } else if (e.type === 'DELETED' && before) this.send({ type: 'DELETED', object: e.object })
  }

  private send(ev: WatchEvent): void {
    if (this.closed) return
    const line = JSON.stringify(ev) + '\n'
    if (this.faults.stalled) this.held.push(line)
    else this.res.write(line)
  }

  /** After a stall: deliver what was held, in order. */
  flush(): void {
    if (this.closed) return
    const lines = this.held
    this.held = []
    for (const l of lines) this.res.write(l)
  }

  /** Ends the stream cleanly (the client sees the response end). */
  end(): void {
    if (this.closed) return
    this.close()
    this.res.end()
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    for (const c of this.cleanups) c()
    this.onClose(this)
  }
}
