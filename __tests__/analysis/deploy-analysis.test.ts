/**
 * Issue 15's acceptance, end to end: deploy judges each canary by its metrics after the smoke
 * checks, against a real Prometheus scraping real processes, reached through the test cluster's
 * service proxy; promote reads the verdict back. One shop, one canary after the other, as on a
 * real cluster: each new canary replaces the one before, whose series stay in the window.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { CommandResult } from '../../src/commands/types.js'
import { renderMarkdown } from '../../src/github/report.js'
import { NAMESPACE } from '../commands/fixture.js'
import { putWebIngress, putWebService } from '../commands/strategies-fixture.js'
import { startLiveShop, WINDOW, type LiveShop } from './live-shop.js'

const CANARY = 'shop-web-canary'
/** v2 -> sha256:222...: each version its own image. */
const digestOf = (version: string): string => `sha256:${version.slice(1).repeat(64)}`

let shop: LiveShop
let stableBefore: string
beforeAll(async () => {
  shop = await startLiveShop()
  shop.behave('v3', { errorRate: 0.5 })
  shop.behave('v4', { delayMs: 300 })
  shop.behave('v5', { idle: true })
  shop.behave('v6', { errorRate: 0.5 })
  stableBefore = shop.stableSpecs()
}, 120_000)
afterAll(() => shop?.stop())

type Run = CommandResult & { logs: string[] }

function deploy(version: string, inputs: Record<string, string> = {}): Promise<Run> {
  return shop.run('deploy', {
    deployments: 'shop-web',
    version,
    image: `registry.example.com/shop@${digestOf(version)}`,
    analysis: `checks: [error-rate, p95-latency]\nmin-samples: 20\nwindow: ${WINDOW}`,
    'analysis-interval': '1s',
    'analysis-rounds': '2',
    'prometheus-service': shop.prometheusService,
    timeout: '90s',
    ...inputs
  })
}

function promote(version: string, inputs: Record<string, string> = {}): Promise<Run> {
  return shop.run('promote', {
    deployments: 'shop-web',
    version,
    digest: digestOf(version),
    approve: 'true',
    ...inputs
  })
}

const canary = () => shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, CANARY)
const annotations = () => canary()?.metadata?.annotations ?? {}
const fact = (run: Run, name: string) => run.report.facts.find(([key]) => key === name)?.[1]
const analysisSection = (run: Run) =>
  run.report.sections.find(section => section.title.startsWith('Metric analysis'))

describe('a healthy canary', () => {
  let run: Run
  beforeAll(async () => {
    run = await deploy('v2')
  }, 120_000)

  it('passes its analysis, and the deploy succeeds', () => {
    expect(run.report.reason).toBeUndefined()
    expect(run.report.stages.find(s => s.name === 'analysis')).toMatchObject({
      status: 'ok',
      detail: 'passed: 2 of 2 round(s)'
    })
    expect(fact(run, 'metric analysis')).toMatch(/^passed: every check passed/)
  })

  it('records the verdict on the canary, for the image it runs', () => {
    expect(annotations()).toMatchObject({
      'canary-deploy.dev/analysis': 'passed',
      'canary-deploy.dev/analysis-digest': digestOf('v2')
    })
  })

  it('lists in the summary each query, both values, the rule and the verdict of every round', () => {
    const section = analysisSection(run)
    const hashes = shop.cluster
      .list<V1Deployment>('ReplicaSet', NAMESPACE, 'canary-deploy.dev/track=canary')
      .map(rs => rs.metadata?.labels?.['pod-template-hash'])
    expect(hashes).toHaveLength(1)

    expect(section?.title).toBe(
      `Metric analysis: shop-web-canary (pod-template-hash ${hashes[0]}) against shop-web`
    )
    const body = section?.body ?? ''
    expect(body).toMatch(/^\*\*✅ passed\*\*/)
    for (const round of [1, 2]) {
      expect(body).toMatch(
        new RegExp(
          `\\| ${round} \\(\\d\\d:\\d\\d:\\d\\dZ\\) \\| error-rate \\| 0% \\([\\d,]+ samples\\) \\| 0% \\([\\d,]+ samples\\) \\| \`canary <= max\\(stable \\* 1\\.5, stable \\+ 0\\.5%\\)\` \\(bound 0\\.5%\\) \\| ✅ pass: `
        )
      )
      expect(body).toMatch(
        new RegExp(
          `\\| ${round} \\(\\d\\d:\\d\\d:\\d\\dZ\\) \\| p95-latency \\| [\\d.]+ ms \\([\\d,]+ samples\\) \\| [\\d.]+ ms \\([\\d,]+ samples\\) \\| \`canary <= stable \\* 1\\.2\` \\(bound [\\d.]+ ms\\) \\| ✅ pass: `
        )
      )
    }
    expect(body).toContain(
      `| error-rate | canary | \`(sum(rate(http_requests_total{ app="shop-web",canary_deploy_dev_track="canary",pod_template_hash="${hashes[0]}", code=~"5.." }[10s])) or vector(0)) / sum(rate(http_requests_total{ app="shop-web",canary_deploy_dev_track="canary",pod_template_hash="${hashes[0]}" }[10s]))\` |`
    )
    expect(body).toContain(
      '| p95-latency | stable | `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{ app="shop-web",canary_deploy_dev_track="stable" }[10s])))` | `sum(increase(http_request_duration_seconds_count{ app="shop-web",canary_deploy_dev_track="stable" }[10s]))` |'
    )
    expect(renderMarkdown(run.report)).toContain(`### ${section?.title}`)
  })
})

