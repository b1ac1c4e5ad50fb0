/**
 * A query's result read as what analysis and drain need of it: one number, or the count of
 * observations behind one. An empty result and NaN are no value, said why; several series is a
 * query that forgot to aggregate, refused as such rather than read as its first series.
 */
import { PrometheusError, type QueryResult } from './prometheus.js'
import type { SideReading } from './types.js'

/** The one number a check's query must give; an empty result and NaN are no value, said why. */
export function oneValue(result: QueryResult): Pick<SideReading, 'value' | 'note'> {
  const warned = result.warnings.length ? `; Prometheus warns: ${result.warnings.join('; ')}` : ''
  if (result.samples.length === 0) {
    return { note: `empty result: no series matched${warned}` }
  }
  if (result.samples.length > 1) throw severalSeries(result)
  const value = result.samples[0].value
  if (Number.isNaN(value)) return { note: `NaN, e.g. 0/0: nothing happened in the window${warned}` }
  return warned ? { value, note: warned.slice(2) } : { value }
}

/** Observations: no series means none were made; several series is a query that forgot sum(). */
export function sampleCount(result: QueryResult): number {
  if (result.samples.length === 0) return 0
  if (result.samples.length > 1) throw severalSeries(result)
  const value = result.samples[0].value
  return Number.isNaN(value) ? 0 : value
}

function severalSeries(result: QueryResult): PrometheusError {
  const shown = result.samples.slice(0, 3).map(
    s =>
      `{${Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ')}}`
  )
  return new PrometheusError(
    `the query gives ${result.samples.length} series, not one number (${shown.join(' ')}${result.samples.length > 3 ? ' …' : ''}): aggregate it, e.g. sum(...)`
  )
}
