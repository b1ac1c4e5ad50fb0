/**
 * What a check is, and the two built in. A check is a PromQL template giving one number per side,
 * an optional template counting the observations behind that number (the samples), and a rule.
 *
 * The built-in checks read the metric names most HTTP instrumentation exposes (Prometheus client
 * libraries' conventions, and examples/app):
 *
 *   error-rate   share of requests answered 5xx, from the counter `http_requests_total` and its
 *                status label `code`; samples: requests in the window
 *   p95-latency  95th percentile of the histogram `http_request_duration_seconds` (its `_bucket`
 *                and `_count` series); samples: requests in the window
 *
 * Both names and the status label can be changed (`metrics:` in the analysis input).
 */
import { parseRule, type Rule } from './rule.js'

export type CheckUnit = 'ratio' | 'seconds' | 'none'

export interface Check {
  name: string
  /** PromQL template giving one number per side (see promql.ts for the placeholders). */
  query: string
  /** PromQL template counting the observations behind the value; none: the value's presence is all. */
  samples?: string
  rule: Rule
  /** Fewer samples than this on a side the rule needs makes the round inconclusive. */
  minSamples: number
  unit: CheckUnit
}

export interface MetricNames {
  /** Counter of requests, labelled with the status code. */
  requests: string
  /** The label holding the status code on `requests`. */
  codeLabel: string
  /** Histogram of request durations in seconds (without _bucket/_count). */
  duration: string
}

export const DEFAULT_METRICS: MetricNames = {
  requests: 'http_requests_total',
  codeLabel: 'code',
  duration: 'http_request_duration_seconds'
}

export const BUILT_IN_CHECKS = ['error-rate', 'p95-latency'] as const
export type BuiltInCheck = (typeof BUILT_IN_CHECKS)[number]

/** Rules the built-ins use unless given one: stable's own level, with room for noise. */
export const DEFAULT_RULES: Record<BuiltInCheck, string> = {
  // 1.5 x stable, and at least half a percentage point more, so a stable at 0% errors does not
  // make a single failed request fail the canary.
  'error-rate': '<= max(stable * 1.5, stable + 0.5%)',
  'p95-latency': '<= stable * 1.2'
}

export function isBuiltIn(name: string): name is BuiltInCheck {
  return (BUILT_IN_CHECKS as readonly string[]).includes(name)
}

export function builtInCheck(
  name: BuiltInCheck,
  opts: { metrics: MetricNames; minSamples: number; rule?: Rule }
): Check {
  const { requests, codeLabel, duration } = opts.metrics
  const rule = opts.rule ?? parseRule(DEFAULT_RULES[name])
  if (name === 'error-rate') {
    return {
      name,
      // No 5xx series at all is 0 errors, not "no value": `or vector(0)` keeps the numerator;
      // no request at all stays empty (and NaN for 0/0): that is no value, judged inconclusive.
      query:
        `(sum(rate(${requests}{ {{selector}}, ${codeLabel}=~"5.." }[{{window}}])) or vector(0))` +
        ` / sum(rate(${requests}{ {{selector}} }[{{window}}]))`,
      samples: `sum(increase(${requests}{ {{selector}} }[{{window}}]))`,
      rule,
      minSamples: opts.minSamples,
      unit: 'ratio'
    }
  }
  return {
    name,
    query: `histogram_quantile(0.95, sum by (le) (rate(${duration}_bucket{ {{selector}} }[{{window}}])))`,
    samples: `sum(increase(${duration}_count{ {{selector}} }[{{window}}]))`,
    rule,
    minSamples: opts.minSamples,
    unit: 'seconds'
  }
}
