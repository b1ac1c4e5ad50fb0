/**
 * Verdicts, pure: one check in one round from both sides' readings, and the whole analysis from its
 * rounds and limits. The field's complaints shaped every branch here: an empty result, NaN or too
 * few samples is "inconclusive" (never a pass, never a failure by itself); ±Inf is a value
 * (histogram_quantile beyond the highest bucket) but two infinities cannot be compared; a
 * Prometheus error is neither pass nor fail, and only a run of them ends the analysis.
 */
import type { Check } from './checks.js'
import type { AnalysisLimits } from './config.js'
import { formatSamples, formatValue } from './format.js'
import { ruleBound, satisfies } from './rule.js'
import type {
  AnalysisRound,
  AnalysisVerdict,
  CheckRound,
  CheckVerdict,
  SideReading
} from './types.js'

export interface Judgement {
  verdict: CheckVerdict
  reason: string
  bound?: number
}

export function judgeCheck(check: Check, canary: SideReading, stable: SideReading): Judgement {
  const show = (value: number | undefined): string => formatValue(value, check.unit)
  const sides = check.rule.relative
    ? ([
        ['canary', canary],
        ['stable', stable]
      ] as const)
    : ([['canary', canary]] as const)
  const broken = sides.find(([, reading]) => reading.error !== undefined)
  if (broken) return { verdict: 'error', reason: `${broken[0]}: ${broken[1].error}` }
  if (check.samples !== undefined) {
    const thin = sides.find(([, reading]) => (reading.samples ?? 0) < check.minSamples)
    if (thin) {
      return {
        verdict: 'inconclusive',
        reason: `${thin[0]} has ${formatSamples(thin[1].samples ?? 0)} samples, fewer than min-samples ${check.minSamples}`
      }
    }
  }
  const empty = sides.find(([, reading]) => reading.value === undefined)
  if (empty) {
    return {
      verdict: 'inconclusive',
      reason: `${empty[0]} has no value (${empty[1].note ?? 'empty result'})`
    }
  }
  const value = canary.value as number
  const bound = ruleBound(check.rule, stable.value)
  const against = check.rule.relative ? ` (stable ${show(stable.value)})` : ''
  if (Number.isNaN(bound)) {
    return {
      verdict: 'inconclusive',
      reason: `the rule gives no bound${against}: ${check.rule.text}`
    }
  }
  if (!Number.isFinite(value) && !Number.isFinite(bound)) {
    return {
      verdict: 'inconclusive',
      reason: `canary ${show(value)} and bound ${show(bound)}${against} cannot be compared`,
      bound
    }
  }
  const comparator = check.rule.comparator
  if (satisfies(value, comparator, bound)) {
    return {
      verdict: 'pass',
      reason: `canary ${show(value)} ${comparator} ${show(bound)}${against}`,
      bound
    }
  }
  return {
    verdict: 'fail',
    reason: `canary ${show(value)} is not ${comparator} ${show(bound)}${against}`,
    bound
  }
}

const SEVERITY: Record<CheckVerdict, number> = { pass: 0, inconclusive: 1, error: 2, fail: 3 }

/** A round is as bad as its worst check. */
export function roundVerdict(checks: CheckRound[]): CheckVerdict {
  return checks.reduce<CheckVerdict>(
    (worst, c) => (SEVERITY[c.verdict] > SEVERITY[worst] ? c.verdict : worst),
    'pass'
  )
}

export interface Conclusion {
  verdict: AnalysisVerdict
  reason: string
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * The analysis so far. `failed` as soon as one check exceeds its failure or consecutive-error
 * limit (the runner stops there); otherwise, once every round ran, `inconclusive` when a check was
 * inconclusive more often than tolerated or never measured at all, else `passed`.
 */
export function conclude(rounds: AnalysisRound[], limits: AnalysisLimits): Conclusion {
  const names = [...new Set(rounds.flatMap(r => r.checks.map(c => c.check)))]
  const history = (name: string): CheckRound[] =>
    rounds.flatMap(r => r.checks.filter(c => c.check === name))

  for (const name of names) {
    const results = history(name)
    const failures = results.filter(c => c.verdict === 'fail')
    if (failures.length > limits.failure) {
      const last = failures[failures.length - 1]
      return {
        verdict: 'failed',
        reason: `${name} failed ${plural(failures.length, 'round')} (failure-limit ${limits.failure}): ${last.reason} [${last.rule}]`
      }
    }
    let streak = 0
    for (const c of results) streak = c.verdict === 'error' ? streak + 1 : 0
    if (streak > limits.consecutiveError) {
      return {
        verdict: 'failed',
        reason: `${name}: ${plural(streak, 'Prometheus error')} in a row (consecutive-error-limit ${limits.consecutiveError}): ${results[results.length - 1].reason}`
      }
    }
  }
  for (const name of names) {
    const results = history(name)
    const inconclusive = results.filter(c => c.verdict === 'inconclusive')
    if (inconclusive.length > limits.inconclusive) {
      return {
        verdict: 'inconclusive',
        reason: `${name} was inconclusive in ${inconclusive.length} of ${plural(results.length, 'round')} (inconclusive-limit ${limits.inconclusive}): ${inconclusive[inconclusive.length - 1].reason}`
      }
    }
    if (!results.some(c => c.verdict === 'pass')) {
      const last = results[results.length - 1]
      return {
        verdict: 'inconclusive',
        reason: `${name} never passed a round${last ? `: ${last.reason}` : ''}`
      }
    }
  }
  if (names.length === 0) return { verdict: 'inconclusive', reason: 'no round ran' }
  const tally = names.map(name => {
    const results = history(name)
    return `${name} ${results.filter(c => c.verdict === 'pass').length}/${results.length}`
  })
  return { verdict: 'passed', reason: `every check passed (rounds passed: ${tally.join(', ')})` }
}
