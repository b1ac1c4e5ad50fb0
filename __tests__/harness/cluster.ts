/**
 * The test cluster: an in-process kube-apiserver (with controllers, a scheduler and a scripted
 * kubelet) that tests reach through @kubernetes/client-node from a kubeconfig, as a real cluster.
 * See CONFORMANCE.md for what it reproduces and where that is documented.
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import type { KubernetesObject } from '@kubernetes/client-node'
import { Api } from './api.js'
import { Controllers } from './controllers.js'
import { readCrdFiles, serveCustomResources } from './crd.js'
import { EventRecorder } from './events.js'
import { GarbageCollector } from './gc.js'
import type { Faults } from './faults.js'
import { GatewayApiController, type GatewayController } from './gateway.js'
import { FakeKubelet, type Kubelet } from './kubelet.js'
import { serviceAccountUser, type Authorization, type RbacRole } from './rbac.js'
import { MUTATING, ApiServer, type RequestRecord } from './server.js'
import { Store } from './store.js'
import type { KObject } from './types.js'

export type { Faults } from './faults.js'
export type { Kubelet, PodBehaviour, PodMatch } from './kubelet.js'
export type { GatewayController, RouteMatch } from './gateway.js'
export type { RequestRecord } from './server.js'
export type { Authorization, PolicyRule, RbacRole } from './rbac.js'

export interface TestClusterOptions {
  /** run the Deployment/ReplicaSet/Job/Endpoints controllers; default true */
  controllers?: boolean
  /** created at start; default 'default' */
  namespace?: string
  /** bearer token required on every request; default 'test-token' */
  token?: string
  /** simulated container start time; default 20ms */
  podStartMs?: number
  /**
   * interval of BOOKMARK events on watches that allow them; default 60 s, the watch cache's
   * (one more comes 2 s before a watch's timeoutSeconds ends it)
   */
  bookmarkIntervalMs?: number
  /** how many change events watches can resume from; default 1000 */
  watchHistory?: number
  /** authorize every request against this Role (see enforceRole); default: everything allowed */
  role?: RbacRole
  /**
   * CustomResourceDefinition YAML files to apply at start: their kinds are served from their
   * schemas (crd.ts), as after `kubectl apply -f` on a real cluster
   */
  crds?: string[]
  /**
   * Gateway API v1.6.1: the official standard-channel CRDs (shared/gateway-api-v1.6.1) and, unless
   * `controller: false`, the gateway controller writing route status as `controllerName` (default
   * Envoy Gateway's, gateway.envoyproxy.io/gatewayclass-controller)
   */
  gatewayApi?: boolean | { controller?: boolean; controllerName?: string }
}

/** The official Gateway API standard-channel CRDs (GatewayClass, Gateway, HTTPRoute, ReferenceGrant). */
export const GATEWAY_API_CRDS_DIR = path.resolve(
  process.cwd(),
  '..',
  'shared',
  'gateway-api-v1.6.1'
)

export function gatewayApiCrdFiles(): string[] {
  return readdirSync(GATEWAY_API_CRDS_DIR)
    .filter(f => f.endsWith('.yaml'))
    .sort()
    .map(f => path.join(GATEWAY_API_CRDS_DIR, f))
}

export interface TestCluster {
  /** http://127.0.0.1:<random port> */
  url: string
  /** cluster 'test' (server url), user 'test' (token), context 'test' with the namespace */
  kubeconfig: string
  /** create or replace, bypassing HTTP (not recorded); controllers react */
  put(obj: KubernetesObject): KubernetesObject
  get<T = KubernetesObject>(kind: string, namespace: string, name: string): T | undefined
  list<T = KubernetesObject>(kind: string, namespace: string, labelSelector?: string): T[]
  remove(kind: string, namespace: string, name: string): void
  /** every HTTP request, in order */
  requests: RequestRecord[]
  resetRequests(): void
  /** create/update/patch/delete/deletecollection requests that were not dryRun */
  writes(): RequestRecord[]
  /**
   * Calls listener with each request as it arrives, before faults are taken, so a fault injected
   * here already meets this request. Returns the unsubscribe function.
   */
  onRequest(listener: (record: RequestRecord) => void): () => void
  kubelet: Kubelet
  faults: Faults
  /** the Gateway API controller (with `gatewayApi`), undefined otherwise */
  gateway: GatewayController | undefined
  /**
   * From now on, authorize every resource request against this Role, as the token's user (default
   * system:serviceaccount:<role namespace>:<role name>); anything else is 403 Forbidden. Undefined
   * lifts it (everything allowed again).
   */
  enforceRole(role: RbacRole | undefined, user?: string): void
  /**
   * Every request the enforced Role allowed since the cluster started, in order: the user, and the
   * apiGroup, resource (`pods/log` for a subresource) and verb a rule granted it. A server-side
   * apply that created its object appears twice, as patch and as create.
   */
  authorized: Authorization[]
  /** Watch streams still open (after letting closes in flight land, up to waitMs). */
  openWatches(waitMs?: number): Promise<number>
  /** resolves when controllers, garbage collection and the kubelet have nothing pending */
  settle(): Promise<void>
  stop(): Promise<void>
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const namespace = opts.namespace ?? 'default'
  const token = opts.token ?? 'test-token'
  const store = new Store(opts.watchHistory ?? 1000)
  const api = new Api(store)
  const events = new EventRecorder(api)
  const server = new ApiServer(api, {
    token,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000
  })
  const kubelet = new FakeKubelet(api, events, opts.podStartMs ?? 20)
  server.runtime = kubelet
  const controllers = opts.controllers === false ? undefined : new Controllers(api, events)
  const gc = new GarbageCollector(api)

