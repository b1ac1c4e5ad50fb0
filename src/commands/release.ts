/**
 * What deploy, promote and rollback share about one release of one app: where it comes from, which
 * Deployments it touches, its canaries, and the checks and clean-up around them.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node'
import { list, read, remove } from '../k8s/objects.js'
import type { Cluster } from '../k8s/client.js'
import { canaryName, LABEL_TRACK } from '../k8s/labels.js'
import { targetContainer } from '../k8s/render.js'
import { isPodReady, podProxyUrl } from '../k8s/pods.js'
import { selectorString } from '../k8s/selectors.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings.js'
import {
  podProxyTarget,
  smokeCheck,
  summarizeSmoke,
  urlTarget,
  type SmokeResult
} from '../smoke.js'

/** `owner/repo@sha run:<id>`: recorded on everything written (canary-deploy.dev/source). */
export function sourceOf(settings: Settings): string {
  const { repository, sha, runId } = settings.source
  return `${repository || 'local'}@${sha ? sha.slice(0, 12) : 'unknown'} run:${runId || 'local'}`
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The live stable Deployments, in the order given; a missing one is an error naming it. */
export async function readStables(cluster: Cluster, settings: Settings): Promise<V1Deployment[]> {
  const stables: V1Deployment[] = []
  for (const name of settings.deployments) {
    const stable = await read<V1Deployment>(cluster, { kind: 'Deployment', name })
    if (!stable) {
      throw new Error(
        `Deployment ${name} not found in namespace ${cluster.namespace}: the deployments input names the stable Deployments, which must exist before a canary can be derived from them`
      )
    }
    // Fails early, naming the Deployment, when the container input matches nothing.
    targetContainer(
      stable.spec?.template.spec ?? { containers: [] },
      settings.container,
      `Deployment ${name}`
    )
    stables.push(stable)
  }
  return stables
}

export async function readCanary(
  cluster: Cluster,
  stable: string
): Promise<V1Deployment | undefined> {
  return read<V1Deployment>(cluster, { kind: 'Deployment', name: canaryName(stable) })
}

/** Deletes the canary Deployments (their pods go with them); says which ones existed. */
export async function removeCanaries(
  cluster: Cluster,
  deployments: string[],
  logger: Logger
): Promise<string[]> {
  const removed: string[] = []
  for (const stable of deployments) {
    const name = canaryName(stable)
    if (await remove(cluster, { kind: 'Deployment', name })) {
      logger.info(`${name}: deleted`)
      removed.push(name)
    }
  }
  return removed
}

/** The canary's pods that can be checked: running, ready, not terminating. */
export async function canaryPods(
  cluster: Cluster,
  canary: V1Deployment,
  labelSelector = `${selectorString(canary.spec?.selector)},${LABEL_TRACK}=canary`
): Promise<V1Pod[]> {
  const pods = await list<V1Pod>(cluster, { kind: 'Pod' }, labelSelector)
  return pods.filter(isPodReady)
}

/** The port the pod proxy calls, as given: the input, else the target container's first port. */
function smokePort(canary: V1Deployment, settings: Settings): number | string {
  if (settings.smoke.port !== undefined) return settings.smoke.port
  const container = targetContainer(
    canary.spec?.template.spec ?? { containers: [] },
    settings.container
  )
  const port = container.ports?.[0]
  if (!port) {
    throw new Error(
      `container ${container.name} of ${canary.metadata?.name} declares no port to smoke-check: set smoke-port, or smoke-url`
    )
  }
  return port.name ?? port.containerPort
}

/**
 * The port NUMBER of that pod: kube-apiserver's pod proxy joins the podIP with the port as given and
 * never resolves a name (a named port breaks the connection), so a name is looked up in the pod's own
 * spec, per pod.
 */
export function podPortNumber(pod: V1Pod, port: number | string): number {
  if (typeof port === 'number') return port
  const ports = (pod.spec?.containers ?? []).flatMap(container => container.ports ?? [])
  const named = ports.find(candidate => candidate.name === port)
  if (named) return named.containerPort
  const declared = ports.map(p =>
    p.name ? `${p.name}=${p.containerPort}` : String(p.containerPort)
  )
  throw new Error(
    `pod ${pod.metadata?.name} has no container port named ${port} (its ports: ${declared.join(', ') || 'none'}): set smoke-port to one of them`
  )
}

export interface SmokeOutcome {
  ok: boolean
  results: SmokeResult[]
  summary: string
}

/**
 * Checks the web canary: each pod on its own through the API server's pod proxy (stable pods never
 * answer for it), or smoke-url when given.
 */
export async function smokeCanary(
  cluster: Cluster,
  canary: V1Deployment,
  settings: Settings,
  logger: Logger,
  signal?: AbortSignal,
  /** Which pods are the release's (rainbow pods carry no track label); default its canary pods. */
  podSelector?: string
): Promise<SmokeOutcome> {
  let targets
  if (settings.smoke.url) {
    targets = [urlTarget(settings.smoke.url)]
  } else {
    const pods = await canaryPods(cluster, canary, podSelector)
    if (pods.length === 0)
      throw new Error(`${canary.metadata?.name} has no ready pod to smoke-check`)
    const port = smokePort(canary, settings)
    targets = pods.map(pod =>
      podProxyTarget(
        cluster.kubeConfig,
        podProxyUrl(
          cluster.server,
          cluster.namespace,
          pod.metadata?.name ?? '',
          podPortNumber(pod, port)
        ),
        pod.metadata?.name ?? ''
      )
    )
  }
  const results = await smokeCheck(targets, {
    healthPath: settings.smoke.healthPath,
    versionPath: settings.smoke.versionPath,
    expectedVersion: settings.smoke.expectedVersion,
    timeoutMs: settings.smoke.timeoutMs,
    logger,
    signal
  })
  const summary = summarizeSmoke(results)
  for (const line of summary.split('\n')) logger.info(line)
  return { ok: results.every(result => result.ok), results, summary }
}

/** The exact workflow_dispatch inputs and CLI line that promote or roll back this release. */
export function promoteInstructions(settings: Settings, digest: string): string {
  const cliFlags = [
    `--app ${settings.app}`,
    `--namespace ${settings.cluster.namespace}`,
    `--deployments ${settings.deployments.join(',')}`,
    `--version ${settings.version}`,
    `--digest ${digest}`
  ].join(' ')
  return [
    'Run the promote workflow (workflow_dispatch) with:',
    '',
    '| input | value |',
    '| --- | --- |',
    '| `command` | `promote` (or `rollback`) |',
    `| \`version\` | \`${settings.version}\` |`,
    `| \`digest\` | \`${digest}\` |`,
    '| `approve` | `true` |',
    '',
    'or from a shell with cluster access:',
    '',
    '```sh',
    `canary-deploy promote ${cliFlags} --approve true`,
    `canary-deploy rollback --app ${settings.app} --namespace ${settings.cluster.namespace} --deployments ${settings.deployments.join(',')}`,
    '```'
  ].join('\n')
}
