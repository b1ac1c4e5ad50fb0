/**
 * The analysis loop itself: rounds, instants, limits and cancellation. Prometheus is a transport
 * here that answers as the real API does (the real one is in verdicts.test.ts).
 */
import { parseAnalysisConfig } from '../../src/analysis/config.js'
import {
  PrometheusClient,
  urlTransport,
  type PrometheusTransport
} from '../../src/analysis/prometheus.js'
import { runAnalysis, type AnalysisPlan } from '../../src/analysis/run.js'
import { freePort } from '../harness/local-process.js'

const SIDES = { canary: { track: 'canary' }, stable: { track: 'stable' } }
const noWait = async (): Promise<void> => {}

function plan(analysis: string, rounds: number): AnalysisPlan {
  const config = parseAnalysisConfig(analysis)
  return {
    checks: config.checks,
    rounds,
    intervalMs: 1000,
    windowMs: 60_000,
    limits: config.limits
  }
}

/** Answers every query with one vector sample of `value`, recording what was asked. */
function answering(value: string, asked: URLSearchParams[] = []): PrometheusTransport {
  return async ({ params }) => {
    asked.push(params)
    return {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [1, value] }] }
      })
    }
  }
}

describe('runAnalysis', () => {
  it('runs every round when nothing fails, waiting the interval before each', async () => {
    const waits: number[] = []
    const result = await runAnalysis(
      new PrometheusClient(answering('100')),
      plan('checks:\n  - { name: queue, query: "sum(q{ {{selector}} })", rule: "<= 200" }', 3),
      SIDES,
      { sleep: async ms => void waits.push(ms) }
    )

    expect(result.verdict).toBe('passed')
    expect(result.rounds.map(r => r.verdict)).toEqual(['pass', 'pass', 'pass'])
    expect(waits).toEqual([1000, 1000, 1000])
  })

  it('evaluates canary and stable at the same instant in each round', async () => {
    const asked: URLSearchParams[] = []
    const instants = [1_700_000_000_000, 1_700_000_060_000]
    await runAnalysis(new PrometheusClient(answering('0', asked)), plan('error-rate', 2), SIDES, {
      sleep: noWait,
      now: () => instants.shift() ?? 0
    })

    expect(asked.map(p => p.get('time'))).toEqual([
      ...Array(4).fill('1700000000.000'),
      ...Array(4).fill('1700000060.000')
    ])
    expect(asked.filter(p => p.get('query')?.includes('track="canary"'))).toHaveLength(4)
  })

  it('stops at the first failed round when the failure limit is 0', async () => {
    const result = await runAnalysis(
      new PrometheusClient(answering('300')),
      plan('checks:\n  - { name: queue, query: "sum(q{ {{selector}} })", rule: "<= 200" }', 5),
      SIDES,
      { sleep: noWait }
    )

    expect(result).toMatchObject({ verdict: 'failed', plannedRounds: 5 })
    expect(result.rounds).toHaveLength(1)
    expect(result.reason).toBe(
      'queue failed 1 round (failure-limit 0): canary 300 is not <= 200 [canary <= 200]'
    )
  })

  it('fails once Prometheus errors exceed the consecutive-error limit, naming the cause', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`
    const result = await runAnalysis(
      new PrometheusClient(urlTransport(nowhere), { describe: 'prometheus-url' }),
      plan('checks: [error-rate]\nconsecutive-error-limit: 2', 6),
      SIDES,
      { sleep: noWait }
    )

    expect(result.verdict).toBe('failed')
    expect(result.rounds.map(r => r.verdict)).toEqual(['error', 'error', 'error'])
    expect(result.reason).toMatch(
      /^error-rate: 3 Prometheus errors in a row \(consecutive-error-limit 2\): canary: prometheus-url could not be reached: .*ECONNREFUSED/
    )
  })

  it('reports each round as it ends', async () => {
    const seen: number[] = []
    await runAnalysis(new PrometheusClient(answering('0')), plan('error-rate', 2), SIDES, {
      sleep: noWait,
      onRound: round => seen.push(round.round)
    })

    expect(seen).toEqual([1, 2])
  })

  it('ends with the cancellation when cancelled, not with a verdict', async () => {
    const controller = new AbortController()
    const run = runAnalysis(new PrometheusClient(answering('0')), plan('error-rate', 3), SIDES, {
      signal: controller.signal
    })
    controller.abort(new Error('cancelled by the runner'))

    await expect(run).rejects.toThrow('cancelled by the runner')
  })
})