  for (const ns of new Set(['default', 'kube-system', namespace])) {
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
  }
  const gatewayOpts = opts.gatewayApi === true ? {} : opts.gatewayApi || undefined
  const crdFiles = [...(gatewayOpts ? gatewayApiCrdFiles() : []), ...(opts.crds ?? [])]
  const stopServingCrds = serveCustomResources(api)
  const crdType = api.kindOf('CustomResourceDefinition')
  for (const crd of readCrdFiles(crdFiles)) {
    api.create(crdType, undefined, crd, { fieldManager: 'kubectl' })
  }
  const gateway =
    gatewayOpts && gatewayOpts.controller !== false
      ? new GatewayApiController(api, gatewayOpts.controllerName)
      : undefined
  // The history starts now, as a fresh apiserver's watch cache: older revisions are compacted.
  api.store.compact()
  kubelet.start()
  gc.start()
  controllers?.start()
  gateway?.start()
  await server.listen()

  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server.url}`,
    // client-node 2.x refuses plain http unless TLS verification is off; the server is loopback-only.
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: test',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: test',
    `    namespace: ${namespace}`,
    'current-context: test',
    ''
  ].join('\n')

  const idle = (): boolean =>
    (controllers?.idle ?? true) &&
    (gateway?.idle ?? true) &&
    kubelet.idle &&
    !kubelet.serversStarting &&
    api.pendingGC === 0

  const cluster: TestCluster = {
    url: server.url,
    kubeconfig,
    put: obj => api.put(obj as unknown as KObject) as unknown as KubernetesObject,
    get: <T>(kind: string, ns: string, name: string) =>
      api.store.get(api.kindOf(kind), ns || undefined, name) as T | undefined,
    // An empty namespace lists every namespace.
    list: <T>(kind: string, ns: string, labelSelector?: string) =>
      api.list(api.kindOf(kind), ns || undefined, { labelSelector }) as unknown as T[],
    remove: (kind, ns, name) => {
      const t = api.kindOf(kind)
      if (api.store.get(t, ns, name)) api.delete(t, ns, name, { propagationPolicy: 'Background' })
    },
    requests: server.requests,
    resetRequests: () => {
      server.requests.length = 0
    },
    writes: () => server.requests.filter(r => MUTATING.includes(r.verb) && !r.dryRun),
    onRequest: listener => {
      server.listeners.add(listener)
      return () => server.listeners.delete(listener)
    },
    kubelet,
    faults: server.faults,
    gateway,
    enforceRole: (role, user) => {
      server.rbac = role ? { role, user: user ?? serviceAccountUser(role) } : undefined
    },
    authorized: server.authorized,
    openWatches: waitMs => server.openWatches(waitMs),
    settle: async () => {
      // Two idle observations in a row, a macrotask apart: work queued by the last step has run.
      let quiet = 0
      while (quiet < 2) {
        await new Promise(r => setTimeout(r, 1))
        quiet = idle() ? quiet + 1 : 0
      }
    },
    stop: async () => {
      controllers?.stop()
      gateway?.stop()
      stopServingCrds()
      gc.stop()
      await kubelet.stop()
      await server.close()
    }
  }
  if (opts.role) cluster.enforceRole(opts.role)
  return cluster
}
