/**
 * Runs the analysis: every interval, each check's query (and samples query) for the canary and for
 * stable, both evaluated at the same instant; each round judged; stopped at the first round that
 * exceeds a failure or consecutive-error limit. Every reading is kept in the result.
 */
import { setTimeout as sleepFor } from 'node:timers/promises'
import type { Check } from './checks.js'
import type { AnalysisLimits } from './config.js'
import { conclude, judgeCheck, roundVerdict } from './judge.js'
import { PrometheusError, type PrometheusClient } from './prometheus.js'
import { renderTemplate, type Matchers } from './promql.js'
import { oneValue, sampleCount } from './query-value.js'
import type { AnalysisResult, AnalysisRound, CheckRound, SideReading } from './types.js'

export interface AnalysisPlan {
  checks: Check[]
  rounds: number
  /** Wait before each round, so each window holds traffic the canary served since the last. */
  intervalMs: number
  /** {{window}}: the range of rate() and increase(). */
  windowMs: number
  limits: AnalysisLimits
}

/** The label matchers of each side's series (see promql.ts podMatchers). */
export interface AnalysisSides {
  canary: Matchers
  stable: Matchers
}

export interface RunOptions {
  signal?: AbortSignal
  /** ms since the epoch; the instant each round is evaluated at. */
  now?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Called after each round, e.g. to log it as it happens. */
  onRound?: (round: AnalysisRound) => void
}

export async function runAnalysis(
  client: PrometheusClient,
  plan: AnalysisPlan,
  sides: AnalysisSides,
  opts: RunOptions = {}
): Promise<AnalysisResult> {
  const now = opts.now ?? Date.now
  // Cancelled: end with the canceller's reason, as every other wait of a command does.
  const sleep =
    opts.sleep ??
    ((ms, signal) =>
      sleepFor(ms, undefined, { signal }).catch((error: unknown) => {
        throw signal?.aborted ? signal.reason : error
      }))
  const rounds: AnalysisRound[] = []
  for (let round = 1; round <= plan.rounds; round++) {
    await sleep(plan.intervalMs, opts.signal)
    const at = now()
    const checks = await Promise.all(
      plan.checks.map(check => measureCheck(client, check, sides, plan.windowMs, at, opts.signal))
    )
    const result: AnalysisRound = {
      round,
      at: new Date(at).toISOString(),
      verdict: roundVerdict(checks),
      checks
    }
    rounds.push(result)
    opts.onRound?.(result)
    if (conclude(rounds, plan.limits).verdict === 'failed') break
  }
  return {
    ...conclude(rounds, plan.limits),
    rounds,
    plannedRounds: plan.rounds,
    limits: plan.limits
  }
}

/** One check, one round: both sides read at `atMs`, then judged. */
export async function measureCheck(
  client: PrometheusClient,
  check: Check,
  sides: AnalysisSides,
  windowMs: number,
  atMs: number,
  signal?: AbortSignal
): Promise<CheckRound> {
  const read = (side: 'canary' | 'stable'): Promise<SideReading> =>
    readSide(client, check, { matchers: sides[side], windowMs, side }, atMs / 1000, signal)
  const [canary, stable] = await Promise.all([read('canary'), read('stable')])
  const judgement = judgeCheck(check, canary, stable)
  return {
    check: check.name,
    unit: check.unit,
    rule: check.rule.text,
    minSamples: check.minSamples,
    ...(judgement.bound === undefined ? {} : { bound: judgement.bound }),
    canary,
    stable,
    verdict: judgement.verdict,
    reason: judgement.reason
  }
}

async function readSide(
  client: PrometheusClient,
  check: Check,
  values: { matchers: Matchers; windowMs: number; side: 'canary' | 'stable' },
  timeSeconds: number,
  signal?: AbortSignal
): Promise<SideReading> {
  const query = renderTemplate(check.query, values)
  const samplesQuery = check.samples ? renderTemplate(check.samples, values) : undefined
  const reading: SideReading = { query, ...(samplesQuery ? { samplesQuery } : {}) }
  const [value, samples] = await Promise.allSettled([
    client.query(query, timeSeconds, signal),
    samplesQuery ? client.query(samplesQuery, timeSeconds, signal) : Promise.resolve(undefined)
  ])
  // Cancellation is not a Prometheus error: it ends the analysis, as it ends everything else.
  if (signal?.aborted) throw signal.reason
  try {
    if (value.status === 'rejected') throw value.reason
    Object.assign(reading, oneValue(value.value))
    if (samples.status === 'rejected') throw samples.reason
    if (samples.value) reading.samples = sampleCount(samples.value)
  } catch (error) {
    if (!(error instanceof PrometheusError)) throw error
    reading.error = error.message
  }
  return reading
}
