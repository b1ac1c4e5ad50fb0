/**
 * The shop with real parts for metric analysis and drain: every shop-web pod of the test cluster is
 * a real process of examples/app (its pod server forwards to it), scraped by a real Prometheus with
 * the labels Kubernetes service discovery gives that pod (pod-template-hash included), and that
 * Prometheus is a Service of the shop namespace, which the action reaches through the API server's
 * service proxy. Users send traffic to every pod but those of an idle release; a release misbehaves
 * as its version says, as it would from its image.
 *
 * Canary pods are held in ContainerCreating until their process is scraped and, unless idle, has
 * served enough requests: the analysis starts on a full window, as after a real rollout and smoke
 * checks, and the test waits on conditions, never on time.
 */
import http, { type RequestListener } from 'node:http'
import type { V1Pod } from '@kubernetes/client-node'
import { NAMESPACE, startShop, type Shop } from '../commands/fixture.js'
import { startExampleApp, type ExampleApp } from '../harness/example-app.js'
import { localBackend } from '../harness/objects.js'
import { startPrometheus, type ScrapeTarget, type TestPrometheus } from '../harness/prometheus.js'
import { startTraffic, type Traffic } from '../harness/traffic.js'

const VERSION = 'canary-deploy.dev/version'
const TRACK = 'canary-deploy.dev/track'
/** Requests a pod has served in the window before its canary is let out of ContainerCreating. */
const WARM_REQUESTS = 30
/** The window the tests' analyses use: ten scrapes of the test Prometheus (1 s apart). */
export const WINDOW = '10s'

/** How a release behaves: examples/app's fault settings, and whether users reach it. */
export interface Behaviour {
  errorRate?: number
  delayMs?: number
  idle?: boolean
}

export interface LiveShop extends Shop {
  prometheus: TestPrometheus
  /** `prometheus-service` input that reaches the test Prometheus. */
  prometheusService: string
  /** Pods of `version` behave so from now on (stable pods are v1). */
  behave(version: string, behaviour: Behaviour): void
}

interface PodRun {
  app: Promise<ExampleApp>
  traffic?: Traffic
  ready: Promise<void>
}

const labelsOf = (pod: V1Pod): Record<string, string> => pod.metadata?.labels ?? {}
const nameOf = (pod: V1Pod): string => pod.metadata?.name ?? ''

export async function startLiveShop(): Promise<LiveShop> {
  const prometheus = await startPrometheus()
  let stopped = false
  const behaviours = new Map<string, Behaviour>()
  const runs = new Map<string, PodRun>()
  const targets = new Map<string, ScrapeTarget>()
  // One target list at a time: setTargets replaces it whole and waits for every target to be up.
  // Prometheus takes new targets from file discovery at most every 5 s, so changes are gathered:
  // those made while one list is on its way, or within a moment of each other (pods starting
  // together), go in the next one.
  let scraping = Promise.resolve()
  let queued: Promise<void> | undefined
  const retarget = (): Promise<void> => {
    queued ??= scraping = scraping
      .catch(() => undefined)
      .then(() => new Promise(resolve => setTimeout(resolve, 250)))
      .then(() => {
        queued = undefined
        return prometheus.setTargets([...targets.values()])
      })
    return queued
  }

  const behaviourOf = (pod: V1Pod): Behaviour =>
    behaviours.get(labelsOf(pod)[VERSION] ?? 'v1') ?? {}

  /** The pod's process, started once, scraped, and sent traffic unless its release is idle. */
  const run = (pod: V1Pod): PodRun => {
    const name = nameOf(pod)
    const known = runs.get(name)
    if (known) return known
    const behaviour = behaviourOf(pod)
    const app = startExampleApp({
      version: labelsOf(pod)[VERSION] ?? 'v1',
      errorRate: behaviour.errorRate,
      delayMs: behaviour.delayMs
    })
    const entry: PodRun = {
      app,
      ready: app.then(async started => {
        targets.set(name, {
          address: started.address,
          namespace: NAMESPACE,
          pod: name,
          podLabels: labelsOf(pod)
        })
        await retarget()
        if (behaviour.idle) {
          // Scraped twice: its counters are in the window, at 0.
          await prometheus.waitFor(
            `count_over_time(up{pod="${name}"}[${WINDOW}])`,
            n => (n ?? 0) >= 2
          )
          return
        }
        if (stopped) return
        entry.traffic = startTraffic(started.url, { connections: 2, pauseMs: 50 })
        await prometheus.waitFor(
          `sum(increase(http_requests_total{pod="${name}"}[${WINDOW}]))`,
          n => (n ?? 0) >= WARM_REQUESTS
        )
      })
    }
    // Awaited by whoever needs the pod warm; a shop stopped meanwhile leaves it unfinished.
    entry.ready.catch(() => undefined)
    runs.set(name, entry)
    return entry
  }

  const stopProcess = async (entry: PodRun | undefined): Promise<void> => {
    await entry?.traffic?.stop()
    await (await entry?.app.catch(() => undefined))?.stop()
  }

  const stopRun = async (name: string): Promise<void> => {
    const entry = runs.get(name)
    runs.delete(name)
    targets.delete(name)
    await stopProcess(entry)
    await retarget()
  }

  /** Each pod server forwards to its pod's process. */
  const serve =
    (pod: V1Pod): RequestListener =>
    (req, res) => {
      void run(pod).app.then(started => {
        const upstream = http.request(
          `${started.url}${req.url ?? '/'}`,
          { method: req.method, headers: req.headers },
          answer => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          }
        )
        upstream.on('error', error => res.writeHead(502).end(error.message))
        req.pipe(upstream)
      })
    }

  const shop = await startShop(['shop-web'], undefined, { serve })
  const { cluster } = shop
  for (const o of localBackend('prometheus', {
    namespace: NAMESPACE,
    port: Number(new URL(prometheus.url).port),
    servicePort: 9090,
    portName: 'web'
  }))
    cluster.put(o as never)
  cluster.kubelet.behave({ label: { [TRACK]: 'canary' } }, { kind: 'hold' })

  // The pods as the cluster has them: new ones get a process (held canaries are let out once it
  // is warm), gone ones lose theirs. Their series stay in Prometheus, as a real pod's do.
  const reconcile = async (): Promise<void> => {
    const pods = cluster
      .list<V1Pod>('Pod', NAMESPACE, 'app=shop-web')
      .filter(pod => !pod.metadata?.deletionTimestamp)
    const names = new Set(pods.map(nameOf))
    for (const name of [...runs.keys()].filter(name => !names.has(name))) await stopRun(name)
    for (const pod of pods) {
      if (runs.has(nameOf(pod))) continue
      const entry = run(pod)
      if (labelsOf(pod)[TRACK] === 'canary') {
        void entry.ready.then(
          () => cluster.kubelet.release({ pod: nameOf(pod) }),
          () => undefined
        )
      }
    }
  }
  const loop = (async () => {
    while (!stopped) {
      await reconcile()
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  })()
  await reconcile()
  await Promise.all([...runs.values()].map(entry => entry.ready))

  return {
    ...shop,
    prometheus,
    prometheusService: 'prometheus:9090',
    behave: (version, behaviour) => void behaviours.set(version, behaviour),
    async stop() {
      stopped = true
      await loop
      const all = [...runs.values()]
      runs.clear()
      await Promise.all(all.map(stopProcess))
      await shop.stop()
      await prometheus.stop()
    }
  }
}
