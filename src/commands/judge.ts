/**
 * Judging the canary: the one hook deploy calls once the release is available and between weight
 * steps, and promote calls before it writes. Today the verdict is the smoke checks, each canary pod
 * on its own through the API server's pod proxy (or smoke-url); metric analysis (issue 15) joins
 * here. A failing verdict is a result; the caller decides whether it fails or refuses the run.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node'
import { codeBlock } from '../github/report.js'
import { list, read } from '../k8s/objects.js'
import { isPodReady } from '../k8s/pods.js'
import { podProxyUrl } from '../k8s/proxy.js'
import { targetContainer } from '../release/render.js'
import type { Strategy } from '../release/types.js'
import type { Settings } from '../settings.js'
import { podProxyTarget, smokeCheck, summarizeSmoke, urlTarget } from '../smoke.js'
import type { Frame } from './frame.js'
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
    const port = smokePort(deployment, settings)
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

/** The port the pod proxy calls, as given: the input, else the target container's first port. */
function smokePort(release: V1Deployment, settings: Settings): number | string {
  if (settings.smoke.port !== undefined) return settings.smoke.port
  const container = targetContainer(
    release.spec?.template.spec ?? { containers: [] },
    settings.container
  )
  const port = container.ports?.[0]
  if (!port) {
    throw new Error(
      `container ${container.name} of ${release.metadata?.name} declares no port to smoke-check: set smoke-port, or smoke-url`
    )
  }
  return port.name ?? port.containerPort
}

/**
 * The port NUMBER of that pod: kube-apiserver's pod proxy joins the podIP with the port as given and
 * never resolves a name (a named port breaks the connection), so a name is looked up in the pod's own
 * spec, per pod.
 */
function podPortNumber(pod: V1Pod, port: number | string): number {
  if (typeof port === 'number') return port
  const ports = (pod.spec?.containers ?? []).flatMap(container => container.ports ?? [])
  const named = ports.find(candidate => candidate.name === port)
  if (named) return named.containerPort
  const declared = ports.map(p =>
    p.name ? `${p.name}=${p.containerPort}` : String(p.containerPort)
  )
  throw new Error(
    `pod ${pod.metadata?.name} has no container port named ${port} (its ports: ${declared.join(', ') || 'none'}): set smoke-port to one of them`
  )
}
