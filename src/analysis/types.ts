/**
 * The record of an analysis: every query of every round, both sides' values and samples, the rule,
 * the bound it gave and the verdict with its reason. It is what deploy logs, what the summary shows
 * and what promote reads back, so nothing about a verdict is left implicit.
 */
import type { CheckUnit } from './checks.js'
import type { AnalysisLimits } from './config.js'

/** One check, one round. `error`: Prometheus could not answer (or answered something unusable). */
export type CheckVerdict = 'pass' | 'fail' | 'inconclusive' | 'error'

/** The whole analysis. Inconclusive is never a pass and never a failure by itself. */
export type AnalysisVerdict = 'passed' | 'failed' | 'inconclusive'

export interface SideReading {
  /** The query as sent, placeholders filled in. */
  query: string
  /** Undefined: no value (an empty result, or NaN). ±Infinity is a value. */
  value?: number
  samplesQuery?: string
  /** Observations behind the value; undefined when the check has no samples query. */
  samples?: number
  /** Why there is no value, or what Prometheus warned about. */
  note?: string
  /** Prometheus failed, or answered what one number cannot be read from (several series). */
  error?: string
}

export interface CheckRound {
  check: string
  unit: CheckUnit
  /** Normalised rule text, e.g. `canary <= stable * 1.2`. */
  rule: string
  minSamples: number
  /** What the canary's value was compared with, when it could be worked out. */
  bound?: number
  canary: SideReading
  stable: SideReading
  verdict: CheckVerdict
  reason: string
}

export interface AnalysisRound {
  /** 1-based. */
  round: number
  /** When the queries were evaluated (ISO 8601): both sides at the same instant. */
  at: string
  /** The worst of its checks: fail, then error, then inconclusive, then pass. */
  verdict: CheckVerdict
  checks: CheckRound[]
}

export interface AnalysisResult {
  verdict: AnalysisVerdict
  reason: string
  rounds: AnalysisRound[]
  /** Rounds asked for; fewer ran when a limit ended the analysis early. */
  plannedRounds: number
  limits: AnalysisLimits
}
