import { deployment, job } from '../harness/objects.js'
import type { PodBehaviour } from '../harness/cluster.js'
import type { V1Job, V1Pod } from '@kubernetes/client-node'
import { apply, list, read } from '../../src/k8s/objects.js'
import { jobFailureVerdict, jobPodSelector } from '../../src/k8s/jobs.js'
import { completeFinding, findPodProblems, type Verdict } from '../../src/k8s/pods.js'
import type { Cluster } from '../../src/k8s/client.js'
import { NS, fixture, until, type Fixture } from './helpers.js'

/** The most telling problem of the pods matching labelSelector, its log fetched, as a wait gives it. */
async function diagnosePods(cluster: Cluster, labelSelector: string): Promise<Verdict | undefined> {
  const pods = await list<V1Pod>(cluster, { kind: 'Pod' }, labelSelector)
  const finding = findPodProblems(pods)[0]
  return finding ? completeFinding(cluster, cluster.namespace, finding) : undefined
}

/** Why a Job failed, from the Job and its pods, as waitForJob gives it. */
async function diagnoseJob(cluster: Cluster, name: string): Promise<Verdict | undefined> {
  const job = (await read<V1Job>(cluster, { kind: 'Job', name }))!
  const pods = await list<V1Pod>(cluster, { kind: 'Pod' }, jobPodSelector(job))
  return jobFailureVerdict(cluster, cluster.namespace, job, pods)
}

const IMAGE = 'registry.example.com/web:abc123'
const SELECTOR = 'app=web,canary-deploy.dev/track=canary'

