/**
 * Drain-aware rainbow cleanup: a replaced release is deleted only when it is measurably drained.
 * Its load comes from a Prometheus query over the release's series (e.g. open connections), or,
 * without Prometheus, from a path each of its pods answers with a number (its open connections),
 * summed over the pods. A load that cannot be measured is unknown, and unknown is never drained:
 * an empty result, a pod that does not answer or a body that is not a number keeps the release.
 */
import { describeError } from '../http-response.js'
import { PrometheusError, type PrometheusClient } from './prometheus.js'
import { renderTemplate, type Matchers } from './promql.js'
import { oneValue } from './query-value.js'

export interface LoadReading {
  /** Undefined: unknown. */
  load?: number
  /** How it was measured: the query as sent, or `GET /connections on 3 pods`. */
  source: string
  /** The per-pod values, Prometheus' note, or why the load is unknown. */
  detail: string
}

/** One pod, reached by the k8s layer (e.g. through the API server's pod proxy). */
export interface PodEndpoint {
  name: string
  fetch(path: string, signal: AbortSignal): Promise<{ status: number; body: string }>
}

export interface QueryLoadOptions {
  /** {{window}} of the query; default 5 minutes. */
  windowMs?: number
  timeSeconds?: number
  signal?: AbortSignal
}

export async function measureLoadByQuery(
  client: PrometheusClient,
  template: string,
  matchers: Matchers,
  opts: QueryLoadOptions = {}
): Promise<LoadReading> {
  const source = renderTemplate(template, {
    matchers,
    windowMs: opts.windowMs ?? 300_000,
    side: 'release'
  })
  try {
    const { value, note } = oneValue(await client.query(source, opts.timeSeconds, opts.signal))
    if (value === undefined) return { source, detail: `unknown: ${note ?? 'no value'}` }
    return { load: value, source, detail: note ?? 'measured' }
  } catch (error) {
    if (!(error instanceof PrometheusError)) throw error
    return { source, detail: `unknown: ${error.message}` }
  }
}

/** A pod's answer: one non-negative number, e.g. `3` or `3\n`. */
export function parseLoad(body: string): number | undefined {
  const text = body.trim()
  return /^\d{1,15}(\.\d+)?$/.test(text) ? Number(text) : undefined
}

export async function measureLoadByPods(
  pods: PodEndpoint[],
  path: string,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {}
): Promise<LoadReading> {
  const source = `GET ${path} on ${pods.length} pod${pods.length === 1 ? '' : 's'}`
  if (pods.length === 0) return { load: 0, source, detail: 'no pods: nothing can be connected' }
  const timeoutMs = opts.timeoutMs ?? 5000
  const answers = await Promise.all(
    pods.map(async pod => {
      const timeout = AbortSignal.timeout(timeoutMs)
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
      let timer: NodeJS.Timeout | undefined
      // A fetcher that ignores its signal must not hold cleanup past the budget either.
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      })
      try {
        const answer = await Promise.race([pod.fetch(path, signal), expired])
        if (answer.status < 200 || answer.status > 299) {
          return { pod: pod.name, error: `HTTP ${answer.status}` }
        }
        const load = parseLoad(answer.body)
        if (load === undefined) {
          return {
            pod: pod.name,
            error: `answered ${JSON.stringify(answer.body.slice(0, 40))}, not a number`
          }
        }
        return { pod: pod.name, load }
      } catch (error) {
        if (opts.signal?.aborted) throw error
        return { pod: pod.name, error: describeError(error) }
      } finally {
        clearTimeout(timer)
      }
    })
  )
  const detail = answers.map(a => `${a.pod}: ${a.load ?? a.error}`).join(', ')
  if (answers.some(a => a.load === undefined)) return { source, detail: `unknown: ${detail}` }
  return { load: answers.reduce((sum, a) => sum + (a.load ?? 0), 0), source, detail }
}

/** What the age rules (keep the newest N, minimum age) decided, before the load is looked at. */
export interface DrainCandidate {
  name: string
  /** The age rules would delete it. */
  delete: boolean
  reason: string
}

export interface DrainDecision {
  name: string
  delete: boolean
  reason: string
  load?: LoadReading
}

/**
 * The age rules' candidates, each kept unless drained: its measured load at or below `threshold`.
 * A release the age rules keep stays kept (its load is still shown); one whose load is unknown or
 * was not measured is kept, and the reason says so.
 */
export function decideDrain(
  candidates: readonly DrainCandidate[],
  loads: ReadonlyMap<string, LoadReading>,
  threshold: number
): DrainDecision[] {
  return candidates.map(candidate => {
    const load = loads.get(candidate.name)
    const decision = (remove: boolean, reason: string): DrainDecision => ({
      name: candidate.name,
      delete: remove,
      reason,
      ...(load ? { load } : {})
    })
    if (!candidate.delete) return decision(false, candidate.reason)
    if (!load) return decision(false, `${candidate.reason}; but its load was not measured: kept`)
    if (load.load === undefined) {
      return decision(false, `${candidate.reason}; but its load is ${load.detail}: kept`)
    }
    if (load.load > threshold) {
      return decision(
        false,
        `busy: load ${formatLoad(load.load)} > drain-threshold ${formatLoad(threshold)}: kept`
      )
    }
    return decision(
      true,
      `${candidate.reason}; drained: load ${formatLoad(load.load)} <= drain-threshold ${formatLoad(threshold)}`
    )
  })
}

/** A load as a person reads it: 3, 0.25, 1240. */
export function formatLoad(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)))
}
