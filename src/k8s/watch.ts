/**
 * One LIST, then a WATCH from its resourceVersion, kept alive until the caller stops it: resumes
 * from the last resourceVersion when the stream ends or goes silent (client-node #596: watches can
 * stall without an error), lists again on 410 Gone (as an HTTP status or an in-stream ERROR), and
 * retries 429/5xx/refused with jittered backoff that honours Retry-After. It is driven by our own
 * HTTP stream because client-node 2.0's Watch aborts healthy watches after 30 s (#3020).
 */
import { createInterface } from 'node:readline'
import type { KubernetesObject } from '@kubernetes/client-node'
import { type Attempt, KubeError, parseStatus, toKubeError } from './errors.js'
import { type Connection, type Query, openStream, requestJson } from './rest.js'
import { type Backoff, DEFAULT_BACKOFF, isTransient, retryDelay, sleep } from './retry.js'

export const DEFAULT_STALL_MS = 60_000

export interface InformerSpec {
  /** Collection path: /apis/apps/v1/namespaces/prod/deployments. */
  path: string
  /** For messages: deployments, pods... */
  resource: string
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
}

export interface InformerOptions {
  /** Stops everything when aborted; run() then resolves. */
  signal: AbortSignal
  /** Resume the watch when no event or bookmark arrived for this long (default 60 s). */
  stallMs?: number
  backoff?: Backoff
  /** Called after the initial LIST, every re-LIST, and every event that changed the set. */
  onChange: () => void
  /** Debug lines: resumes, re-lists, retries. */
  debug?: (message: string) => void
}

interface ListResponse<T> {
  metadata?: { resourceVersion?: string }
  items?: T[]
}

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: T
}

/** Signals the loop to LIST again (410 Gone). */
class Expired extends Error {}

export class Informer<T extends KubernetesObject> {
  /** The current objects by name. */
  readonly items = new Map<string, T>()
  /** True once the first LIST succeeded. */
  synced = false
  /** The last resourceVersion seen (LIST, event or bookmark). */
  resourceVersion = ''
  private failures = 0

  constructor(
    private readonly conn: Connection,
    private readonly spec: InformerSpec,
    private readonly opts: InformerOptions
  ) {}

  private get attempt(): Attempt {
    return { verb: 'watch', resource: this.spec.resource, namespace: this.spec.namespace }
  }

  private selectors(): Query {
    return { labelSelector: this.spec.labelSelector, fieldSelector: this.spec.fieldSelector }
  }

