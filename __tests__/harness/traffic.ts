/**
 * User traffic for a local app: a few keep-alive connections, each sending one request after the
 * other with a short pause. Bounded in count and time whatever the test does; stop() closes every
 * connection, so the app sees its clients leave.
 */
import http from 'node:http'

export interface TrafficOptions {
  /** Connections held open, each with one request in flight at a time; default 2. */
  connections?: number
  /** Pause after each answer, per connection; default 10 ms. */
  pauseMs?: number
  path?: string
  /** Bounds: the traffic stops by itself after this many requests or this long. */
  maxRequests?: number
  maxMs?: number
}

export interface Traffic {
  /** Answers so far, by status code. */
  readonly byStatus: ReadonlyMap<number, number>
  /** Stops sending, waits for the requests in flight, and closes the connections. */
  stop(): Promise<void>
}

export function startTraffic(baseUrl: string, opts: TrafficOptions = {}): Traffic {
  const connections = opts.connections ?? 2
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const byStatus = new Map<number, number>()
  const url = new URL(opts.path ?? '/', baseUrl)
  const maxRequests = opts.maxRequests ?? 20_000
  const until = Date.now() + (opts.maxMs ?? 120_000)
  let sent = 0
  let stopped = false

  const once = (): Promise<void> =>
    new Promise(resolve => {
      const request = http.get(url, { agent }, response => {
        const status = response.statusCode ?? 0
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
        response.resume()
        response.once('end', resolve)
        response.once('error', () => resolve())
      })
      request.once('error', () => resolve())
    })

  const loop = async (): Promise<void> => {
    while (!stopped && sent < maxRequests && Date.now() < until) {
      sent++
      await once()
      await new Promise(resolve => setTimeout(resolve, opts.pauseMs ?? 10))
    }
  }
  const loops = Promise.all(Array.from({ length: connections }, loop))

  return {
    byStatus,
    async stop() {
      stopped = true
      await loops
      agent.destroy()
    }
  }
}
