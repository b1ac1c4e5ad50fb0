/**
 * Object builders for tests: a stable Deployment as the cluster contract (DESIGN.md) describes it,
 * a Job and a Service. Plain objects, ready for cluster.put() or a client-node create.
 */
import type {
  V1Deployment,
  V1DeploymentStrategy,
  V1Endpoints,
  V1Job,
  V1Pod,
  V1Service
} from '@kubernetes/client-node'
import { LABEL_APP, LABEL_TRACK } from '../../src/k8s/labels.js'

export interface DeploymentOptions {
  namespace?: string
  image?: string
  replicas?: number
  /** the `app` label; default: the name */
  app?: string
  /** canary-deploy.dev/track; default 'stable' */
  track?: 'stable' | 'canary'
  containerName?: string
  port?: number
  env?: Record<string, string>
  /** envFrom secretRef names */
  secrets?: string[]
  /** envFrom configMapRef names */
  configMaps?: string[]
  readinessPath?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  progressDeadlineSeconds?: number
  strategy?: V1DeploymentStrategy
}

export function deployment(name: string, opts: DeploymentOptions = {}): V1Deployment {
  const app = opts.app ?? name
  const track = opts.track ?? 'stable'
  const port = opts.port ?? 8080
  const selector = { [LABEL_APP]: app, [LABEL_TRACK]: track }
  const env = Object.entries(opts.env ?? { LOG_LEVEL: 'info' }).map(([k, value]) => ({
    name: k,
    value
  }))
  const envFrom = [
    ...(opts.secrets ?? [`${app}-secrets`]).map(s => ({ secretRef: { name: s } })),
    ...(opts.configMaps ?? []).map(c => ({ configMapRef: { name: c } }))
  ]
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      labels: { ...selector, ...(opts.labels ?? {}) },
      ...(opts.annotations ? { annotations: opts.annotations } : {})
    },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: selector },
      ...(opts.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: opts.progressDeadlineSeconds }
        : {}),
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      template: {
        metadata: { labels: { ...selector } },
        spec: {
          containers: [
            {
              name: opts.containerName ?? 'app',
              image: opts.image ?? `registry.example.com/${app}:1.0.0`,
              ports: [{ name: 'http', containerPort: port }],
              env,
              envFrom,
              readinessProbe: { httpGet: { path: opts.readinessPath ?? '/healthz', port } }
            }
          ]
        }
      }
    }
  }
}

export interface JobOptions {
  namespace?: string
  image?: string
  command?: string[]
  backoffLimit?: number
  activeDeadlineSeconds?: number
  labels?: Record<string, string>
  restartPolicy?: 'Never' | 'OnFailure'
}

export function job(name: string, opts: JobOptions = {}): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      ...(opts.labels ? { labels: opts.labels } : {})
    },
    spec: {
      backoffLimit: opts.backoffLimit ?? 0,
      ...(opts.activeDeadlineSeconds !== undefined
        ? { activeDeadlineSeconds: opts.activeDeadlineSeconds }
        : {}),
      template: {
        metadata: opts.labels ? { labels: opts.labels } : {},
        spec: {
          restartPolicy: opts.restartPolicy ?? 'Never',
          containers: [
            {
              name: 'migrate',
              image: opts.image ?? 'registry.example.com/app:1.0.0',
              command: opts.command ?? ['./migrate']
            }
          ]
        }
      }
    }
  }
}

export interface ServiceOptions {
  namespace?: string
  /** selector; default { app: name } */
  selector?: Record<string, string>
  port?: number
  targetPort?: number | string
}

export function service(name: string, opts: ServiceOptions = {}): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.namespace ?? 'default', labels: { [LABEL_APP]: name } },
    spec: {
      selector: opts.selector ?? { [LABEL_APP]: name },
      ports: [{ name: 'http', port: opts.port ?? 80, targetPort: opts.targetPort ?? 8080 }]
    }
  }
}

export interface LocalBackendOptions {
  namespace?: string
  /** the port a process listens on at 127.0.0.1 */
  port: number
  /** the Service's port; default 80 */
  servicePort?: number
  /** the Service (and Endpoints) port name; default 'http' */
  portName?: string
}

/**
 * A selector-less Service whose hand-written Endpoints reach a real process on 127.0.0.1:port
 * through the API server's service proxy (`/api/v1/namespaces/NS/services/NAME:PORTNAME/proxy/...`).
 * kube-apiserver only proxies to endpoint addresses that are pods holding that IP
 * (isValidAddress), so the Endpoints name a pod reporting 127.0.0.1, bound and Ready, as a
 * host-network pod on the API server's node would. Objects for cluster.put(), in order.
 */
export function localBackend(
  name: string,
  opts: LocalBackendOptions
): [V1Pod, V1Service, V1Endpoints] {
  const namespace = opts.namespace ?? 'default'
  const portName = opts.portName ?? 'http'
  const podName = `${name}-local`
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName, namespace, labels: { 'canary-deploy.dev/local': name } },
    spec: {
      nodeName: 'test-node',
      hostNetwork: true,
      containers: [{ name, image: 'local', ports: [{ name: portName, containerPort: opts.port }] }]
    },
    status: {
      phase: 'Running',
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      conditions: [{ type: 'Ready', status: 'True' }]
    }
  }
  const svc: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ports: [{ name: portName, port: opts.servicePort ?? 80, targetPort: opts.port }] }
  }
  const endpoints: V1Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace },
    subsets: [
      {
        addresses: [{ ip: '127.0.0.1', targetRef: { kind: 'Pod', namespace, name: podName } }],
        ports: [{ name: portName, port: opts.port, protocol: 'TCP' }]
      }
    ]
  }
  return [pod, svc, endpoints]
}
