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
        object: withAnnotation(bookmarkObject(t, this.store.currentRV()), {
          'k8s.io/initial-events-end': 'true'
        })
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
    const deadline =
      req.timeoutSeconds !== undefined && req.timeoutSeconds > 0
        ? Date.now() + req.timeoutSeconds * 1000
        : undefined
    if (req.bookmarks) this.scheduleBookmark(t, req.bookmarkIntervalMs, deadline)
    if (deadline !== undefined) {
      const timer = setTimeout(() => this.end(), deadline - Date.now())
      this.cleanups.push(() => clearTimeout(timer))
    }
  }

  /**
   * cacheWatcher.nextBookmarkTime: a BOOKMARK every interval (kube: about a minute) and one 2 s
   * before the watch's deadline, none once that moment has passed.
   */
  private scheduleBookmark(t: ResourceType, intervalMs: number, deadline?: number): void {
    const now = Date.now()
    const last = deadline !== undefined && now + intervalMs >= deadline - 2000
    const at = last ? deadline - 2000 : now + intervalMs
    if (at <= now) return
    const timer = setTimeout(() => {
      this.send({ type: 'BOOKMARK', object: bookmarkObject(t, this.store.currentRV()) })
      // The one before the deadline is the last: a timer may fire a millisecond early, and must
      // not then find its moment still ahead and send it twice.
      if (!last) this.scheduleBookmark(t, intervalMs, deadline)
    }, at - now)
    this.cleanups.push(() => clearTimeout(timer))
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

/** The kind's empty object with only a resourceVersion, as the watch cache sends a bookmark. */
function bookmarkObject(t: ResourceType, rv: number): Record<string, unknown> {
  return {
    kind: t.kind,
    apiVersion: groupVersion(t),
    metadata: { resourceVersion: String(rv) },
    ...structuredClone(t.zeroValue ?? {})
  }
}

function withAnnotation(
  o: Record<string, unknown>,
  annotations: Record<string, string>
): Record<string, unknown> {
  const metadata = o.metadata as Record<string, unknown>
  return { ...o, metadata: { ...metadata, annotations } }
}
