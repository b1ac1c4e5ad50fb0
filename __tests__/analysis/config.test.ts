import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { DEFAULT_LIMITS, parseAnalysisConfig } from '../../src/analysis/config.js'
import { InputProblem } from '../../src/validate.js'

function refusal(source: string): string {
  try {
    parseAnalysisConfig(source)
  } catch (error) {
    if (error instanceof InputProblem) return error.message
    throw error
  }
  throw new Error('expected the analysis input to be refused')
}

describe('parseAnalysisConfig', () => {
  it('takes built-in check names, comma separated, with their default rules', () => {
    const config = parseAnalysisConfig('error-rate, p95-latency')

    expect(config.checks.map(c => [c.name, c.rule.text])).toEqual([
      ['error-rate', 'canary <= max(stable * 1.5, stable + 0.5%)'],
      ['p95-latency', 'canary <= stable * 1.2']
    ])
    expect(config.limits).toEqual(DEFAULT_LIMITS)
  })

  it('takes a bare YAML list of checks', () => {
    expect(parseAnalysisConfig('- p95-latency').checks.map(c => c.name)).toEqual(['p95-latency'])
  })

  it('gives a built-in check the rule and minimum samples given', () => {
    const config = parseAnalysisConfig(
      'checks:\n  - name: p95-latency\n    rule: <= stable * 1.3\n    min-samples: 5\nmin-samples: 40'
    )

    expect(config.checks[0]).toMatchObject({
      rule: { text: 'canary <= stable * 1.3' },
      minSamples: 5
    })
  })

  it('builds the built-in queries from the metric names given', () => {
    const config = parseAnalysisConfig(
      'checks: [error-rate, p95-latency]\nmetrics: { requests: http_server_requests_total, code-label: status, duration: http_server_duration_seconds }'
    )

    expect(config.checks[0].query).toContain(
      'http_server_requests_total{ {{selector}}, status=~"5.." }'
    )
    expect(config.checks[1].query).toContain('http_server_duration_seconds_bucket{ {{selector}} }')
  })

  it('reads a custom check: query, samples, rule, unit', () => {
    const config = parseAnalysisConfig(`
checks:
  - name: checkout-errors
    query: sum(rate(checkout_failed_total{ {{selector}} }[{{window}}]))
    samples: sum(increase(checkout_total{ {{selector}} }[{{window}}]))
    rule: <= 0.1
    unit: ratio
window: 2m
failure-limit: 1
consecutive-error-limit: 2
inconclusive-limit: 3
labels: { canary-deploy.dev/track: track }
`)

    expect(config.checks[0]).toMatchObject({
      name: 'checkout-errors',
      samples: 'sum(increase(checkout_total{ {{selector}} }[{{window}}]))',
      rule: { relative: false },
      unit: 'ratio'
    })
    expect(config.windowMs).toBe(120_000)
    expect(config.limits).toEqual({ failure: 1, consecutiveError: 2, inconclusive: 3 })
    expect(config.labels).toEqual({ 'canary-deploy.dev/track': 'track' })
  })

  it("reads the README's example as written", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const block = /```yaml\n(analysis: \|[\s\S]*?)```/.exec(readme)?.[1] ?? ''
    const config = parseAnalysisConfig(String((parse(block) as { analysis?: unknown }).analysis))

    expect(config.checks.map(c => [c.name, c.rule.text])).toEqual([
      ['error-rate', 'canary <= max(stable * 1.5, stable + 0.5%)'],
      ['p95-latency', 'canary <= max(stable * 1.2, stable + 50ms)'],
      ['checkout-failures', 'canary <= 0.1']
    ])
    expect(config.labels).toEqual({ 'canary-deploy.dev/track': 'track' })
  })

  it.each([
    ['error-rate, latency', 'checks[1]: a known check (error-rate, p95-latency), or a custom one'],
    ['checks:\n  - name: p95-latency\n    rule: <= stable ** 2', 'checks[0].rule: a rule such as'],
    [
      'checks:\n  - name: x\n    query: sum(up)\n    rule: <= 1',
      'checks[0].query: a PromQL template that selects its series with {{selector}}'
    ],
    [
      'checks:\n  - name: x\n    query: sum(up{ {{selector}} }[{{interval}}])\n    rule: <= 1',
      'not {{interval}}'
    ],
    [
      'checks:\n  - name: x\n    query: sum(up{ {{selector}} })',
      'checks[0].rule: a rule (required'
    ],
    ['checks:\n  - name: error-rate\n    query: sum(up{ {{selector}} })', 'error-rate is built in'],
    ['checks: [error-rate, error-rate]', 'not error-rate twice'],
    ['checks: [error-rate]\nfailure_limit: 1', 'known keys only'],
    ['checks: [error-rate]\nwindow: 5 minutes', 'window: a duration'],
    ['checks: []', 'checks: a list of 1 to 20 checks'],
    ['checks: [error-rate]\nmin-samples: -1', 'min-samples: a whole number'],
    [
      'checks: [error-rate]\nlabels: { track: "not a label" }',
      'labels.track: a Prometheus label name'
    ],
    ['checks: [error-rate\n', 'YAML']
  ])('refuses %j, saying %s', (source, message) => {
    expect(refusal(source)).toContain(message)
  })
})
