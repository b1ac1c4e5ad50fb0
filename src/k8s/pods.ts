/**
 * Pods: whether one is ready, and why pods are not getting there, in a person's words (the way
 * Shopify's krane words it): the container, its exit code, the image, the missing Secret, the
 * scheduler's message, and the last lines of the log. A verdict is `certain` when waiting longer
 * cannot help (a crash loop, an image that cannot be pulled, a missing Secret, OOMKilled): callers
 * fail fast on it.
 */
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node'
import type { Attempt } from './errors.js'
import { type Connection, requestText } from './rest.js'
import { knownResource, resourcePath } from './resources.js'

export interface Verdict {
  /** True when waiting cannot help: fail now. */
  certain: boolean
  /** A short machine word: CrashLoopBackOff, ImagePullBackOff, Unschedulable... */
  reason: string
  /** What a person reads: what is wrong, where, and what to check. */
  message: string
  pod?: string
}

/** A problem found in the pod objects alone, before any log is fetched. */
export interface Finding extends Verdict {
  container?: string
  /** Whose log to append, and how much of it. */
  log?: { pod: string; container: string; previous: boolean; lines: number }
}

/** A crash loop becomes certain once the container was restarted this many times. */
export const CRASHLOOP_RESTARTS = 2
export const CRASH_LOG_LINES = 20

export function isPodReady(pod: V1Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    (pod.status?.conditions ?? []).some(c => c.type === 'Ready' && c.status === 'True')
  )
}

export function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? '(unnamed pod)'
}

function containerSpec(pod: V1Pod, name: string): V1Container | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    c => c.name === name
  )
}

function describeProbe(container: V1Container | undefined): string {
  const probe = container?.readinessProbe
  if (!probe) return 'its readiness probe'
  if (probe.httpGet) {
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase()
    return `its readiness probe (GET ${scheme}://:${String(probe.httpGet.port)}${probe.httpGet.path ?? '/'})`
  }
  if (probe.tcpSocket) return `its readiness probe (TCP port ${String(probe.tcpSocket.port)})`
  if (probe.exec) return `its readiness probe (exec ${(probe.exec.command ?? []).join(' ')})`
  if (probe.grpc) return `its readiness probe (gRPC port ${probe.grpc.port})`
  return 'its readiness probe'
}

/** `Secret "db" is missing` from the kubelet's `secret "db" not found`. */
function missingReference(message: string): string | undefined {
  const notFound = /(secret|configmap)s? "([^"]+)" not found/i.exec(message)
  if (notFound)
    return `${notFound[1].toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap'} "${notFound[2]}" does not exist`
  const missingKey = /couldn't find key (\S+) in (Secret|ConfigMap) ([^\s/]+)\/(\S+)/i.exec(message)
  if (missingKey) return `${missingKey[2]} "${missingKey[4]}" has no key "${missingKey[1]}"`
  return undefined
}

const NOT_PULLABLE =
  /not found|manifest unknown|does not exist|unauthorized|denied|no such host|invalid reference/i

/** What is wrong with one container of a pod, if anything. */
function containerFinding(pod: V1Pod, status: V1ContainerStatus): Finding | undefined {
  const name = podName(pod)
  const c = status.name
  const waiting = status.state?.waiting
  const terminated = status.state?.terminated
  const last = status.lastState?.terminated
  const spec = containerSpec(pod, c)

  if (terminated?.reason === 'OOMKilled' || last?.reason === 'OOMKilled') {
    const limit = spec?.resources?.limits?.memory
    return {
      certain: true,
      reason: 'OOMKilled',
      pod: name,
      container: c,
      message:
        `container "${c}" in pod ${name} was killed for running out of memory (OOMKilled${limit ? `, memory limit ${limit}` : ''}; ` +
        `restarted ${status.restartCount} times). Raise resources.limits.memory or make it use less.`,
      log: { pod: name, container: c, previous: !terminated, lines: CRASH_LOG_LINES }
    }
  }
  switch (waiting?.reason) {
    case 'CrashLoopBackOff': {
      const exit = last
        ? `it exited with code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}`
        : 'it keeps exiting'
      return {
        certain: status.restartCount >= CRASHLOOP_RESTARTS,
        reason: 'CrashLoopBackOff',
        pod: name,
        container: c,
        message: `container "${c}" in pod ${name} is crash-looping: ${exit} and was restarted ${status.restartCount} times.`,
        log: { pod: name, container: c, previous: true, lines: CRASH_LOG_LINES }
      }
    }
    case 'ImagePullBackOff':
    case 'ErrImagePull':
    case 'InvalidImageName': {
      const image = spec?.image ?? status.image
      const detail = waiting.message ? `: ${waiting.message}` : ''
      return {
        certain: waiting.reason !== 'ErrImagePull' || NOT_PULLABLE.test(waiting.message ?? ''),
        reason: waiting.reason,
        pod: name,
        container: c,
        message:
          `pod ${name} cannot pull image "${image}" for container "${c}" (${waiting.reason}${detail}). ` +
          'Was it pushed, under that exact tag or digest, and can the cluster pull from that registry (imagePullSecrets)?'
      }
    }
    case 'CreateContainerConfigError': {
      const text = waiting.message ?? ''
      const missing = missingReference(text)
      return {
        certain: true,
        reason: 'CreateContainerConfigError',
        pod: name,
        container: c,
        message: missing
          ? `container "${c}" in pod ${name} cannot start: ${missing} in namespace ${pod.metadata?.namespace ?? ''} (${text}). Create it, or fix the reference in the pod template.`
          : `container "${c}" in pod ${name} cannot start because its configuration is invalid (CreateContainerConfigError${text ? `: ${text}` : ''}).`
      }
    }
    case 'CreateContainerError':
    case 'RunContainerError':
      return {
        certain: false,
        reason: waiting.reason,
        pod: name,
        container: c,
        message: `container "${c}" in pod ${name} cannot start (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}).`
      }
  }
  if (terminated && terminated.exitCode !== 0 && pod.spec?.restartPolicy !== 'Always') {
    return {
      certain: false,
      reason: 'Error',
      pod: name,
      container: c,
      message: `container "${c}" in pod ${name} exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}.`,
      log: { pod: name, container: c, previous: false, lines: CRASH_LOG_LINES }
    }
  }
  if (status.state?.running && !status.ready && spec?.readinessProbe) {
    return {
      certain: false,
      reason: 'ReadinessProbeFailing',
      pod: name,
      container: c,
      message: `container "${c}" in pod ${name} is running but not ready: ${describeProbe(spec)} is failing.`
    }
  }
  return undefined
}

