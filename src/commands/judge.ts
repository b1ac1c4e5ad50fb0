/**
 * Judging the canary: the hook deploy calls once the release is available and between weight
 * steps, and promote calls before it writes. Two verdicts: the smoke checks (judgeCanary), each
 * canary pod on its own through the API server's pod proxy (or smoke-url), and the metric analysis
 * (analyseCanary), the canary's Prometheus series against stable's, round after round. A failing
 * verdict is a result; the caller decides whether it fails or refuses the run.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node'
import { runAnalysis, type AnalysisResult, type AnalysisVerdict } from '../analysis/index.js'
import { analysisSection, roundLine } from '../analysis/summary.js'
import { codeBlock } from '../github/report.js'
import { list, read } from '../k8s/objects.js'
import { isPodReady } from '../k8s/pods.js'
import { podProxyUrl } from '../k8s/proxy.js'
import { clusterReads } from '../release/reads.js'
import type { Strategy } from '../release/types.js'
import { podProxyTarget, smokeCheck, summarizeSmoke, urlTarget } from '../smoke.js'
import { analysisSides } from './analysis-sides.js'
import { recordVerdict, worse, type Recorded } from './analysis-verdict.js'
import type { Frame } from './frame.js'
import { podPortNumber, proxyPort } from './pod-port.js'
import { prometheusClient } from './prometheus.js'
import type { Session } from './session.js'

export interface Judged {
  ok: boolean
  /** One line for the stage: `2/2 passed`. */
  detail: string
  /** What failed first, when not ok. */
  failure?: string
}

/**
 * The verdict on the web release Deployment `release` (the first of `deployments`) as it runs now,
 * its pods chosen by the strategy's pod selector; its checks go into the report.
 */
export async function judgeCanary(
  frame: Pick<Frame, 'settings' | 'logger' | 'report'>,
  session: Pick<Session, 'cluster' | 'signal'>,
  strategy: Pick<Strategy, 'podSelector'>,
  release: string
): Promise<Judged> {
  const { settings, logger, report } = frame
  const { cluster, signal } = session
  const deployment = await read<V1Deployment>(cluster, { kind: 'Deployment', name: release })
  if (!deployment) throw new Error(`${release} disappeared before it could be checked`)
  let targets
  if (settings.smoke.url) {
    targets = [urlTarget(settings.smoke.url)]
  } else {
    const pods = (
      await list<V1Pod>(cluster, { kind: 'Pod' }, strategy.podSelector(deployment))
    ).filter(isPodReady)
    if (pods.length === 0) throw new Error(`${release} has no ready pod to smoke-check`)
    const port = proxyPort(deployment, settings)
    targets = pods.map(pod => {
      const name = pod.metadata?.name ?? ''
      const url = podProxyUrl(cluster.server, cluster.namespace, name, podPortNumber(pod, port))
      return podProxyTarget(cluster.kubeConfig, url, name)
    })
  }
  const results = await smokeCheck(targets, {
    healthPath: settings.smoke.healthPath,
    versionPath: settings.smoke.versionPath,
    expectedVersion: settings.smoke.expectedVersion,
    timeoutMs: settings.smoke.timeoutMs,
    logger,
    signal
  })
  const summary = summarizeSmoke(results)
  for (const line of summary.split('\n')) logger.info(line)
  report.sections.push({ title: 'Smoke checks', body: codeBlock(summary) })
  const failed = results.find(result => !result.ok)
  return {
    ok: !failed,
    detail: `${results.filter(r => r.ok).length}/${results.length} passed`,
    ...(failed ? { failure: failed.message } : {})
  }
}

/**
 * The metric analysis of the release Deployment `release` against `stable` (the Deployment it
 * stands beside), as settings.analysis says; each round is logged as it ends, and the whole
 * analysis goes into the report as a section (`where`, e.g. `at 50%`, names the weight step). A failed
 * or inconclusive analysis is a result, as a failed smoke check is.
 */
export async function analyseCanary(
  frame: Pick<Frame, 'settings' | 'logger' | 'report'>,
  session: Pick<Session, 'cluster' | 'signal'>,
  strategy: Pick<Strategy, 'history'>,
  target: { release: string; stable: V1Deployment; where?: string }
): Promise<AnalysisResult> {
  const { settings, logger, report } = frame
  const { cluster, signal } = session
  const analysis = settings.analysis
  const client = prometheusClient(settings, cluster)
  if (!analysis || !client) throw new Error('no analysis input: nothing to analyse')
  const release = await read<V1Deployment>(cluster, { kind: 'Deployment', name: target.release })
  if (!release) throw new Error(`${target.release} disappeared before it could be analysed`)
  const reads = clusterReads(cluster, settings)
  const sides = await analysisSides(reads, strategy, release, target.stable, analysis.labels)
  const at = target.where ? ` ${target.where}` : ''
  logger.info(
    `metric analysis${at}: ${sides.canaryName} against ${sides.stableName} on ${client.where}, ` +
      `${analysis.rounds} round(s) ${analysis.intervalMs / 1000} s apart`
  )
  const result = await runAnalysis(client, analysis, sides, {
    signal,
    onRound: round => logger.info(roundLine(round, analysis.rounds))
  })
  logger.info(`metric analysis${at}: ${result.verdict}: ${result.reason}`)
  report.sections.push(
    analysisSection(result, `Metric analysis${at}: ${sides.canaryName} against ${sides.stableName}`)
  )
  return result
}

/** deploy's analyses of its release: one after the smoke checks, or one per weight step. */
export interface DeployAnalyses {
  /** Runs one analysis and records the worst verdict so far on the canary; resolves with this one's. */
  analyse(where?: string): Promise<AnalysisResult>
  /** The worst verdict so far, as recorded; undefined before the first analysis. */
  readonly recorded: Recorded | undefined
}

/**
 * The analyses of the release `release` (run on image `digest`), each recorded on the canary
 * Deployment: `running` while it runs, then the worst verdict so far. A verdict that cannot be
 * recorded fails the deploy: promote would otherwise read a stale one, or none.
 */
export function deployAnalyses(
  frame: Pick<Frame, 'settings' | 'logger' | 'report'>,
  session: Pick<Session, 'cluster' | 'signal'>,
  strategy: Pick<Strategy, 'history'>,
  target: { release: string; stable: V1Deployment; digest: string }
): DeployAnalyses {
  let worst: { verdict: AnalysisVerdict; reason: string } | undefined
  const record = (recorded: Recorded): Promise<void> =>
    recordVerdict(session.cluster, target.release, target.digest, recorded)
  return {
    get recorded() {
      return worst
    },
    async analyse(where) {
      await record({ verdict: 'running', reason: `since ${new Date().toISOString()}` })
      const result = await analyseCanary(frame, session, strategy, { ...target, where })
      const verdict = worse(worst?.verdict, result.verdict)
      // The verdict stands with the latest analysis that gave it.
      if (!worst || verdict === result.verdict) {
        worst = { verdict, reason: `${result.reason}${where ? ` (${where})` : ''}` }
      }
      await record(worst)
      return result
    }
  }
}
