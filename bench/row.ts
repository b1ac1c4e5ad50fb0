/** One figure of `npm run bench`, as written to bench/results.json. */
export interface Row {
  name: string
  value: number | null
  unit: string
  /** The target, or why the row was skipped. */
  target: string
  /** null: no target, or skipped. */
  met: boolean | null
}

export function median(values: number[]): number {
  return percentile(values, 50)
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
