/**
 * How fast the watch-based waits notice a change, against the in-process test cluster:
 * - a Deployment becoming available (kubelet 'hold', then release) and a Job completing
 *   (its held pod told to succeed), from the flip to the wait resolving: median and p99;
 * - requests per wait (one LIST + one WATCH per watched collection);
 * - how fast a failed Job and a crash-looping pod end a wait (fail fast);
 * - what a 30 s and a 3 s poll would give on the same trials. The poll figures are modelled, not
 *   measured: each trial's poller gets a uniformly spread phase (stratified over the trials), its
 *   latency is the wait from the flip to its next poll plus one measured GET round trip.
 */
import { performance } from 'node:perf_hooks'
import type { V1Deployment } from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../__tests__/harness/cluster.js'
import { deployment, job } from '../__tests__/harness/objects.js'
import { apply, read, remove } from '../src/k8s/objects.js'
import { connect, type Cluster } from '../src/k8s/client.js'
import { waitForJob, waitForRollout, type WaitOptions } from '../src/k8s/wait.js'
import { MemoryLogger } from '../src/logger.js'
import { percentile, round, type Row } from './row.js'

export type { Row } from './row.js'

const TRIALS = 100
const NS = 'bench'

interface Trial {
  /** ms from the flip to the wait settling */
  latency: number
  /** ms from the wait starting to the flip (for the poll model) */
  flipOffset: number
  lists: number
  watches: number
}

/** Bench plumbing: yields until pred holds (the harness has no events to await). */
async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error(`bench: gave up waiting for ${what}`)
    await new Promise(r => setImmediate(r))
  }
}

function counter(tc: TestCluster): () => { lists: number; watches: number } {
  const start = tc.requests.length
  return () => {
    const mine = tc.requests.slice(start)
    return {
      lists: mine.filter(r => r.verb === 'list').length,
      watches: mine.filter(r => r.verb === 'watch').length
    }
  }
}

function waitOptions(): WaitOptions {
  return { timeoutMs: 30_000, logger: new MemoryLogger() }
}

async function rolloutTrial(tc: TestCluster, cluster: Cluster, i: number): Promise<Trial> {
  const name = `bench-web-${i}`
  const image = `registry.example.com/bench:${i}`
  tc.kubelet.behave({ image }, { kind: 'hold' })
  await apply(cluster, deployment(name, { namespace: NS, image, replicas: 1, app: name }))
  await until(
    () =>
      tc
        .list<{ spec?: { nodeName?: string } }>('Pod', NS, `app=${name}`)
        .some(p => p.spec?.nodeName),
    'the held pod'
  )
  const count = counter(tc)
  const started = performance.now()
  const wait = waitForRollout(cluster, name, waitOptions())
  // Flip only once both watches are open: this measures the watch path, not the first LIST.
  await until(() => count().watches >= 2, 'the rollout watches')
  const flip = performance.now()
  tc.kubelet.release({ image })
  await wait
  const done = performance.now()
  await remove(cluster, { kind: 'Deployment', name })
  return { latency: done - flip, flipOffset: flip - started, ...count() }
}

async function jobTrial(tc: TestCluster, cluster: Cluster, i: number): Promise<Trial> {
  const name = `bench-job-${i}`
  const image = `registry.example.com/bench-job:${i}`
  tc.kubelet.behave({ image }, { kind: 'hold' })
  await apply(cluster, job(name, { namespace: NS, image }))
  await until(
    () =>
      tc
        .list<{ spec?: { nodeName?: string } }>('Pod', NS, `job-name=${name}`)
        .some(p => p.spec?.nodeName),
    'the held job pod'
  )
  const count = counter(tc)
  const started = performance.now()
  const wait = waitForJob(cluster, name, waitOptions())
  await until(() => count().watches >= 2, 'the job watches')
  const flip = performance.now()
  tc.kubelet.behave({ image }, { kind: 'succeed', afterMs: 0 })
  await wait
  const done = performance.now()
  await remove(cluster, { kind: 'Job', name })
  return { latency: done - flip, flipOffset: flip - started, ...count() }
}

/** ms from the flip to the wait rejecting (the diagnosis, with its log, included). */
async function failureTrial(
  tc: TestCluster,
  cluster: Cluster,
  i: number,
  what: 'job' | 'crashloop'
): Promise<number> {
  const name = `bench-${what}-${i}`
  const image = `registry.example.com/bench-${what}:${i}`
  tc.kubelet.behave({ image }, { kind: 'hold' })
  const selector = what === 'job' ? `job-name=${name}` : `app=${name}`
  if (what === 'job') await apply(cluster, job(name, { namespace: NS, image, backoffLimit: 0 }))
  else await apply(cluster, deployment(name, { namespace: NS, image, replicas: 1, app: name }))
  await until(
    () =>
      tc.list<{ spec?: { nodeName?: string } }>('Pod', NS, selector).some(p => p.spec?.nodeName),
    'the held pod'
  )
  const count = counter(tc)
  const wait =
    what === 'job'
      ? waitForJob(cluster, name, waitOptions())
      : waitForRollout(cluster, name, waitOptions())
  const settled = wait.then(
    () => 'resolved',
    () => 'rejected'
  )
  await until(() => count().watches >= 2, 'the watches')
  const flip = performance.now()
  tc.kubelet.behave(
    { image },
    what === 'job'
      ? { kind: 'fail', exitCode: 1, logs: ['boom'], afterMs: 0 }
      : { kind: 'crashloop', logs: ['boom'] }
  )
  const outcome = await settled
  const done = performance.now()
  if (outcome !== 'rejected') throw new Error(`bench: the ${what} wait resolved instead of failing`)
  await remove(cluster, { kind: what === 'job' ? 'Job' : 'Deployment', name })
  return done - flip
}