  /** Runs until the signal aborts (resolves) or a request fails for good (rejects with a KubeError). */
  async run(): Promise<void> {
    const { signal } = this.opts
    let needList = true
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list()
          needList = false
        }
        // The list may already have settled the waiter (and aborted the signal): then no watch at all,
        // or it would stay open, unheard, until the server ends it minutes later.
        if (signal.aborted) return
        const heard = await this.watchOnce()
        // A server that ends watches at once with nothing said must not be hammered.
        if (!heard)
          await sleep(
            retryDelay(undefined, this.failures++, this.opts.backoff ?? DEFAULT_BACKOFF),
            signal
          ).catch(() => undefined)
      } catch (err) {
        if (signal.aborted) return
        if (err instanceof Expired || (err instanceof KubeError && err.status === 410)) {
          this.opts.debug?.(
            `${this.spec.resource}: resourceVersion ${this.resourceVersion} expired, listing again`
          )
          needList = true
          continue
        }
        if (!isTransient(err)) throw err
        const delay = retryDelay(err, this.failures++, this.opts.backoff ?? DEFAULT_BACKOFF)
        this.opts.debug?.(
          `${this.spec.resource}: ${err instanceof Error ? err.message : String(err)}; retrying in ${delay} ms`
        )
        await sleep(delay, signal).catch(() => undefined)
      }
    }
  }

  private async list(): Promise<void> {
    const attempt: Attempt = { ...this.attempt, verb: 'list' }
    const list = await requestJson<ListResponse<T>>(
      this.conn,
      { method: 'GET', path: this.spec.path, query: this.selectors(), signal: this.opts.signal },
      attempt
    )
    this.items.clear()
    for (const item of list.items ?? []) {
      const name = item.metadata?.name
      if (name) this.items.set(name, item)
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? ''
    this.synced = true
    this.failures = 0
    this.opts.onChange()
  }

  /**
   * One WATCH request; resolves when the stream ends or stalls (true when anything was heard, or
   * it stalled after the full window), rejects on errors.
   */
  private watchOnce(): Promise<boolean> {
    const stallMs = this.opts.stallMs ?? DEFAULT_STALL_MS
    const controller = new AbortController()
    const stop = (): void => controller.abort()
    // A listener added to a signal that is already aborted never runs: check first.
    if (this.opts.signal.aborted) return Promise.resolve(false)
    this.opts.signal.addEventListener('abort', stop, { once: true })
    let stalled = false
    let timer: NodeJS.Timeout | undefined
    const arm = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        stalled = true
        controller.abort()
      }, stallMs)
    }
    let stream: { destroy(): void } | undefined
    const cleanup = (): void => {
      clearTimeout(timer)
      this.opts.signal.removeEventListener('abort', stop)
      controller.abort()
      // Aborting the request is not enough once the response is streaming: close its socket too.
      stream?.destroy()
    }
    arm()
    const query: Query = {
      ...this.selectors(),
      watch: 1,
      resourceVersion: this.resourceVersion || undefined,
      allowWatchBookmarks: true,
      // The server ends the watch itself after a while; we resume from where it stopped.
      timeoutSeconds: 240 + Math.floor(Math.random() * 60)
    }
    return new Promise<boolean>((resolve, reject) => {
      let settled = false
      let heard = false
      const finish = (err?: unknown): void => {
        if (settled) return
        settled = true
        cleanup()
        if (err !== undefined && !stalled && !this.opts.signal.aborted) reject(err)
        else {
          if (stalled)
            this.opts.debug?.(
              `${this.spec.resource}: no event for ${stallMs} ms, resuming the watch`
            )
          resolve(heard || stalled)
        }
      }
      openStream(
        this.conn,
        { method: 'GET', path: this.spec.path, query, signal: controller.signal },
        this.attempt
      ).then(
        ({ response }) => {
          // Finished (aborted, stalled) while the response was on its way: close it, never keep it.
          if (settled || controller.signal.aborted) {
            response.destroy()
            finish()
            return
          }
          stream = response
          arm()
          response.on('data', arm)
          response.on('error', () => finish())
          response.on('close', () => finish())
          const lines = createInterface({ input: response })
          // readline re-emits the stream's errors ('aborted' when we close it): a listener is required.
          lines.on('error', () => finish())
          lines.on('line', line => {
            if (settled || line.trim() === '') return
            if (!heard) this.failures = 0
            heard = true
            try {
              this.handle(line)
            } catch (err) {
              finish(err)
            }
          })
          lines.on('close', () => finish())
        },
        (err: unknown) => finish(err)
      )
    })
  }

  private handle(line: string): void {
    let event: WatchEvent<T>
    try {
      event = JSON.parse(line) as WatchEvent<T>
    } catch {
      return
    }
    if (event.type === 'ERROR') {
      const status = parseStatus(event.object)
      if (status?.code === 410) throw new Expired()
      throw toKubeError(
        { code: status?.code ?? 500, body: event.object },
        this.attempt,
        this.conn.server
      )
    }
    const rv = event.object?.metadata?.resourceVersion
    if (rv) this.resourceVersion = rv
    if (event.type === 'BOOKMARK') return
    const name = event.object?.metadata?.name
    if (!name) return
    if (event.type === 'DELETED') this.items.delete(name)
    else this.items.set(name, event.object)
    this.opts.onChange()
  }
}