describe('a canary exposed in weight steps (ingress-weight)', () => {
  let run: Run
  beforeAll(async () => {
    putWebService(shop)
    putWebIngress(shop)
    run = await deploy('v7', { strategy: 'ingress-weight', steps: '10,50', 'step-interval': '1s' })
  }, 120_000)

  it('is analysed after each step, at the weight it then has, not before the first', () => {
    expect(run.report.reason).toBeUndefined()
    expect(run.report.stages.map(s => s.name)).not.toContain('analysis')
    expect(
      run.report.sections.filter(s => s.title.startsWith('Metric analysis')).map(s => s.title)
    ).toEqual([
      expect.stringMatching(/^Metric analysis at 10% \(steps 10,50\): shop-web-canary \(/),
      expect.stringMatching(/^Metric analysis at 50% \(steps 10,50\): shop-web-canary \(/)
    ])
    expect(fact(run, 'metric analysis')).toMatch(
      /^passed: every check passed .*\(at 50% \(steps 10,50\)\)$/
    )
  })
})

describe('an erroring canary, deployed over the healthy one', () => {
  let run: Run
  beforeAll(async () => {
    run = await deploy('v3')
  }, 120_000)

  it('fails its analysis on the error rate, which fails the deploy', () => {
    expect(run.report.status).toBe('failure')
    expect(run.report.reason).toMatch(
      /metric analysis failed: error-rate failed 1 round \(failure-limit 0\): canary \d+(\.\d+)?% is not <= 0\.5% \(stable 0%\)/
    )
  })

  it("is judged on its own series, not the healthy canary's still in the window", () => {
    const body = analysisSection(run)?.body ?? ''
    expect(body).toMatch(/\| 1 \([\d:]+Z\) \| error-rate \| (4[5-9]|5[0-5])(\.\d+)?% \(/)
  })

  it('is removed, as any failed canary is, and stable is untouched', () => {
    expect(canary()).toBeUndefined()
    expect(fact(run, 'canary')).toBe('removed (rollback-on-failure)')
    expect(shop.stableSpecs()).toBe(stableBefore)
  })
})

describe('a slow canary', () => {
  it('fails its analysis on the p95 latency, and is removed', async () => {
    const run = await deploy('v4')

    expect(run.report.status).toBe('failure')
    expect(run.report.reason).toMatch(
      /metric analysis failed: p95-latency failed 1 round \(failure-limit 0\): canary \d+ ms is not <= [\d.]+ ms \(stable [\d.]+ ms\)/
    )
    expect(canary()).toBeUndefined()
    expect(shop.stableSpecs()).toBe(stableBefore)
  }, 120_000)
})

describe('promote after a failed analysis', () => {
  it('refuses the canary, saying its analysis failed, and writes nothing', async () => {
    const deployed = await deploy('v6', { 'rollback-on-failure': 'false' })
    expect(deployed.report.status).toBe('failure')
    expect(annotations()['canary-deploy.dev/analysis']).toBe('failed')
    shop.cluster.resetRequests()

    const run = await promote('v6')

    expect(run.report.status).toBe('refused')
    expect(run.report.reason).toMatch(
      /^the metric analysis of shop-web-canary failed \(error-rate failed 1 round .*\): a canary that failed its analysis is not promoted/
    )
    expect(shop.cluster.writes()).toEqual([])
    expect(shop.stableSpecs()).toBe(stableBefore)
  }, 120_000)
})

describe('an idle canary', () => {
  let run: Run
  beforeAll(async () => {
    run = await deploy('v5')
  }, 120_000)

  it('is inconclusive, never a pass: the deploy succeeds and says promote needs a decision', () => {
    expect(run.report.status).toBe('success')
    expect(fact(run, 'metric analysis')).toBe(
      'inconclusive: error-rate was inconclusive in 2 of 2 rounds (inconclusive-limit 0): canary has 0 samples, fewer than min-samples 20'
    )
    expect(run.report.next?.markdown).toMatch(
      /^\*\*The metric analysis was inconclusive\*\*: promote takes this canary only with `accept-inconclusive: true`/
    )
    expect(annotations()['canary-deploy.dev/analysis']).toBe('inconclusive')
  })

  it("is refused by promote without the approver's decision", async () => {
    const refused = await promote('v5')

    expect(refused.report.status).toBe('refused')
    expect(refused.report.reason).toMatch(
      /^the metric analysis of shop-web-canary was inconclusive \(.*\): it is neither a pass nor a failure, so promoting it is the approver's decision: run promote again with accept-inconclusive: true/
    )
    expect(shop.stableSpecs()).toBe(stableBefore)
  })

  it('is promoted with accept-inconclusive: true, the decision shown in the summary', async () => {
    const promoted = await promote('v5', { 'accept-inconclusive': 'true' })

    expect(promoted.report.reason).toBeUndefined()
    expect(fact(promoted, 'metric analysis')).toMatch(
      /^inconclusive \(error-rate was inconclusive .*\); promoted by the decision of .+ \(accept-inconclusive: true\)$/
    )
    expect(renderMarkdown(promoted.report)).toContain('(accept-inconclusive: true)')
    expect(shop.stableSpecs()).not.toBe(stableBefore)
  })
})