/** Modelled poll latency per trial: next poll after the flip (stratified uniform phase) + one GET. */
function pollModel(trials: Trial[], intervalMs: number, rttMs: number): number[] {
  return trials.map((t, i) => {
    const phase = ((i + 0.5) / trials.length) * intervalMs
    const untilNextPoll = (((phase - t.flipOffset) % intervalMs) + intervalMs) % intervalMs
    return untilNextPoll + rttMs
  })
}

function latencyRows(label: string, latencies: number[]): Row[] {
  const median = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  return [
    {
      name: `${label}: median`,
      value: round(median),
      unit: 'ms',
      target: '< 50 ms',
      met: median < 50
    },
    { name: `${label}: p99`, value: round(p99), unit: 'ms', target: '< 250 ms', met: p99 < 250 }
  ]
}

function requestRows(label: string, trials: Trial[]): Row[] {
  const lists = Math.max(...trials.map(t => t.lists))
  const watches = Math.max(...trials.map(t => t.watches))
  return [
    {
      name: `${label}: LIST requests per wait (max of ${trials.length})`,
      value: lists,
      unit: 'requests',
      target: '<= 2',
      met: lists <= 2
    },
    {
      name: `${label}: WATCH requests per wait (max of ${trials.length})`,
      value: watches,
      unit: 'requests',
      target: '<= 2',
      met: watches <= 2
    }
  ]
}

function reportedRows(label: string, values: number[], note: string): Row[] {
  return [
    {
      name: `${label}: median${note}`,
      value: round(percentile(values, 50)),
      unit: 'ms',
      target: 'reported',
      met: null
    },
    {
      name: `${label}: p99${note}`,
      value: round(percentile(values, 99)),
      unit: 'ms',
      target: 'reported',
      met: null
    }
  ]
}

export async function benchWait(): Promise<Row[]> {
  // 1 ms container start: the flip is the kubelet's change, not its simulated start-up.
  const tc = await startTestCluster({ namespace: NS, podStartMs: 1 })
  const cluster = await connect({
    kubeconfig: tc.kubeconfig,
    namespace: NS,
    logger: new MemoryLogger()
  })
  try {
    const rollouts: Trial[] = []
    for (let i = 0; i < TRIALS; i++) rollouts.push(await rolloutTrial(tc, cluster, i))
    const jobs: Trial[] = []
    for (let i = 0; i < TRIALS; i++) jobs.push(await jobTrial(tc, cluster, i))
    const jobFailures: number[] = []
    for (let i = 0; i < TRIALS; i++) jobFailures.push(await failureTrial(tc, cluster, i, 'job'))
    const crashLoops: number[] = []
    for (let i = 0; i < TRIALS; i++)
      crashLoops.push(await failureTrial(tc, cluster, i, 'crashloop'))

    // One GET's round trip, for the poll model.
    await apply(cluster, deployment('bench-rtt', { namespace: NS, replicas: 1 }))
    const rtts: number[] = []
    for (let i = 0; i < TRIALS; i++) {
      const t = performance.now()
      await read<V1Deployment>(cluster, { kind: 'Deployment', name: 'bench-rtt' })
      rtts.push(performance.now() - t)
    }
    const rtt = percentile(rtts, 50)
    const all = [...rollouts, ...jobs]
    const model = (intervalMs: number, label: string): Row[] => {
      const values = pollModel(all, intervalMs, rtt)
      return [
        {
          name: `${label} poll (modelled, same ${all.length} flips): median`,
          value: round(percentile(values, 50)),
          unit: 'ms',
          target: 'comparison',
          met: null
        },
        {
          name: `${label} poll (modelled, same ${all.length} flips): p99`,
          value: round(percentile(values, 99)),
          unit: 'ms',
          target: 'comparison',
          met: null
        }
      ]
    }
    return [
      ...latencyRows(
        `Deployment available -> waitForRollout resolves (${TRIALS} trials)`,
        rollouts.map(t => t.latency)
      ),
      ...requestRows('waitForRollout', rollouts),
      ...latencyRows(
        `Job Complete -> waitForJob resolves (${TRIALS} trials)`,
        jobs.map(t => t.latency)
      ),
      ...requestRows('waitForJob', jobs),
      ...reportedRows(
        `Job Failed -> waitForJob rejects with diagnosis (${TRIALS} trials)`,
        jobFailures,
        ''
      ),
      ...reportedRows(
        `pod CrashLoopBackOff -> waitForRollout rejects with diagnosis (${TRIALS} trials)`,
        crashLoops,
        ' (includes the kubelet restarting it twice, 50 ms apart: certainty needs 2 restarts)'
      ),
      ...model(30_000, '30 s'),
      ...model(3_000, '3 s')
    ]
  } finally {
    cluster.dispose()
    await tc.stop()
  }
}
