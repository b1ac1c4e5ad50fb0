/**
 * cleanup of 500 rainbow releases against the in-process test cluster: how long the command takes
 * (lock, one LIST of the releases, a DELETE of a collection per 50) and how many requests it makes.
 * 500 releases of shop-web are seeded (cluster.put, not timed): one live, the rest replaced an
 * hour apart, so with keep-releases 3 and drain-min-age 1h the command deletes 497.
 * The cluster runs without its controllers: a real API server garbage-collects the ReplicaSets of
 * a deleted Deployment in another process, while the in-process one would do it on the event loop
 * the command runs on (about 25 ms a delete), which would measure the harness rather than cleanup.
 */
import { performance } from 'node:perf_hooks'
import type { V1Deployment, V1Service } from '@kubernetes/client-node'
import { startTestCluster } from '../__tests__/harness/cluster.js'
import { MemoryLogger } from '../src/logger.js'
import { runCommand } from '../src/run-command.js'
import { round, type Row } from './row.js'

export type { Row } from './row.js'

const NS = 'bench'
const RELEASES = 500
const HOUR = 3_600_000
const TARGET_MS = 2000

function release(index: number, now: number): V1Deployment {
  const id = `r${String(index).padStart(5, '0')}`
  const labels = { app: 'shop-web', 'canary-deploy.dev/release': id }
  const live = index === RELEASES - 1
  const iso = (ms: number) => new Date(ms).toISOString()
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `shop-web-${id}`,
      namespace: NS,
      labels: { ...labels, 'canary-deploy.dev/release-of': 'shop-web' },
      annotations: {
        'canary-deploy.dev/released-at': iso(now - (RELEASES - index + 1) * HOUR),
        ...(live ? {} : { 'canary-deploy.dev/replaced-at': iso(now - (RELEASES - index) * HOUR) })
      }
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'registry.example.com/shop:1' }] }
      }
    }
  }
}

export async function benchCleanup(): Promise<Row[]> {
  const cluster = await startTestCluster({ namespace: NS, controllers: false })
  try {
    const stableLabels = { app: 'shop-web', 'canary-deploy.dev/track': 'stable' }
    cluster.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop-web', namespace: NS, labels: stableLabels },
      spec: {
        replicas: 0,
        selector: { matchLabels: stableLabels },
        template: {
          metadata: { labels: stableLabels },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/shop:1' }] }
        }
      }
    } as V1Deployment)
    const service: V1Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shop-web', namespace: NS },
      spec: {
        selector: {
          app: 'shop-web',
          'canary-deploy.dev/release': `r${String(RELEASES - 1).padStart(5, '0')}`
        },
        ports: [{ port: 80, targetPort: 8080 }]
      }
    }
    cluster.put(service)
    const now = Date.now()
    for (let i = 0; i < RELEASES; i++) cluster.put(release(i, now))
    cluster.resetRequests()

    const inputs: Record<string, string> = {
      command: 'cleanup',
      strategy: 'rainbow',
      app: 'shop',
      deployments: 'shop-web',
      namespace: NS,
      kubeconfig: cluster.kubeconfig,
      version: 'bench',
      'keep-releases': '3',
      'drain-min-age': '1h'
    }
    const started = performance.now()
    const result = await runCommand(name => inputs[name] ?? '', {
      logger: new MemoryLogger(),
      env: { GITHUB_WORKSPACE: process.cwd() },
      signal: new AbortController().signal
    })
    const elapsed = performance.now() - started
    const deleted = Number(result.report.facts.find(([k]) => k === 'deleted')?.[1] ?? NaN)
    if (result.report.status === 'failure' || deleted !== RELEASES - 3) {
      throw new Error(
        `cleanup did not do its work: ${result.report.reason ?? `deleted ${deleted}`}`
      )
    }
    const requests = cluster.requests.length
    return [
      {
        name: `cleanup: ${RELEASES} rainbow releases, ${deleted} deleted`,
        value: round(elapsed, 0),
        unit: 'ms',
        target: `< ${TARGET_MS} ms`,
        met: elapsed < TARGET_MS
      },
      {
        name: `cleanup: requests for ${RELEASES} releases`,
        value: requests,
        unit: 'requests',
        target: 'deletecollection, 50 a request',
        met: null
      }
    ]
  } finally {
    await cluster.stop()
  }
}
