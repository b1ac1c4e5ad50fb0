/**
 * A shop with a web and a worker Deployment on the test cluster, and a way to run any command
 * against it exactly as the CLI does (input names -> runCommand).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node'
import type { CommandContext, CommandResult } from '../../src/commands/types.js'
import { MemoryLogger } from '../../src/logger.js'
import { runCommand } from '../../src/run-command.js'
import { startTestCluster, type TestCluster, type TestClusterOptions } from '../harness/cluster.js'

export const NAMESPACE = 'shop'
export const STABLE_IMAGE = `registry.example.com/shop@sha256:${'1'.repeat(64)}`
export const NEW_DIGEST = `sha256:${'2'.repeat(64)}`
export const NEW_IMAGE = `registry.example.com/shop@${NEW_DIGEST}`
export const VERSION_LABEL = 'canary-deploy.dev/version'

export function stableDeployment(
  name: string,
  opts: { replicas?: number; port?: boolean } = {}
): V1Deployment {
  const labels = { app: name, 'canary-deploy.dev/track': 'stable' }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'app',
              image: STABLE_IMAGE,
              env: [{ name: 'APP_VERSION', value: 'v1' }],
              envFrom: [{ secretRef: { name: 'shop-db' } }],
              ...(opts.port === false
                ? {}
                : {
                    ports: [{ name: 'http', containerPort: 8080 }],
                    readinessProbe: { httpGet: { path: '/health', port: 8080 } }
                  })
            }
          ]
        }
      }
    }
  }
}

/** The example app, as each simulated pod would serve it: /health, and /version from its release. */
export function exampleApp(
  version: (pod: V1Pod) => string,
  healthStatus: number | ((pod: V1Pod) => number) = 200
) {
  return (pod: V1Pod) => (req: IncomingMessage, res: ServerResponse) => {
    const health = typeof healthStatus === 'number' ? healthStatus : healthStatus(pod)
    if (req.url?.startsWith('/health')) {
      res.writeHead(health)
      res.end(health === 200 ? 'ok' : 'down')
    } else if (req.url?.startsWith('/version')) {
      res.end(version(pod))
    } else {
      res.writeHead(404)
      res.end('not found')
    }
  }
}

/** Canary pods answer with the version they were deployed as; stable pods with v1. */
export const releaseVersion = (pod: V1Pod): string => pod.metadata?.labels?.[VERSION_LABEL] ?? 'v1'

export interface Shop {
  cluster: TestCluster
  /** What /health of the canary's pods answers from now on (pods keep their server). */
  canaryHealth: { status: number }
  run(
    command: string,
    inputs?: Record<string, string>,
    env?: Record<string, string>,
    /** What the action's entries add: the post step's state (checkpoint, abandoned), a signal. */
    extra?: Partial<Pick<CommandContext, 'checkpoint' | 'abandoned' | 'signal'>>
  ): Promise<CommandResult & { logs: string[] }>
  stableSpecs(): string
  stop(): Promise<void>
}

/**
 * The shop on a test cluster: its stable Deployments as stableDeployment makes them, or, given
 * `objects` (a release's manifests, as `kubectl apply` left them), those objects. `opts`: the
 * test cluster's options (`gatewayApi` for the gateway strategy); shop-web pods answer as
 * exampleApp does, or as `serve` makes each of them answer.
 */
export async function startShop(
  deployments = ['shop-web', 'shop-worker'],
  objects?: KubernetesObject[],
  opts: Omit<TestClusterOptions, 'namespace'> & { serve?: (pod: V1Pod) => RequestListener } = {}
): Promise<Shop> {
  const { serve, ...options } = opts
  const cluster = await startTestCluster({ ...options, namespace: NAMESPACE })
  if (objects) for (const object of objects) cluster.put(object)
  else
    for (const name of deployments)
      cluster.put(stableDeployment(name, { port: name.endsWith('web') }))
  const canaryHealth = { status: 200 }
  const isCanary = (pod: V1Pod) => pod.metadata?.labels?.['canary-deploy.dev/track'] === 'canary'
  cluster.kubelet.serve(
    { label: { app: 'shop-web' } },
    serve ?? exampleApp(releaseVersion, pod => (isCanary(pod) ? canaryHealth.status : 200))
  )
  // A migration container that runs to the end exits 0.
  cluster.kubelet.behave({ pod: /-migrate-/ }, { kind: 'succeed', logs: ['migrated'] })
  await cluster.settle()
  const stableSpecs = () =>
    JSON.stringify(
      deployments.map(name => cluster.get<V1Deployment>('Deployment', NAMESPACE, name)?.spec)
    )
  return {
    cluster,
    canaryHealth,
    stableSpecs,
    async run(command, inputs = {}, env = {}, extra = {}) {
      const values: Record<string, string> = {
        command,
        app: 'shop',
        namespace: NAMESPACE,
        deployments: deployments.join(','),
        kubeconfig: cluster.kubeconfig,
        image: NEW_IMAGE,
        build: 'false',
        version: 'v2',
        'smoke-timeout': '3s',
        timeout: '20s',
        ...inputs
      }
      const logger = new MemoryLogger()
      const result = await runCommand(name => values[name] ?? '', {
        logger,
        env: { GITHUB_WORKSPACE: process.cwd(), ...env },
        signal: new AbortController().signal,
        ...extra
      })
      // A command that returned must have closed every watch it opened: one left open keeps a real
      // runner's process alive until the server ends it (minutes of every job).
      const open = await cluster.openWatches()
      if (open > 0)
        throw new Error(`${command} returned with ${open} watch connection(s) still open`)
      return { ...result, logs: logger.lines }
    },
    stop: () => cluster.stop()
  }
}
