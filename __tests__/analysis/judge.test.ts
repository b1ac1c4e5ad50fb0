import { builtInCheck, DEFAULT_METRICS, type Check } from '../../src/analysis/checks.js'
import { DEFAULT_LIMITS } from '../../src/analysis/config.js'
import { conclude, judgeCheck, roundVerdict } from '../../src/analysis/judge.js'
import { parseRule } from '../../src/analysis/rule.js'
import type {
  AnalysisRound,
  CheckRound,
  CheckVerdict,
  SideReading
} from '../../src/analysis/types.js'

const errorRate = builtInCheck('error-rate', { metrics: DEFAULT_METRICS, minSamples: 20 })
const latency = builtInCheck('p95-latency', { metrics: DEFAULT_METRICS, minSamples: 20 })
const absolute: Check = { ...latency, rule: parseRule('<= 300ms') }

const side = (value: number | undefined, samples = 100, note?: string): SideReading => ({
  query: 'q',
  samplesQuery: 's',
  ...(value === undefined ? {} : { value }),
  samples,
  ...(note ? { note } : {})
})

describe('judgeCheck', () => {
  it('passes a canary within the bound relative to stable', () => {
    const judgement = judgeCheck(errorRate, side(0.001), side(0))

    expect(judgement).toMatchObject({ verdict: 'pass', bound: 0.005 })
    expect(judgement.reason).toBe('canary 0.1% <= 0.5% (stable 0%)')
  })

  it('fails a canary beyond the bound, naming both values', () => {
    const judgement = judgeCheck(latency, side(0.49), side(0.005))

    expect(judgement.verdict).toBe('fail')
    expect(judgement.reason).toBe('canary 490 ms is not <= 6 ms (stable 5 ms)')
  })

  it('is inconclusive when the canary has fewer samples than the minimum', () => {
    const judgement = judgeCheck(errorRate, side(0.9, 3), side(0))

    expect(judgement.verdict).toBe('inconclusive')
    expect(judgement.reason).toBe('canary has 3 samples, fewer than min-samples 20')
  })

  it('is inconclusive when stable has fewer samples and the rule needs stable', () => {
    expect(judgeCheck(errorRate, side(0), side(0, 0)).verdict).toBe('inconclusive')
  })

  it('judges an absolute rule on the canary alone', () => {
    expect(judgeCheck(absolute, side(0.1), side(undefined, 0)).verdict).toBe('pass')
  })

  it('is inconclusive, never a pass, when a side has no value', () => {
    const judgement = judgeCheck(errorRate, side(undefined, 100, 'NaN, e.g. 0/0'), side(0))

    expect(judgement).toEqual({
      verdict: 'inconclusive',
      reason: 'canary has no value (NaN, e.g. 0/0)'
    })
  })

  it('fails an infinite canary latency against a finite bound', () => {
    expect(judgeCheck(latency, side(Infinity), side(0.005)).verdict).toBe('fail')
  })

  it('is inconclusive when canary and bound are both infinite', () => {
    const judgement = judgeCheck(latency, side(Infinity), side(Infinity))

    expect(judgement.verdict).toBe('inconclusive')
    expect(judgement.reason).toContain('cannot be compared')
  })

  it('reports a Prometheus error as an error, not a failure', () => {
    const judgement = judgeCheck(errorRate, { query: 'q', error: 'HTTP 503' }, side(0))

    expect(judgement).toEqual({ verdict: 'error', reason: 'canary: HTTP 503' })
  })

  it('judges a custom check without a samples query by its value alone', () => {
    const custom: Check = { ...absolute, samples: undefined }

    expect(judgeCheck(custom, { query: 'q', value: 0.1 }, { query: 'q' }).verdict).toBe('pass')
  })
})

function round(n: number, ...verdicts: [string, CheckVerdict][]): AnalysisRound {
  const checks = verdicts.map(([check, verdict]): CheckRound => ({
    check,
    unit: 'none',
    rule: 'canary <= 1',
    minSamples: 0,
    canary: { query: 'q' },
    stable: { query: 'q' },
    verdict,
    reason: `${verdict} in round ${n}`
  }))
  return { round: n, at: '', verdict: roundVerdict(checks), checks }
}

describe('roundVerdict', () => {
  it('is the worst of the checks: fail, error, inconclusive, pass', () => {
    expect(round(1, ['a', 'pass'], ['b', 'inconclusive']).verdict).toBe('inconclusive')
    expect(round(1, ['a', 'error'], ['b', 'inconclusive']).verdict).toBe('error')
    expect(round(1, ['a', 'error'], ['b', 'fail']).verdict).toBe('fail')
  })
})

describe('conclude', () => {
  it('passes when every check passed every round', () => {
    const result = conclude([round(1, ['a', 'pass']), round(2, ['a', 'pass'])], DEFAULT_LIMITS)

    expect(result).toEqual({
      verdict: 'passed',
      reason: 'every check passed (rounds passed: a 2/2)'
    })
  })

  it('fails on the first failure with failure-limit 0, with the round reason', () => {
    const result = conclude([round(1, ['a', 'pass'], ['b', 'fail'])], DEFAULT_LIMITS)

    expect(result.verdict).toBe('failed')
    expect(result.reason).toBe('b failed 1 round (failure-limit 0): fail in round 1 [canary <= 1]')
  })

  it('tolerates failures up to the failure limit', () => {
    const rounds = [round(1, ['a', 'fail']), round(2, ['a', 'pass'])]

    expect(conclude(rounds, { ...DEFAULT_LIMITS, failure: 1 }).verdict).toBe('passed')
  })

  it('fails after more consecutive Prometheus errors than the limit', () => {
    const rounds = [1, 2, 3].map(n => round(n, ['a', 'error']))

    expect(conclude(rounds, { ...DEFAULT_LIMITS, consecutiveError: 2 })).toMatchObject({
      verdict: 'failed',
      reason: 'a: 3 Prometheus errors in a row (consecutive-error-limit 2): error in round 3'
    })
  })

  it('does not count errors separated by a measured round as consecutive', () => {
    const rounds = [round(1, ['a', 'error']), round(2, ['a', 'pass']), round(3, ['a', 'error'])]

    expect(conclude(rounds, { ...DEFAULT_LIMITS, consecutiveError: 1 }).verdict).toBe('passed')
  })

  it('is inconclusive, never passed, when every round was inconclusive', () => {
    const rounds = [round(1, ['a', 'inconclusive']), round(2, ['a', 'inconclusive'])]

    expect(conclude(rounds, { ...DEFAULT_LIMITS, inconclusive: 5 })).toMatchObject({
      verdict: 'inconclusive',
      reason: 'a never passed a round: inconclusive in round 2'
    })
  })

  it('is inconclusive when inconclusive rounds exceed the limit, even with passes', () => {
    const rounds = [round(1, ['a', 'inconclusive']), round(2, ['a', 'pass'])]

    expect(conclude(rounds, DEFAULT_LIMITS).verdict).toBe('inconclusive')
  })

  it('is never failed by inconclusive rounds alone', () => {
    const rounds = [1, 2, 3, 4, 5, 6].map(n => round(n, ['a', 'inconclusive']))

    expect(conclude(rounds, DEFAULT_LIMITS).verdict).toBe('inconclusive')
  })

  it('is inconclusive when errors below the limit left a check never measured', () => {
    expect(conclude([round(1, ['a', 'error'])], DEFAULT_LIMITS).verdict).toBe('inconclusive')
  })
})
