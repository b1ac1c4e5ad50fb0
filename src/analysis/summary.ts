/**
 * The analysis as a section of the command's summary: every round's checks with both sides'
 * values and samples, the rule with the bound it gave, the verdict with its reason, and each query
 * as sent. The field's complaint was values and thresholds nobody could see: here nothing is left out.
 * Each round also has one log line, written as it ends.
 */
import { markdownTable, type ReportSection } from '../github/report.js'
import { formatSamples, formatValue } from './format.js'
import type {
  AnalysisResult,
  AnalysisRound,
  AnalysisVerdict,
  CheckRound,
  CheckVerdict,
  SideReading
} from './types.js'

const ANALYSIS_VERDICT: Record<AnalysisVerdict, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  inconclusive: '❔ inconclusive'
}

const CHECK_VERDICT: Record<CheckVerdict, string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  inconclusive: '❔ inconclusive',
  error: '⚠️ error'
}

/** Inline code that no backtick inside it can end early (PromQL has raw strings in backticks). */
function inlineCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(longest + 1)
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`
}

/** One side's cell: its value and samples, or why it has none. */
function readingCell(reading: SideReading, check: CheckRound): string {
  if (reading.error !== undefined) return `⚠️ ${reading.error}`
  const samples =
    reading.samples === undefined ? '' : ` (${formatSamples(reading.samples)} samples)`
  const note = reading.note ? ` – ${reading.note}` : ''
  return `${formatValue(reading.value, check.unit)}${samples}${note}`
}

/** The analysis as a summary section, opening with its verdict and the limits it ran under. */
export function analysisSection(result: AnalysisResult, title = 'Metric analysis'): ReportSection {
  const { limits } = result
  const rows = result.rounds.flatMap(round =>
    round.checks.map(c => [
      `${round.round} (${round.at.slice(11, 19)}Z)`,
      c.check,
      readingCell(c.canary, c),
      readingCell(c.stable, c),
      `${inlineCode(c.rule)}${c.bound === undefined ? '' : ` (bound ${formatValue(c.bound, c.unit)})`}`,
      `${CHECK_VERDICT[c.verdict]}: ${c.reason}`
    ])
  )
  const queries = new Map<string, [string, string, string, string]>()
  for (const c of result.rounds.flatMap(round => round.checks)) {
    for (const [side, reading] of [
      ['canary', c.canary],
      ['stable', c.stable]
    ] as const) {
      queries.set(`${c.check}/${side}`, [
        c.check,
        side,
        inlineCode(reading.query),
        reading.samplesQuery ? inlineCode(reading.samplesQuery) : '–'
      ])
    }
  }
  const ran = result.rounds.length
  const body = [
    `**${ANALYSIS_VERDICT[result.verdict]}**: ${result.reason}`,
    '',
    `${ran} of ${result.plannedRounds} rounds ran; failure-limit ${limits.failure}, ` +
      `consecutive-error-limit ${limits.consecutiveError}, inconclusive-limit ${limits.inconclusive}.`,
    '',
    markdownTable(['Round', 'Check', 'Canary', 'Stable', 'Rule', 'Verdict'], rows),
    '',
    '**Queries**',
    '',
    markdownTable(['Check', 'Side', 'Value query', 'Samples query'], [...queries.values()])
  ]
  return { title, body: body.join('\n') }
}

/** `round 1/5: error-rate pass: canary 0.2% <= 0.6% (stable 0.1%); p95-latency ...`: for the log. */
export function roundLine(round: AnalysisRound, planned: number): string {
  const checks = round.checks.map(c => `${c.check} ${c.verdict}: ${c.reason}`)
  return `round ${round.round}/${planned}: ${checks.join('; ')}`
}
