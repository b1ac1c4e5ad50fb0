/**
 * Instant queries against a Prometheus HTTP API (GET /api/v1/query). Where the API is comes in as a
 * transport: `urlTransport` for a URL the runner can reach, or one the k8s layer builds on the API
 * server's service proxy. Every answer is read strictly: a value is a number only when Prometheus
 * says so, NaN and ±Inf stay what they are, and anything else is a PrometheusError that says why.
 * https://prometheus.io/docs/prometheus/latest/querying/api/
 */
import { describeError, readCapped } from '../http-response.js'

export interface PrometheusRequest {
  /** Below the API root, e.g. `/api/v1/query`. */
  path: string
  params: URLSearchParams
  signal: AbortSignal
}

export interface PrometheusResponse {
  status: number
  contentType: string
  body: string
}

/** Carries one GET to the Prometheus API and returns what came back, whatever the status. */
export type PrometheusTransport = (request: PrometheusRequest) => Promise<PrometheusResponse>

/** One series of an instant result. A scalar result is one sample without labels. */
export interface Sample {
  labels: Record<string, string>
  /** NaN, Infinity and -Infinity included: Prometheus sends them as "NaN", "+Inf", "-Inf". */
  value: number
}

export interface QueryResult {
  resultType: 'vector' | 'scalar'
  samples: Sample[]
  /** Prometheus' warnings: the data is there but may be partial. */
  warnings: string[]
}

export class PrometheusError extends Error {
  override name = 'PrometheusError'
}

export interface PrometheusClientOptions {
  /** One query's budget, also sent to Prometheus as its `timeout`; default 10 s. */
  timeoutMs?: number
  /** Where the API is, for messages; never holds credentials. */
  describe?: string
}

/** What one answer may weigh: an instant query of a check is a few series, never megabytes. */
const MAX_BODY_BYTES = 4 * 1024 * 1024

export class PrometheusClient {
  private readonly timeoutMs: number
  readonly where: string

  constructor(
    private readonly transport: PrometheusTransport,
    opts: PrometheusClientOptions = {}
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.where = opts.describe ?? 'Prometheus'
  }

  /** Evaluates `query` at `timeSeconds` (default: Prometheus' now). */
  async query(query: string, timeSeconds?: number, signal?: AbortSignal): Promise<QueryResult> {
    const params = new URLSearchParams({ query, timeout: `${Math.ceil(this.timeoutMs / 1000)}s` })
    if (timeSeconds !== undefined) params.set('time', timeSeconds.toFixed(3))
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout
    let response: PrometheusResponse
    try {
      response = await this.transport({ path: '/api/v1/query', params, signal: both })
    } catch (error) {
      if (signal?.aborted) throw error
      if (error instanceof PrometheusError)
        throw new PrometheusError(`${this.where}: ${error.message}`)
      if (timeout.aborted) {
        throw new PrometheusError(`${this.where} gave no answer within ${this.timeoutMs} ms`)
      }
      throw new PrometheusError(`${this.where} could not be reached: ${describeError(error)}`)
    }
    return parseQueryResponse(response, this.where)
  }
}

/** A transport for a Prometheus the runner reaches directly, e.g. http://prometheus.monitoring:9090. */
export function urlTransport(baseUrl: string): PrometheusTransport {
  const base = baseUrl.replace(/\/+$/, '')
  return async ({ path, params, signal }) => {
    const response = await fetch(`${base}${path}?${params}`, {
      signal,
      redirect: 'error',
      headers: { accept: 'application/json' }
    })
    // A cut JSON would only fail to parse: an answer over the limit is refused as such.
    const { text, cut } = await readCapped(response, MAX_BODY_BYTES)
    if (cut) {
      throw new PrometheusError(
        `answered more than ${MAX_BODY_BYTES / 1024 / 1024} MiB: a check's query gives a few series, never that many`
      )
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: text
    }
  }
}

/** Prometheus' float encoding: Go's strconv format, with NaN and ±Inf spelled its own way. */
export function parseSampleValue(text: unknown): number {
  if (text === 'NaN') return NaN
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  if (typeof text === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    return Number(text)
  }
  throw new PrometheusError(`a sample value is not a number: ${JSON.stringify(text)}`)
}

/** The JSON envelope of the Prometheus API, with the API server's Status when a proxy answered. */
interface Envelope {
  status?: unknown
  data?: { resultType?: unknown; result?: unknown }
  errorType?: unknown
  error?: unknown
  warnings?: unknown
  kind?: unknown
  message?: unknown
}

export function parseQueryResponse(response: PrometheusResponse, where: string): QueryResult {
  let envelope: Envelope | undefined
  try {
    const parsed: unknown = JSON.parse(response.body)
    if (typeof parsed === 'object' && parsed !== null) envelope = parsed as Envelope
  } catch {
    envelope = undefined
  }
  const http = `HTTP ${response.status}`
  if (!envelope) {
    const excerpt = response.body.trim().slice(0, 200)
    throw new PrometheusError(
      `${where} answered ${http} with no Prometheus API answer (${response.contentType || 'no content type'})${excerpt ? `: ${excerpt}` : ''}`
    )
  }
  if (envelope.status === 'error') {
    throw new PrometheusError(
      `${where} refused the query (${http}, ${String(envelope.errorType ?? 'error')}): ${String(envelope.error ?? '')}`
    )
  }
  // The API server (service proxy: no endpoints, RBAC) answers with a Status object of its own.
  if (envelope.kind === 'Status' && typeof envelope.message === 'string') {
    throw new PrometheusError(`${where} could not be reached (${http}): ${envelope.message}`)
  }
  if (envelope.status !== 'success' || response.status < 200 || response.status > 299) {
    throw new PrometheusError(`${where} answered ${http} without a success status`)
  }
  const warnings = Array.isArray(envelope.warnings) ? envelope.warnings.map(String) : []
  const { resultType, result } = envelope.data ?? {}
  if (resultType === 'scalar') {
    if (!Array.isArray(result) || result.length !== 2) {
      throw new PrometheusError(`${where} answered a malformed scalar`)
    }
    return { resultType, samples: [{ labels: {}, value: parseSampleValue(result[1]) }], warnings }
  }
  if (resultType === 'vector') {
    if (!Array.isArray(result)) throw new PrometheusError(`${where} answered a malformed vector`)
    const samples = result.map((entry: unknown): Sample => {
      const { metric, value } = (entry ?? {}) as { metric?: unknown; value?: unknown }
      if (!Array.isArray(value) || value.length !== 2 || typeof metric !== 'object' || !metric) {
        throw new PrometheusError(`${where} answered a malformed vector sample`)
      }
      return { labels: metric as Record<string, string>, value: parseSampleValue(value[1]) }
    })
    return { resultType, samples, warnings }
  }
  throw new PrometheusError(
    `the query gives a ${String(resultType)}, not one number: a check's query must give an instant vector or a scalar (a range selector such as [5m] needs a function such as rate() around it)`
  )
}
