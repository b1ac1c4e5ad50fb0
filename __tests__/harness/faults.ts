/**
 * Faults a real API server (or the network in front of it) produces, on demand: ended and stalled
 * watches, 410 Expired, 429 with Retry-After, 5xx, latency, refused connections.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */

export interface Faults {
  /** close every open watch stream now (cleanly) */
  endWatches(): void
  /** open watches stop delivering events (no bytes) for ms, then deliver what they held */
  stallWatches(ms: number): void
  /** next n watches answer 410 Expired (HTTP) or an in-stream ERROR event with a 410 Status */
  goneNext(n: number, opts?: { inStream?: boolean }): void
  /** next n requests answer 429 + Retry-After */
  tooManyNext(n: number, retryAfterSeconds: number): void
  errorNext(n: number, code: 500 | 503): void
  /** add to every response (0 to clear) */
  latency(ms: number): void
  /** close the listening socket; reopen on the same port after ms */
  refuseFor(ms: number): void
  clear(): void
}

/** What the server needs to do the faults: it owns the sockets and the watches. */
export interface FaultTarget {
  endWatches(): void
  refuseFor(ms: number): void
}

export type RequestFault =
  { kind: 'tooMany'; retryAfterSeconds: number } | { kind: 'error'; code: 500 | 503 }

export class FaultState implements Faults {
  private gone: { inStream: boolean }[] = []
  private tooMany: number[] = []
  private errors: (500 | 503)[] = []
  latencyMs = 0
  stalledUntil = 0
  private stallTimer: NodeJS.Timeout | undefined
  /** called when a stall ends, so held events go out */
  onStallEnd: () => void = () => {}

  constructor(private readonly target: FaultTarget) {}

  endWatches(): void {
    this.target.endWatches()
  }

  stallWatches(ms: number): void {
    this.stalledUntil = Date.now() + ms
    if (this.stallTimer) clearTimeout(this.stallTimer)
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined
      this.stalledUntil = 0
      this.onStallEnd()
    }, ms)
  }

  get stalled(): boolean {
    return this.stalledUntil > 0
  }

  goneNext(n: number, opts: { inStream?: boolean } = {}): void {
    for (let i = 0; i < n; i++) this.gone.push({ inStream: opts.inStream === true })
  }

  tooManyNext(n: number, retryAfterSeconds: number): void {
    for (let i = 0; i < n; i++) this.tooMany.push(retryAfterSeconds)
  }

  errorNext(n: number, code: 500 | 503): void {
    for (let i = 0; i < n; i++) this.errors.push(code)
  }

  latency(ms: number): void {
    this.latencyMs = ms
  }

  refuseFor(ms: number): void {
    this.target.refuseFor(ms)
  }

  clear(): void {
    this.gone = []
    this.tooMany = []
    this.errors = []
    this.latencyMs = 0
    if (this.stallTimer) clearTimeout(this.stallTimer)
    this.stallTimer = undefined
    if (this.stalledUntil) {
      this.stalledUntil = 0
      this.onStallEnd()
    }
  }

  /** The fault the next request meets, if any (429 before 5xx). */
  takeRequestFault(): RequestFault | undefined {
    const r = this.tooMany.shift()
    if (r !== undefined) return { kind: 'tooMany', retryAfterSeconds: r }
    const code = this.errors.shift()
    if (code !== undefined) return { kind: 'error', code }
    return undefined
  }

  takeGone(): { inStream: boolean } | undefined {
    return this.gone.shift()
  }

  dispose(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer)
  }
}
