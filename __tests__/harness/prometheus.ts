/**
 * A real Prometheus for tests: Debian's `prometheus` on a free 127.0.0.1 port, its TSDB in a temp
 * dir, scraping real local processes every second. Targets are given as pods would be discovered:
 * file-based discovery carries the `__meta_kubernetes_*` labels Kubernetes service discovery sets,
 * and the scrape config relabels them with the rules of Prometheus' own example Kubernetes config
 * (labelmap of pod labels, `namespace`, `pod`), so series carry the labels a cluster's would.
 * https://prometheus.io/docs/prometheus/latest/configuration/configuration/#kubernetes_sd_config
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { freePort, spawnLocal, waitUntil } from './local-process.js'

export const PROMETHEUS_BINARY = '/usr/bin/prometheus'

export interface ScrapeTarget {
  /** `127.0.0.1:PORT` of a process serving /metrics. */
  address: string
  namespace: string
  pod: string
  /** The pod's labels as Kubernetes has them, e.g. `canary-deploy.dev/track: canary`. */
  podLabels: Record<string, string>
}

export interface TestPrometheus {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:40123. */
  url: string
  /** The Prometheus process and its temp dir (config, TSDB), both gone after stop(). */
  pid: number
  dir: string
  /** Replaces the scraped targets; resolves once every one of them has been scraped and is up. */
  setTargets(targets: ScrapeTarget[]): Promise<void>
  /** The value of a one-series query now, or undefined when it gives no series. */
  value(query: string): Promise<number | undefined>
  /** Polls `query` until `accept` takes its value, within a bound. */
  waitFor(query: string, accept: (value: number | undefined) => boolean): Promise<void>
  stop(): Promise<void>
}

export interface PrometheusOptions {
  scrapeIntervalSeconds?: number
}

/** Kubernetes service discovery's label name sanitising (Prometheus' strutil.SanitizeLabelName). */
const sanitize = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, '_')

function discovered(target: ScrapeTarget): Record<string, unknown> {
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: target.namespace,
    __meta_kubernetes_pod_name: target.pod
  }
  for (const [key, value] of Object.entries(target.podLabels)) {
    labels[`__meta_kubernetes_pod_label_${sanitize(key)}`] = value
    labels[`__meta_kubernetes_pod_labelpresent_${sanitize(key)}`] = 'true'
  }
  return { targets: [target.address], labels }
}

interface TargetsAnswer {
  data?: { activeTargets?: { scrapeUrl?: string; health?: string; lastError?: string }[] }
}

export async function startPrometheus(opts: PrometheusOptions = {}): Promise<TestPrometheus> {
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`
  const dir = await mkdtemp(join(tmpdir(), 'canary-prometheus-'))
  const targetsFile = join(dir, 'targets.json')
  await writeFile(targetsFile, '[]')
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'kubernetes-pods',
        file_sd_configs: [{ files: [targetsFile], refresh_interval: '1s' }],
        relabel_configs: [
          { action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' },
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' }
        ]
      }
    ]
  }
  const configFile = join(dir, 'prometheus.yml')
  await writeFile(configFile, stringify(config))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = spawnLocal(PROMETHEUS_BINARY, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn'
  ])
  const stop = async (): Promise<void> => {
    await proc.stop()
    await rm(dir, { recursive: true, force: true })
  }

  const value = async (query: string): Promise<number | undefined> => {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`)
    const answer = (await response.json()) as {
      data?: { result?: { value: [number, string] }[] }
    }
    const result = answer.data?.result ?? []
    if (result.length > 1) throw new Error(`${query} gives ${result.length} series`)
    return result.length === 0 ? undefined : Number(result[0].value[1])
  }

  try {
    await waitUntil(
      'prometheus ready',
      async () => (await fetch(`${url}/-/ready`)).status === 200,
      proc,
      30_000
    )
  } catch (error) {
    await stop()
    throw error
  }

  return {
    url,
    pid: proc.child.pid ?? 0,
    dir,
    value,
    async setTargets(targets) {
      // Written whole and renamed, so discovery never reads half a file.
      await writeFile(`${targetsFile}.tmp`, JSON.stringify(targets.map(discovered)))
      await rename(`${targetsFile}.tmp`, targetsFile)
      const wanted = new Set(targets.map(t => `http://${t.address}/metrics`))
      let last = ''
      await waitUntil(
        'prometheus scraping every target',
        async () => {
          const answer = (await (await fetch(`${url}/api/v1/targets`)).json()) as TargetsAnswer
          const active = answer.data?.activeTargets ?? []
          last = JSON.stringify(active.map(t => [t.scrapeUrl, t.health, t.lastError]))
          const up = active.filter(t => t.health === 'up' && wanted.has(t.scrapeUrl ?? ''))
          return up.length === wanted.size && active.length === wanted.size
        },
        proc,
        30_000
      ).catch((error: Error) => {
        throw new Error(`${error.message} (targets: ${last})`)
      })
    },
    async waitFor(query, accept) {
      let last: number | undefined
      await waitUntil(
        `prometheus: ${query}`,
        async () => accept((last = await value(query))),
        proc,
        30_000
      ).catch((error: Error) => {
        throw new Error(`${error.message} (last value: ${last})`)
      })
    },
    stop
  }
}
