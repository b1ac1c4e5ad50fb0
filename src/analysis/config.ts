/**
 * The `analysis` input (YAML) -> checks and limits. Every mistake is an InputProblem saying where
 * (`checks[2].rule`) and what was expected, so settings.ts can refuse the input by name before
 * anything is written. Accepted forms:
 *
 *   error-rate, p95-latency                  built-in checks by name, default rules
 *
 *   checks:
 *     - error-rate
 *     - name: p95-latency
 *       rule: <= stable * 1.3
 *     - name: checkout-errors                a custom check
 *       query: sum(rate(checkout_failed_total{ {{selector}} }[{{window}}]))
 *       samples: sum(increase(checkout_total{ {{selector}} }[{{window}}]))
 *       rule: <= 0.1
 *   min-samples: 20                          per side, per round (a check may set its own)
 *   window: 2m                               {{window}}; default: the larger of the interval and 5m
 *   failure-limit: 0                         failed rounds tolerated per check (Argo's failureLimit)
 *   consecutive-error-limit: 4               Prometheus errors in a row tolerated per check
 *   inconclusive-limit: 0                    inconclusive rounds tolerated before "inconclusive"
 *   metrics: { requests: http_requests_total, code-label: code, duration: http_request_duration_seconds }
 *   labels: { canary-deploy.dev/track: track }   pod label -> Prometheus label, where not the usual
 */
import { parse } from 'yaml'
import { InputProblem, duration } from '../validate.js'
import {
  BUILT_IN_CHECKS,
  DEFAULT_METRICS,
  builtInCheck,
  isBuiltIn,
  type Check,
  type CheckUnit,
  type MetricNames
} from './checks.js'
import { PLACEHOLDERS, unknownPlaceholders, usesSelector } from './promql.js'
import { parseRule, RuleSyntaxError, type Rule } from './rule.js'

export interface AnalysisLimits {
  /** Failed rounds of one check tolerated; one more fails the analysis (Argo's failureLimit). */
  failure: number
  /** Prometheus errors in a row for one check tolerated; one more fails the analysis. */
  consecutiveError: number
  /** Inconclusive rounds of one check tolerated; one more makes the analysis inconclusive. */
  inconclusive: number
}

export interface AnalysisConfig {
  checks: Check[]
  /** The {{window}} of rate() and increase(); undefined: windowFor(interval). */
  windowMs?: number
  limits: AnalysisLimits
  /** Pod label -> Prometheus label, where the scrape config does not map it the usual way. */
  labels: Record<string, string>
}

export const DEFAULT_MIN_SAMPLES = 20

/**
 * The default {{window}}: at least 5 minutes. rate() needs two samples in its range and is only
 * steady with four or more, so a range of one scrape interval (Prometheus' default 1m) would leave
 * most rounds with no value; a window of 4x the scrape interval or more is the rule of thumb.
 */
export const MIN_DEFAULT_WINDOW_MS = 5 * 60_000

/** The window of an analysis that names none: its interval, but never under 5 minutes. */
export function defaultWindow(intervalMs: number): number {
  return Math.max(intervalMs, MIN_DEFAULT_WINDOW_MS)
}
export const DEFAULT_LIMITS: AnalysisLimits = { failure: 0, consecutiveError: 4, inconclusive: 0 }

const TOP_KEYS = [
  'checks',
  'min-samples',
  'window',
  'failure-limit',
  'consecutive-error-limit',
  'inconclusive-limit',
  'metrics',
  'labels'
]
const CUSTOM_KEYS = ['name', 'query', 'samples', 'rule', 'unit', 'min-samples']
const BUILT_IN_KEYS = ['name', 'rule', 'min-samples']
const UNITS: CheckUnit[] = ['ratio', 'seconds', 'none']
const CHECK_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const POD_LABEL_KEY =
  /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/
const MAX_QUERY = 4000

type Doc = Record<string, unknown>

const isDoc = (value: unknown): value is Doc =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function problem(where: string, expected: string): InputProblem {
  return new InputProblem(where ? `${where}: ${expected}` : expected)
}

