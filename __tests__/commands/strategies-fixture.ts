/**
 * What the ingress and rainbow strategies need beside the shop of fixture.ts: the web Service and
 * the Ingress in front of it, as a real cluster would have them before the first canary.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { V1Deployment, V1Endpoints, V1Ingress, V1Service } from '@kubernetes/client-node'
import type { RbacRole, RequestRecord } from '../harness/cluster.js'
import { NAMESPACE, stableDeployment, type Shop } from './fixture.js'

export const STABLE_HOST = 'shop.example.com'
export const CANARY_HOST = 'canary.example.com'
export const TLS_SECRET = 'wildcard-example-com'

/** Service shop-web on port 80 -> 8080, selecting the given labels (default: app and track stable). */
export function putWebService(
  shop: Shop,
  selector: Record<string, string> = { app: 'shop-web', 'canary-deploy.dev/track': 'stable' }
): V1Service {
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'shop-web', namespace: NAMESPACE, labels: { app: 'shop-web' } },
    spec: {
      selector,
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]
    }
  }
  shop.cluster.put(service)
  return service
}

/** Ingress shop-web: class nginx, TLS from a wildcard secret, shop.example.com/ -> shop-web:http. */
export function putWebIngress(shop: Shop): V1Ingress {
  const ingress: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop-web', namespace: NAMESPACE },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [STABLE_HOST], secretName: TLS_SECRET }],
      rules: [
        {
          host: STABLE_HOST,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'shop-web', port: { name: 'http' } } }
              }
            ]
          }
        }
      ]
    }
  }
  shop.cluster.put(ingress)
  return ingress
}

export const get = {
  deployment: (shop: Shop, name: string) =>
    shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, name),
  service: (shop: Shop, name: string) => shop.cluster.get<V1Service>('Service', NAMESPACE, name),
  ingress: (shop: Shop, name: string) => shop.cluster.get<V1Ingress>('Ingress', NAMESPACE, name),
  /** Names of the pods a Service's Endpoints list (ready addresses). */
  endpointPods: (shop: Shop, name: string): string[] =>
    (shop.cluster.get<V1Endpoints>('Endpoints', NAMESPACE, name)?.subsets ?? [])
      .flatMap(subset => subset.addresses ?? [])
      .map(address => address.targetRef?.name ?? '')
      .sort()
}

/** Writes (not reads) that reached an object, as `verb resource/name`, leases left out. */
export function writesTo(shop: Shop, resource: string, name?: string): string[] {
  return shop.cluster
    .writes()
    .filter(w => w.resource === resource && (name === undefined || w.name === name))
    .map(w => `${w.verb} ${w.resource}/${w.name}`)
}

const HOUR = 3_600_000

export interface SeededRelease {
  /** Hours since it went live; undefined: never promoted. */
  releasedHoursAgo?: number
  /** Hours since it was replaced; undefined: live (or never promoted). */
  replacedHoursAgo?: number
  /** Its pods; default 0 (the history alone). */
  replicas?: number
  /** Its release label; default `id`. */
  label?: string
  /** Labels its pods carry beside app and the release label. */
  podLabels?: Record<string, string>
}

/** A rainbow release shop-web-<id> as deploy and promote leave it. */
export function seedRelease(shop: Shop, id: string, opts: SeededRelease = {}): void {
  const base = stableDeployment('shop-web')
  const ago = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString()
  // The release label: the release Deployment's name (`<sha6>` for releases made before that).
  const labels = { app: 'shop-web', 'canary-deploy.dev/release': opts.label ?? id }
  const release: V1Deployment = {
    ...base,
    metadata: {
      name: `shop-web-${id}`,
      namespace: NAMESPACE,
      labels: { ...labels, 'canary-deploy.dev/release-of': 'shop-web' },
      annotations: {
        ...(opts.releasedHoursAgo !== undefined
          ? { 'canary-deploy.dev/released-at': ago(opts.releasedHoursAgo) }
          : {}),
        ...(opts.replacedHoursAgo !== undefined
          ? { 'canary-deploy.dev/replaced-at': ago(opts.replacedHoursAgo) }
          : {})
      }
    },
    spec: {
      ...base.spec!,
      replicas: opts.replicas ?? 0,
      selector: { matchLabels: labels },
      template: { ...base.spec!.template, metadata: { labels: { ...opts.podLabels, ...labels } } }
    }
  }
  shop.cluster.put(release)
}

/** promote from a shell: the cluster credentials are the approval. */
export const PROMOTE = { approve: 'true', version: 'v2' }

export interface Write {
  verb: string
  resource: string
  name: string
}

/**
 * Once `after` has been written, the next write to `target` is refused (403: not transient, so not
 * retried), and from the request after it the cluster allows everything again: an API server
 * failing one write part way through a command's writes.
 */
export function failWriteAfter(shop: Shop, after: Write, target: Write): void {
  const matches = (record: RequestRecord, write: Write) =>
    record.verb === write.verb && record.resource === write.resource && record.name === write.name
  let armed = false
  let refused = false
  const stop = shop.cluster.onRequest(record => {
    if (refused) {
      shop.cluster.enforceRole(undefined)
      stop()
      return
    }
    if (armed && matches(record, target)) {
      refused = true
      shop.cluster.enforceRole(everythingBut(target))
    }
    if (matches(record, after)) armed = true
  })
}

/** A Role that allows every verb but the write's (it is enforced for that one request only). */
function everythingBut(write: Write): RbacRole {
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']
  return {
    metadata: { name: 'all-but-one', namespace: NAMESPACE },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: verbs.filter(v => v !== write.verb) }]
  }
}

/** A registry on 127.0.0.1 that knows one tag: `<host>/<repository>:<tag>` is `digest`. */
export async function serveImageTag(
  repository: string,
  tag: string,
  digest: string
): Promise<{ host: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const known = req.url === `/v2/${repository}/manifests/${tag}`
    res.writeHead(known ? 200 : 404, known ? { 'docker-content-digest': digest } : {})
    res.end()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return { host, close: () => new Promise(resolve => server.close(() => resolve())) }
}