describe('pod and Job diagnosis against the test cluster', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture()
  })
  afterEach(async () => {
    await f.stop()
  })

  async function podsBehaving(
    behaviour: PodBehaviour,
    ready: (reason: string | undefined) => boolean
  ): Promise<void> {
    f.tc.kubelet.behave({ image: IMAGE }, behaviour)
    await apply(
      f.cluster,
      deployment('web-canary', {
        namespace: NS,
        app: 'web',
        track: 'canary',
        image: IMAGE,
        replicas: 1
      })
    )
    await until(() => {
      const pods = f.tc.list<{
        status?: {
          containerStatuses?: { restartCount: number; state: { waiting?: { reason?: string } } }[]
          conditions?: { reason?: string }[]
        }
      }>('Pod', NS, SELECTOR)
      const cs = pods[0]?.status?.containerStatuses?.[0]
      return (
        ready(cs?.state.waiting?.reason ?? pods[0]?.status?.conditions?.[0]?.reason) &&
        (behaviour.kind !== 'crashloop' || (cs?.restartCount ?? 0) >= 2)
      )
    }, `pods to show ${behaviour.kind}`)
  }

  it('explains a crash loop with the previous run’s last 20 log lines', async () => {
    const logs = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`)
    await podsBehaving({ kind: 'crashloop', exitCode: 1, logs }, r => r === 'CrashLoopBackOff')
    const verdict = await diagnosePods(f.cluster, SELECTOR)
    expect(verdict).toMatchObject({ certain: true, reason: 'CrashLoopBackOff' })
    expect(verdict?.message).toMatch(
      /container "app" in pod web-canary-\S+ is crash-looping: it exited with code 1 \(Error\)/
    )
    expect(verdict?.message).toContain('Last 20 lines of its previous run:\n    line 6\n')
    expect(verdict?.message).not.toContain('line 5\n')
  })

  it('explains an image that cannot be pulled', async () => {
    await podsBehaving({ kind: 'imagepull' }, r => r === 'ImagePullBackOff')
    const verdict = await diagnosePods(f.cluster, SELECTOR)
    expect(verdict).toMatchObject({ certain: true, reason: 'ImagePullBackOff' })
    expect(verdict?.message).toMatch(
      /cannot pull image "registry\.example\.com\/web:abc123" .*not found\)\. Was it pushed/
    )
  })

  it('names the missing Secret', async () => {
    await podsBehaving({ kind: 'config-error' }, r => r === 'CreateContainerConfigError')
    expect((await diagnosePods(f.cluster, SELECTOR))?.message).toContain(
      'Secret "web-secrets" does not exist in namespace prod'
    )
  })

  it('quotes the scheduler for an unschedulable pod, as not certain', async () => {
    await podsBehaving({ kind: 'unschedulable' }, r => r === 'Unschedulable')
    const verdict = await diagnosePods(f.cluster, SELECTOR)
    expect(verdict).toMatchObject({ certain: false, reason: 'Unschedulable' })
    expect(verdict?.message).toMatch(
      /cannot be scheduled: 0\/1 nodes are available: 1 Insufficient cpu/
    )
  })

  it('reports OOMKilled as certain', async () => {
    await podsBehaving({ kind: 'oomkilled' }, r => r === 'CrashLoopBackOff')
    expect(await diagnosePods(f.cluster, SELECTOR)).toMatchObject({
      certain: true,
      reason: 'OOMKilled'
    })
  })

  it('names the failing readiness probe', async () => {
    await podsBehaving({ kind: 'readiness-fail' }, () => true)
    await until(
      () =>
        f.tc.list<{ status?: { phase?: string } }>('Pod', NS, SELECTOR)[0]?.status?.phase ===
        'Running',
      'the pod to run'
    )
    const verdict = await diagnosePods(f.cluster, SELECTOR)
    expect(verdict).toMatchObject({ certain: false, reason: 'ReadinessProbeFailing' })
    expect(verdict?.message).toContain('its readiness probe (GET http://:8080/healthz) is failing')
  })

  it('treats an evicted pod as transient', async () => {
    await podsBehaving({ kind: 'ready' }, () => true)
    await f.tc.settle()
    f.tc.kubelet.evict({ image: IMAGE })
    await until(
      () =>
        f.tc
          .list<{ status?: { reason?: string } }>('Pod', NS, SELECTOR)
          .some(p => p.status?.reason === 'Evicted'),
      'the eviction'
    )
    const verdicts = await diagnosePods(f.cluster, SELECTOR)
    expect(verdicts === undefined || verdicts.certain === false).toBe(true)
  })

  it('finds nothing wrong with ready pods', async () => {
    await podsBehaving({ kind: 'ready' }, () => true)
    await f.tc.settle()
    expect(await diagnosePods(f.cluster, SELECTOR)).toBeUndefined()
  })

  it('explains a failed Job with its reason and the failed pod’s last 50 log lines', async () => {
    const logs = Array.from({ length: 55 }, (_, i) => `step ${i + 1}`)
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'fail', exitCode: 4, logs, afterMs: 10 })
    await apply(f.cluster, job('web-migrate-1', { namespace: NS, image: IMAGE, backoffLimit: 0 }))
    await until(
      () =>
        (
          f.tc.get<{ status?: { failed?: number; conditions?: { type: string }[] } }>(
            'Job',
            NS,
            'web-migrate-1'
          )?.status?.conditions ?? []
        ).some(c => c.type === 'Failed'),
      'the job to fail'
    )
    const verdict = await diagnoseJob(f.cluster, 'web-migrate-1')
    expect(verdict).toMatchObject({ certain: true, reason: 'BackoffLimitExceeded' })
    expect(verdict?.message).toMatch(/container "migrate" exited with code 4/)
    expect(verdict?.message).toContain('Last 50 lines of its log:\n    step 6\n')
  })

  it('explains a Job that ran past its deadline', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'hold' })
    await apply(
      f.cluster,
      job('web-migrate-2', { namespace: NS, image: IMAGE, activeDeadlineSeconds: 1 })
    )
    await until(
      () =>
        (
          f.tc.get<{ status?: { conditions?: { type: string }[] } }>('Job', NS, 'web-migrate-2')
            ?.status?.conditions ?? []
        ).some(c => c.type === 'Failed'),
      'the deadline',
      5000
    )
    const verdict = await diagnoseJob(f.cluster, 'web-migrate-2')
    expect(verdict).toMatchObject({ certain: true, reason: 'DeadlineExceeded' })
    expect(verdict?.message).toMatch(
      /^job web-migrate-2 failed \(DeadlineExceeded: Job was active longer than specified deadline\)/
    )
  })
})
