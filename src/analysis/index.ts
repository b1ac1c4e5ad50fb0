/**
 * Metric analysis of a canary and drain measurement of rainbow releases (issue 15). What commands
 * call: parseAnalysisConfig (settings), runAnalysis, measureLoadByQuery / measureLoadByPods and
 * decideDrain; the transport to Prometheus comes from outside (a URL, or the k8s layer's service
 * proxy).
 */
export { BUILT_IN_CHECKS, DEFAULT_METRICS, DEFAULT_RULES, type Check } from './checks.js'
export {
  DEFAULT_LIMITS,
  DEFAULT_MIN_SAMPLES,
  parseAnalysisConfig,
  type AnalysisConfig,
  type AnalysisLimits
} from './config.js'
export {
  decideDrain,
  measureLoadByPods,
  measureLoadByQuery,
  type DrainCandidate,
  type DrainDecision,
  type LoadReading,
  type PodEndpoint
} from './drain.js'
export { formatSamples, formatValue } from './format.js'
export {
  PrometheusClient,
  PrometheusError,
  urlTransport,
  type PrometheusRequest,
  type PrometheusResponse,
  type PrometheusTransport
} from './prometheus.js'
export { podMatchers, prometheusLabelName, type Matchers } from './promql.js'
export { runAnalysis, type AnalysisPlan, type AnalysisSides } from './run.js'
export type {
  AnalysisResult,
  AnalysisRound,
  AnalysisVerdict,
  CheckRound,
  CheckVerdict,
  SideReading
} from './types.js'
