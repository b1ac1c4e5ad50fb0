/**
 * Jobs: where one is (complete, failed, running), and why a failed one failed: its reason, the
 * exit code of its last failed pod and that pod's last log lines.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node'
import {
  completeFinding,
  findPodProblems,
  podName,
  quoteLog,
  tailLog,
  type Verdict
} from './pods.js'
import type { Connection } from './rest.js'
import { selectorString } from './selectors.js'

export const JOB_LOG_LINES = 50

export interface JobState {
  done: boolean
  failed: boolean
  message: string
}

export function jobStatus(job: V1Job): JobState {
  const conditions = job.status?.conditions ?? []
  const isTrue = (type: string): boolean =>
    conditions.some(c => c.type === type && c.status === 'True')
  const active = job.status?.active ?? 0
  const succeeded = job.status?.succeeded ?? 0
  const failed = job.status?.failed ?? 0
  const completions = job.spec?.completions ?? 1
  const message = `${active} running, ${succeeded}/${completions} succeeded, ${failed} failed`
  if (isTrue('Failed') || isTrue('FailureTarget')) return { done: false, failed: true, message }
  if (isTrue('Complete')) return { done: true, failed: false, message }
  return { done: false, failed: false, message }
}

function time(value: unknown): number {
  if (value instanceof Date) return value.getTime()
  return typeof value === 'string' ? Date.parse(value) || 0 : 0
}

/** The pod that failed last, for a failed Job's log. */
function lastFailedPod(pods: V1Pod[]): V1Pod | undefined {
  const failed = pods.filter(
    p =>
      p.status?.phase === 'Failed' ||
      (p.status?.containerStatuses ?? []).some(
        s =>
          (s.state?.terminated?.exitCode ?? 0) !== 0 ||
          (s.lastState?.terminated?.exitCode ?? 0) !== 0
      )
  )
  return failed.sort(
    (a, b) => time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp)
  )[0]
}

/** The selector the Job controller put on its pods. */
export function jobPodSelector(job: V1Job): string {
  return selectorString(job.spec?.selector) || `job-name=${job.metadata?.name ?? ''}`
}

/** A failed Job's verdict from the Job and its pods (fetching the failed pod's log). */
export async function jobFailureVerdict(
  conn: Connection,
  namespace: string,
  job: V1Job,
  pods: V1Pod[]
): Promise<Verdict | undefined> {
  const name = job.metadata?.name ?? '(unnamed job)'
  const failed = job.status?.conditions?.find(
    c => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True'
  )
  if (!failed) {
    const finding = findPodProblems(pods)[0]
    return finding ? completeFinding(conn, namespace, finding) : undefined
  }
  let message = `job ${name} failed (${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''}).`
  const pod = lastFailedPod(pods)
  if (pod) {
    const statuses = pod.status?.containerStatuses ?? []
    const broken =
      statuses.find(s => (s.state?.terminated?.exitCode ?? 0) !== 0) ??
      statuses.find(s => s.lastState?.terminated)
    const terminated = broken?.state?.terminated ?? broken?.lastState?.terminated
    const container = broken?.name ?? pod.spec?.containers?.[0]?.name ?? ''
    if (terminated) {
      message += ` Its pod ${podName(pod)}: container "${container}" exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}.`
    } else {
      const finding = findPodProblems([pod])[0]
      if (finding) message += ` Its pod: ${finding.message}`
    }
    if (container) {
      const log = await tailLog(
        conn,
        namespace,
        podName(pod),
        container,
        !broken?.state?.terminated && !!broken?.lastState?.terminated,
        JOB_LOG_LINES
      )
      message += `\nLast ${JOB_LOG_LINES} lines of its log:\n${quoteLog(log, JOB_LOG_LINES)}`
    }
  }
  return {
    certain: true,
    reason: failed.reason ?? 'Failed',
    message,
    pod: pod ? podName(pod) : undefined
  }
}
