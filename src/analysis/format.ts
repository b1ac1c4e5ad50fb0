/** Values as a person reads them in a log line or a summary table: 0.52%, 4.75 ms, 1.2 s, 1,204. */
import type { CheckUnit } from './checks.js'

export function formatValue(value: number | undefined, unit: CheckUnit): string {
  if (value === undefined) return '–'
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf'
  if (unit === 'ratio') return `${significant(value * 100)}%`
  if (unit === 'seconds') {
    return Math.abs(value) < 1 ? `${significant(value * 1000)} ms` : `${significant(value)} s`
  }
  return significant(value)
}

/** Three significant digits, no exponent for everyday magnitudes, thousands separated. */
function significant(value: number): string {
  if (value === 0) return '0'
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US')
  if (Math.abs(value) < 0.001) return value.toExponential(2)
  return String(Number(value.toPrecision(3)))
}

/** Sample counts are whole observations; increase() extrapolates, so round them for reading. */
export function formatSamples(samples: number | undefined): string {
  if (samples === undefined) return '–'
  if (!Number.isFinite(samples)) return String(samples)
  return Math.round(samples).toLocaleString('en-US')
}
