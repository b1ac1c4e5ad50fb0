import type { AnalysisResult, CheckRound } from '../../src/analysis/types.js'
import { analysisSection, roundLine } from '../../src/analysis/summary.js'
import { newReport, renderMarkdown } from '../../src/github/report.js'

const LIMITS = { failure: 0, consecutiveError: 4, inconclusive: 0 }

function latency(overrides: Partial<CheckRound> = {}): CheckRound {
  return {
    check: 'p95-latency',
    unit: 'seconds',
    rule: 'canary <= stable * 1.2',
    minSamples: 20,
    bound: 0.0057,
    canary: {
      query: 'histogram_quantile(0.95, sum by (le) (rate(d_bucket{ track="canary" }[1m])))',
      samplesQuery: 'sum(increase(d_count{ track="canary" }[1m]))',
      value: 0.49,
      samples: 81.4
    },
    stable: {
      query: 'histogram_quantile(0.95, sum by (le) (rate(d_bucket{ track="stable" }[1m])))',
      samplesQuery: 'sum(increase(d_count{ track="stable" }[1m]))',
      value: 0.00475,
      samples: 1204
    },
    verdict: 'fail',
    reason: 'canary 490 ms is not <= 5.7 ms (stable 4.75 ms)',
    ...overrides
  }
}

const failed: AnalysisResult = {
  verdict: 'failed',
  reason: 'p95-latency failed 1 round (failure-limit 0): canary 490 ms is not <= 5.7 ms',
  plannedRounds: 5,
  limits: LIMITS,
  rounds: [{ round: 1, at: '2026-12-04T10:00:05.123Z', verdict: 'fail', checks: [latency()] }]
}

describe('analysisSection', () => {
  it('opens with the verdict, its reason, and how many rounds ran under which limits', () => {
    const { body } = analysisSection(failed)

    expect(body.split('\n').slice(0, 3)).toEqual([
      '**❌ failed**: p95-latency failed 1 round (failure-limit 0): canary 490 ms is not <= 5.7 ms',
      '',
      '1 of 5 rounds ran; failure-limit 0, consecutive-error-limit 4, inconclusive-limit 0.'
    ])
  })

  it('gives each round of each check both values with samples, the rule with its bound, and the verdict', () => {
    const { body } = analysisSection(failed)

    expect(body).toContain(
      '| 1 (10:00:05Z) | p95-latency | 490 ms (81 samples) | 4.75 ms (1,204 samples) | `canary <= stable * 1.2` (bound 5.7 ms) | ❌ fail: canary 490 ms is not <= 5.7 ms (stable 4.75 ms) |'
    )
  })

  it('lists every query as sent, per check and side', () => {
    const { body } = analysisSection(failed)

    expect(body).toContain(
      '| p95-latency | canary | `histogram_quantile(0.95, sum by (le) (rate(d_bucket{ track="canary" }[1m])))` | `sum(increase(d_count{ track="canary" }[1m]))` |'
    )
    expect(body).toContain('| p95-latency | stable |')
  })

  it('shows why a side has no value, and a Prometheus error as such', () => {
    const round = latency({
      canary: {
        query: 'q',
        samplesQuery: 's',
        samples: 0,
        note: 'empty result: no series matched'
      },
      stable: { query: 'q', error: 'prometheus-url could not be reached: ECONNREFUSED' },
      bound: undefined,
      verdict: 'error',
      reason: 'stable: prometheus-url could not be reached: ECONNREFUSED'
    })
    const { body } = analysisSection({
      ...failed,
      rounds: [{ ...failed.rounds[0], checks: [round] }]
    })

    expect(body).toContain(
      '| – (0 samples) – empty result: no series matched | ⚠️ prometheus-url could not be reached: ECONNREFUSED | `canary <= stable * 1.2` | ⚠️ error:'
    )
  })

  it('keeps a query with | and backticks inside its table cell', () => {
    const query = 'sum(rate(x{ code=~`5..|429` }[1m]))'
    const round = latency({ canary: { query, value: 1 } })
    const { body } = analysisSection({
      ...failed,
      rounds: [{ ...failed.rounds[0], checks: [round] }]
    })

    expect(body).toContain(
      '| p95-latency | canary | `` sum(rate(x{ code=~`5..\\|429` }[1m])) `` | – |'
    )
  })

  it('renders as a section of the summary', () => {
    const report = newReport('deploy', 'Deploy shop')
    report.sections.push(analysisSection(failed))

    expect(renderMarkdown(report)).toContain('### Metric analysis\n\n**❌ failed**')
  })
})

describe('roundLine', () => {
  it('gives one log line per round: each check with its verdict and why', () => {
    expect(roundLine(failed.rounds[0], 5)).toBe(
      'round 1/5: p95-latency fail: canary 490 ms is not <= 5.7 ms (stable 4.75 ms)'
    )
  })
})
