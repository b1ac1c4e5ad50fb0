/**
 * The Prometheus the analysis and drain-query ask: `prometheus-url` reached by the runner, or
 * `prometheus-service` reached through the API server's service proxy (k8s/proxy.ts).
 */
import { PrometheusClient, urlTransport } from '../analysis/prometheus.js'
import type { Cluster } from '../k8s/client.js'
import { describeProxiedService, serviceProxyTransport } from '../k8s/proxy.js'
import type { Settings } from '../settings.js'

/** undefined: no Prometheus given (settings refuses metric inputs without one). */
export function prometheusClient(
  settings: Pick<Settings, 'prometheus'>,
  cluster: Cluster
): PrometheusClient | undefined {
  const where = settings.prometheus
  if (!where) return undefined
  if ('url' in where) {
    return new PrometheusClient(urlTransport(where.url), {
      describe: `Prometheus at prometheus-url ${where.url}`
    })
  }
  return new PrometheusClient(serviceProxyTransport(cluster, where.service), {
    describe: `Prometheus at prometheus-service ${describeProxiedService(where.service)}`
  })
}
