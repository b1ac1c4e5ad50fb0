/**
 * Each rainbow release's load, as cleanup measures it: drain-query on Prometheus with the release's
 * pod labels as {{selector}}, or drain-path asked of each of its running pods through the API
 * server's pod proxy and summed. A few releases at a time, so hundreds of them neither flood the
 * API server nor take one request's time each.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node'
import {
  measureLoadByPods,
  measureLoadByQuery,
  podMatchers,
  type LoadReading
} from '../analysis/index.js'
import { list } from '../k8s/objects.js'
import { describeLoad } from '../release/cleanup-plan.js'
import { podProxyEndpoint } from '../k8s/proxy.js'
import { selectorString } from '../k8s/selectors.js'
import type { Frame } from './frame.js'
import { podPortNumber, proxyPort } from './pod-port.js'
import { prometheusClient } from './prometheus.js'
import type { Session } from './session.js'

const AT_ONCE = 4

/** Release name -> its load; releases without drain settings are not measured. */
export async function measureLoads(
  frame: Pick<Frame, 'settings' | 'logger'>,
  session: Pick<Session, 'cluster' | 'signal'>,
  releases: V1Deployment[]
): Promise<Map<string, LoadReading>> {
  const { settings, logger } = frame
  const { cluster, signal } = session
  const drain = settings.drain
  const loads = new Map<string, LoadReading>()
  if (!drain) return loads
  const client = drain.query ? prometheusClient(settings, cluster) : undefined
  const measure = async (release: V1Deployment): Promise<LoadReading> => {
    if (drain.query && client) {
      const matchers = podMatchers(
        release.spec?.selector?.matchLabels ?? {},
        settings.analysis?.labels
      )
      return measureLoadByQuery(client, drain.query, matchers, { signal })
    }
    const pods = (
      await list<V1Pod>(cluster, { kind: 'Pod' }, selectorString(release.spec?.selector))
    ).filter(pod => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp)
    const port = pods.length > 0 ? proxyPort(release, settings) : 0
    const endpoints = pods.map(pod =>
      podProxyEndpoint(
        cluster,
        cluster.namespace,
        pod.metadata?.name ?? '',
        podPortNumber(pod, port)
      )
    )
    return measureLoadByPods(endpoints, drain.path ?? '/', { signal })
  }
  const queue = [...releases]
  const worker = async (): Promise<void> => {
    for (let release = queue.shift(); release; release = queue.shift()) {
      const name = release.metadata?.name ?? ''
      const reading = await measure(release)
      logger.info(`${name}: load ${describeLoad(reading)}`)
      loads.set(name, reading)
    }
  }
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, releases.length) }, worker))
  return loads
}