function onlyKeys(doc: Doc, known: string[], where: string): void {
  const unknown = Object.keys(doc).filter(key => !known.includes(key))
  if (unknown.length > 0) {
    throw problem(where, `known keys only (${known.join(', ')}), not ${unknown.join(', ')}`)
  }
}

function wholeNumber(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw problem(where, `a whole number from ${min} to ${max}`)
  }
  return value
}

function text(value: unknown, where: string, max = MAX_QUERY): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw problem(where, `text of 1 to ${max} characters`)
  }
  return value.trim()
}

function rule(value: unknown, where: string): Rule {
  const source = typeof value === 'number' ? `<= ${value}` : text(value, where, 500)
  try {
    return parseRule(source)
  } catch (error) {
    if (!(error instanceof RuleSyntaxError)) throw error
    throw problem(
      where,
      `a rule such as "<= 1%", "<= stable * 1.2" or "<= max(stable * 1.5, stable + 0.5%)" (${error.message})`
    )
  }
}

/** A PromQL template that selects its side (or release) with {{selector}}. */
export function queryTemplate(value: unknown, where: string): string {
  const query = text(value, where)
  const unknown = unknownPlaceholders(query)
  if (unknown.length > 0) {
    throw problem(
      where,
      `a PromQL template using only {{${PLACEHOLDERS.join('}}, {{')}}}, not {{${unknown.join('}}, {{')}}}`
    )
  }
  // Without the selector, canary and stable would run the very same query.
  if (!usesSelector(query)) {
    throw problem(where, 'a PromQL template that selects its series with {{selector}}')
  }
  return query
}

function metrics(value: unknown): MetricNames {
  if (value === undefined) return DEFAULT_METRICS
  if (!isDoc(value)) throw problem('metrics', 'a mapping of requests, code-label, duration')
  onlyKeys(value, ['requests', 'code-label', 'duration'], 'metrics')
  const name = (key: string, pattern: RegExp, fallback: string): string => {
    const given = value[key]
    if (given === undefined) return fallback
    if (typeof given !== 'string' || !pattern.test(given)) {
      throw problem(`metrics.${key}`, pattern === LABEL_NAME ? 'a label name' : 'a metric name')
    }
    return given
  }
  return {
    requests: name('requests', METRIC_NAME, DEFAULT_METRICS.requests),
    codeLabel: name('code-label', LABEL_NAME, DEFAULT_METRICS.codeLabel),
    duration: name('duration', METRIC_NAME, DEFAULT_METRICS.duration)
  }
}

function labels(value: unknown): Record<string, string> {
  if (value === undefined) return {}
  if (!isDoc(value)) throw problem('labels', 'a mapping of pod label -> Prometheus label name')
  for (const [key, name] of Object.entries(value)) {
    if (!POD_LABEL_KEY.test(key)) throw problem(`labels`, `pod label keys, not ${key}`)
    if (typeof name !== 'string' || !LABEL_NAME.test(name)) {
      throw problem(`labels.${key}`, 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)')
    }
  }
  return value as Record<string, string>
}

function check(entry: unknown, where: string, names: MetricNames, minSamples: number): Check {
  const doc: Doc = typeof entry === 'string' ? { name: entry } : isDoc(entry) ? entry : {}
  const name = doc.name
  if (typeof name !== 'string' || !CHECK_NAME.test(name)) {
    throw problem(
      `${where}.name`,
      `a check name (lowercase letters, digits, '-'): ${BUILT_IN_CHECKS.join(', ')} or your own`
    )
  }
  const own = doc['min-samples']
  const min = own === undefined ? minSamples : wholeNumber(own, `${where}.min-samples`, 0, 1e9)
  if (isBuiltIn(name)) {
    if ('query' in doc) {
      throw problem(where, `${name} is built in: give it a rule only, or your check another name`)
    }
    onlyKeys(doc, BUILT_IN_KEYS, where)
    return builtInCheck(name, {
      metrics: names,
      minSamples: min,
      rule: doc.rule === undefined ? undefined : rule(doc.rule, `${where}.rule`)
    })
  }
  if (!('query' in doc)) {
    throw problem(
      where,
      `a known check (${BUILT_IN_CHECKS.join(', ')}), or a custom one with query and rule: ${name} is neither`
    )
  }
  onlyKeys(doc, CUSTOM_KEYS, where)
  if (doc.rule === undefined) throw problem(`${where}.rule`, 'a rule (required by a custom check)')
  const unit = doc.unit ?? 'none'
  if (!UNITS.includes(unit as CheckUnit)) throw problem(`${where}.unit`, UNITS.join(', '))
  return {
    name,
    query: queryTemplate(doc.query, `${where}.query`),
    samples: doc.samples === undefined ? undefined : queryTemplate(doc.samples, `${where}.samples`),
    rule: rule(doc.rule, `${where}.rule`),
    minSamples: min,
    unit: unit as CheckUnit
  }
}