/** The problems the pod objects show, most telling first (certain before transient). */
export function findPodProblems(pods: V1Pod[]): Finding[] {
  const findings: Finding[] = []
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue
    const name = podName(pod)
    const reason = pod.status?.reason
    if (reason === 'Evicted' || reason === 'Preempting') {
      findings.push({
        certain: false,
        reason,
        pod: name,
        message: `pod ${name} was ${reason === 'Evicted' ? 'evicted' : 'preempted'}${pod.status?.message ? `: ${pod.status.message}` : ''}; it will be replaced.`
      })
      continue
    }
    const statuses = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? [])
    ]
    for (const status of statuses) {
      const finding = containerFinding(pod, status)
      if (finding) findings.push(finding)
    }
    const scheduled = pod.status?.conditions?.find(c => c.type === 'PodScheduled')
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      findings.push({
        certain: false,
        reason: 'Unschedulable',
        pod: name,
        message: `pod ${name} cannot be scheduled: ${scheduled.message ?? 'no node fits it'}`
      })
    }
  }
  const rank = (f: Finding): number =>
    f.certain ? 0 : f.reason === 'ReadinessProbeFailing' ? 2 : 1
  return findings.sort((a, b) => rank(a) - rank(b))
}

function logAttempt(pod: string, namespace: string): Attempt {
  return { verb: 'read the log of', resource: 'pod', namespace, name: pod }
}

/** The last lines of a container's log, or a note saying why they are not available. */
export async function tailLog(
  conn: Connection,
  namespace: string,
  pod: string,
  container: string,
  previous: boolean,
  lines: number
): Promise<string> {
  const path = `${resourcePath(knownResource('Pod'), namespace, pod)}/log`
  const get = (prev: boolean): Promise<string> =>
    requestText(
      conn,
      {
        method: 'GET',
        path,
        query: { container, previous: prev || undefined, tailLines: lines },
        timeoutMs: 10_000
      },
      logAttempt(pod, namespace)
    )
  try {
    return await get(previous)
  } catch (err) {
    // A container that has not restarted yet has no previous log: show the current one.
    if (previous) {
      try {
        return await get(false)
      } catch {
        // fall through to the first error
      }
    }
    return `(log unavailable: ${err instanceof Error ? err.message : String(err)})`
  }
}

export function quoteLog(text: string, lines: number): string {
  const body = text.replace(/\s+$/, '').split('\n').slice(-lines)
  if (body.length === 0 || (body.length === 1 && body[0] === '')) return '    (the log is empty)'
  return body.map(l => `    ${l}`).join('\n')
}

/** Turns a finding into a verdict, fetching the log it asks for. */
export async function completeFinding(
  conn: Connection,
  namespace: string,
  finding: Finding
): Promise<Verdict> {
  const verdict: Verdict = {
    certain: finding.certain,
    reason: finding.reason,
    message: finding.message,
    pod: finding.pod
  }
  if (finding.log) {
    const { pod, container, previous, lines } = finding.log
    const log = await tailLog(conn, namespace, pod, container, previous, lines)
    const which = previous ? 'its previous run' : 'its log'
    verdict.message += `\nLast ${lines} lines of ${which}:\n${quoteLog(log, lines)}`
  }
  return verdict
}
