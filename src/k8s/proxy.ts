/**
 * The API server's proxy: how the action reaches what runs inside the cluster without a network
 * path of its own into it, with the kubeconfig's credentials like every other API call.
 *
 *   a Service (Prometheus)   /api/v1/namespaces/NS/services/[https:]NAME:PORT/proxy/...   services/proxy
 *   one pod's port           /api/v1/namespaces/NS/pods/NAME:PORT/proxy/...               pods/proxy
 *
 * kube-apiserver resolves a Service port given by number or by name, but a pod port only by number
 * (it joins the pod IP with the port as given): callers resolve a named pod port first.
 * https://kubernetes.io/docs/tasks/access-application-cluster/access-cluster-services/#manually-constructing-apiserver-proxy-urls
 */
import { PrometheusError, type PrometheusTransport } from '../analysis/prometheus.js'
import type { Attempt } from './errors.js'
import { send, type Connection } from './rest.js'
import { knownResource, resourcePath } from './resources.js'

/** A Service port, reached through the service proxy. */
export interface ProxiedService {
  namespace: string
  name: string
  /** A port number or the Service port's name. */
  port: string
  scheme: 'http' | 'https'
}

/** What one proxied answer may weigh: a Prometheus instant query is a few series, never megabytes. */
const MAX_PROMETHEUS_BYTES = 4 * 1024 * 1024
/** A drain path answers one number. */
const MAX_POD_ANSWER_BYTES = 64 * 1024

/** `/api/v1/namespaces/monitoring/services/https:prometheus:web/proxy` */
export function serviceProxyPath(service: ProxiedService): string {
  const scheme = service.scheme === 'https' ? 'https:' : ''
  const services = resourcePath(knownResource('Service'), service.namespace)
  // Names and ports are DNS labels or numbers (settings checks them): nothing to escape, and the
  // colons must stay colons.
  return `${services}/${scheme}${service.name}:${service.port}/proxy`
}

/** How a proxied Service is named in messages: `Service monitoring/prometheus:9090 (service proxy)`. */
export function describeProxiedService(service: ProxiedService): string {
  const scheme = service.scheme === 'https' ? 'https:' : ''
  return `Service ${service.namespace}/${scheme}${service.name}:${service.port} (service proxy)`
}

/**
 * A Prometheus HTTP API behind a Service, through the service proxy. The API server's own refusals
 * (403 without services/proxy, 503 without a ready endpoint) come back as answers: the client reads
 * their Status message. Only a failure to reach the API server at all throws.
 */
export function serviceProxyTransport(
  conn: Connection,
  service: ProxiedService
): PrometheusTransport {
  const base = serviceProxyPath(service)
  const attempt: Attempt = {
    verb: 'get',
    resource: 'services/proxy',
    namespace: service.namespace,
    name: service.name
  }
  return async ({ path, params, signal }) => {
    const answer = await send(
      conn,
      {
        method: 'GET',
        path: `${base}${path}`,
        query: Object.fromEntries(params),
        signal,
        maxBytes: MAX_PROMETHEUS_BYTES
      },
      attempt
    )
    if (answer.cut) {
      throw new PrometheusError(
        `answered more than ${MAX_PROMETHEUS_BYTES / 1024 / 1024} MiB: a check's query gives a few series, never that many`
      )
    }
    return {
      status: answer.status,
      contentType: String(answer.headers['content-type'] ?? ''),
      body: answer.text
    }
  }
}

/**
 * The API server's proxy to one pod's port: `/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy`. The
 * port is a NUMBER: kube-apiserver joins the podIP with the port as given and never resolves a name.
 */
export function podProxyPath(namespace: string, pod: string, port: number): string {
  return `${resourcePath(knownResource('Pod'), namespace, pod)}:${port}/proxy`
}

/** podProxyPath on the API server `server` (the smoke checks' pod targets). */
export function podProxyUrl(server: string, namespace: string, pod: string, port: number): URL {
  return new URL(`${server.replace(/\/+$/, '')}${podProxyPath(namespace, pod, port)}`)
}

/** One pod's port, asked a path through the pod proxy (drain-path). */
export interface PodProxyEndpoint {
  name: string
  fetch(path: string, signal: AbortSignal): Promise<{ status: number; body: string }>
}

export function podProxyEndpoint(
  conn: Connection,
  namespace: string,
  pod: string,
  port: number
): PodProxyEndpoint {
  const base = podProxyPath(namespace, pod, port)
  const attempt: Attempt = { verb: 'get', resource: 'pods/proxy', namespace, name: pod }
  return {
    name: pod,
    async fetch(path, signal) {
      const answer = await send(
        conn,
        { method: 'GET', path: `${base}${path}`, signal, maxBytes: MAX_POD_ANSWER_BYTES },
        attempt
      )
      return { status: answer.status, body: answer.text }
    }
  }
}