/** Parses the `analysis` input; throws an InputProblem naming the part at fault. */
export function parseAnalysisConfig(source: string): AnalysisConfig {
  let doc: unknown
  try {
    doc = parse(source, { maxAliasCount: 20, uniqueKeys: true })
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    throw problem('', `YAML (${first})`)
  }
  // `error-rate, p95-latency` and a bare list are shorthands for `checks:`.
  if (typeof doc === 'string') doc = { checks: doc.split(',').map(name => name.trim()) }
  if (Array.isArray(doc)) doc = { checks: doc }
  if (!isDoc(doc)) throw problem('', 'a mapping with checks:, a list of checks, or check names')
  onlyKeys(doc, TOP_KEYS, '')
  const minSamples =
    doc['min-samples'] === undefined
      ? DEFAULT_MIN_SAMPLES
      : wholeNumber(doc['min-samples'], 'min-samples', 0, 1e9)
  const names = metrics(doc.metrics)
  if (!Array.isArray(doc.checks) || doc.checks.length === 0 || doc.checks.length > 20) {
    throw problem('checks', 'a list of 1 to 20 checks')
  }
  const checks = doc.checks.map((entry, i) => check(entry, `checks[${i}]`, names, minSamples))
  const seen = new Set<string>()
  for (const c of checks) {
    if (seen.has(c.name)) throw problem('checks', `each check once, not ${c.name} twice`)
    seen.add(c.name)
  }
  const limit = (key: string, fallback: number): number =>
    doc[key] === undefined ? fallback : wholeNumber(doc[key], key, 0, 1000)
  let windowMs: number | undefined
  if (doc.window !== undefined) {
    try {
      windowMs = duration(String(doc.window), 1000, 24 * 3_600_000)
    } catch (error) {
      throw problem('window', error instanceof Error ? error.message : 'a duration')
    }
  }
  return {
    checks,
    windowMs,
    limits: {
      failure: limit('failure-limit', DEFAULT_LIMITS.failure),
      consecutiveError: limit('consecutive-error-limit', DEFAULT_LIMITS.consecutiveError),
      inconclusive: limit('inconclusive-limit', DEFAULT_LIMITS.inconclusive)
    },
    labels: labels(doc.labels)
  }
}

/** A Prometheus Service, reached through the API server's service proxy (the k8s layer builds the path). */
export interface PrometheusService {
  namespace: string
  name: string
  /** A port number or the Service's port name. */
  port: string
  scheme: 'http' | 'https'
}

/** Where Prometheus is: a URL the runner reaches, or a Service in the cluster. */
export type PrometheusLocation = { url: string } | { service: PrometheusService }

const SERVICE =
  /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?(?:(https?):)?([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/

/** `monitoring/prometheus-server:9090`, `monitoring/https:prometheus:web`; no namespace: `namespace`. */
export function parsePrometheusService(value: string, namespace: string): PrometheusService {
  const match = SERVICE.exec(value)
  const port = match?.[6] ?? ''
  const validPort = /^\d+$/.test(port)
    ? Number(port) >= 1 && Number(port) <= 65535
    : port.length <= 15 && /[a-z]/.test(port)
  if (!match || !validPort || (match[1] ?? '').length > 63 || match[4].length > 63) {
    throw new InputProblem(
      'a Service as NAMESPACE/NAME:PORT, e.g. monitoring/prometheus-server:9090 (https: before NAME for TLS; PORT a number or the port name)'
    )
  }
  return {
    namespace: match[1] ?? namespace,
    name: match[4],
    port,
    scheme: match[3] === 'https' ? 'https' : 'http'
  }
}
