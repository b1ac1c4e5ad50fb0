import { deployment } from '../harness/objects.js'
import { apply } from '../../src/k8s/objects.js'
import { connect } from '../../src/k8s/client.js'
import { WaitError, waitForRollout } from '../../src/k8s/wait.js'
import { MemoryLogger } from '../../src/logger.js'
import { FAST, NS, count, fixture, rejection, until, type Fixture } from './helpers.js'

const APP = 'web-canary'
const IMAGE = 'registry.example.com/web:abc123'

describe('waitForRollout against the test cluster', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture()
  })
  afterEach(async () => {
    await f.stop()
  })

  async function rollout(
    opts: { replicas?: number; progressDeadlineSeconds?: number; image?: string } = {}
  ): Promise<void> {
    await apply(
      f.cluster,
      deployment(APP, {
        namespace: NS,
        image: opts.image ?? IMAGE,
        replicas: opts.replicas ?? 2,
        track: 'canary',
        progressDeadlineSeconds: opts.progressDeadlineSeconds
      })
    )
  }

  /** Every canary pod is Running, or has a condition with this reason (waits start from a known state). */
  function podsShow(state: string): boolean {
    type P = { status?: { phase?: string; conditions?: { reason?: string }[] } }
    const all = f.tc.list<P>('Pod', NS, 'canary-deploy.dev/track=canary')
    return (
      all.length === 2 &&
      all.every(
        p => p.status?.phase === state || (p.status?.conditions ?? []).some(c => c.reason === state)
      )
    )
  }

  function pods(): number {
    return f.tc.list('Pod', NS, 'canary-deploy.dev/track=canary').length
  }

  it('resolves when the held pods are released, logging one line per change', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'hold' })
    await rollout()
    const wait = waitForRollout(f.cluster, APP, { timeoutMs: 10_000, logger: f.logger, ...FAST })
    await until(() => f.logger.lines.includes('web-canary: 0/2 ready'), 'the first progress line')
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    const progress = f.logger.lines.filter(l => l.startsWith('web-canary:'))
    expect(progress[0]).toBe('web-canary: 0/2 ready')
    expect(progress[progress.length - 1]).toBe('web-canary: 2/2 ready')
    expect(new Set(progress).size).toBe(progress.length)
  })

  // Clean: no stall resumes either (a loaded machine can go 300 ms without an event).
  const CLEAN = { ...FAST, stallMs: 30_000 }
  it('makes at most 2 LISTs and 2 WATCHes on a clean wait', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'hold' })
    await rollout()
    await until(() => pods() === 2, 'the pods to exist')
    f.tc.resetRequests()
    const wait = waitForRollout(f.cluster, APP, { timeoutMs: 10_000, logger: f.logger, ...CLEAN })
    await until(() => count(f.tc.requests, 'watch') === 2, 'both watches')
    f.tc.kubelet.release({ image: IMAGE })
    await wait
    expect(count(f.tc.requests, 'list')).toBeLessThanOrEqual(2)
    expect(count(f.tc.requests, 'watch')).toBeLessThanOrEqual(2)
  })

  it('fails fast on a crash loop, with the exit code and the previous run’s log', async () => {
    f.tc.kubelet.behave(
      { image: IMAGE },
      { kind: 'crashloop', exitCode: 3, logs: ['booting', 'panic: DATABASE_URL is not set'] }
    )
    await rollout()
    const err = await rejection(
      waitForRollout(f.cluster, APP, { timeoutMs: 30_000, logger: f.logger, ...FAST })
    )
    expect(err).toBeInstanceOf(WaitError)
    expect((err as WaitError).kind).toBe('failed')
    expect((err as WaitError).verdict).toMatchObject({ certain: true, reason: 'CrashLoopBackOff' })
    expect(err.message).toMatch(
      /^deployment web-canary cannot become available: container "app" in pod web-canary-\S+ is crash-looping: it exited with code 3 \(Error\)/
    )
    expect(err.message).toContain(
      'Last 20 lines of its previous run:\n    booting\n    panic: DATABASE_URL is not set'
    )
  })

  it('fails fast when the image cannot be pulled, asking whether it was pushed', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'imagepull' })
    await rollout()
    const err = await rejection(
      waitForRollout(f.cluster, APP, { timeoutMs: 30_000, logger: f.logger, ...FAST })
    )
    expect((err as WaitError).verdict?.reason).toMatch(/ErrImagePull|ImagePullBackOff/)
    expect(err.message).toMatch(
      /cannot pull image "registry\.example\.com\/web:abc123" for container "app" .*Was it pushed/s
    )
  })

  it('fails fast on a missing Secret, naming it', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'config-error' })
    await rollout()
    const err = await rejection(
      waitForRollout(f.cluster, APP, { timeoutMs: 30_000, logger: f.logger, ...FAST })
    )
    expect((err as WaitError).verdict?.reason).toBe('CreateContainerConfigError')
    expect(err.message).toContain('Secret "web-canary-secrets" does not exist in namespace prod')
  })

  it('fails fast when the container is OOMKilled', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'oomkilled' })
    await rollout()
    const err = await rejection(
      waitForRollout(f.cluster, APP, { timeoutMs: 30_000, logger: f.logger, ...FAST })
    )
    expect((err as WaitError).verdict?.reason).toBe('OOMKilled')
    expect(err.message).toMatch(
      /container "app" in pod \S+ was killed for running out of memory \(OOMKilled/
    )
  })

  it('keeps waiting on an unschedulable pod and, at the deadline, quotes the scheduler', async () => {
    f.tc.kubelet.behave(
      { image: IMAGE },
      { kind: 'unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }
    )
    await rollout()
    await until(() => podsShow('Unschedulable'), 'the pods to be unschedulable')
    const err = (await rejection(
      waitForRollout(f.cluster, APP, { timeoutMs: 800, logger: f.logger, ...FAST })
    )) as WaitError
    expect(err.kind).toBe('timeout')
    expect(err.message).toMatch(
      /^timed out after 800 ms waiting for deployment web-canary to roll out; last seen: 0 of 2 updated replicas are available/
    )
    expect(err.message).toMatch(
      /cannot be scheduled: 0\/1 nodes are available: 1 Insufficient cpu\./
    )
  })

  it('keeps waiting on a failing readiness probe and, at the deadline, names its path and port', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'readiness-fail' })
    await rollout()
    await until(() => podsShow('Running'), 'the pods to run')
    const err = (await rejection(
      waitForRollout(f.cluster, APP, { timeoutMs: 800, logger: f.logger, ...FAST })
    )) as WaitError
    expect(err.kind).toBe('timeout')
    expect(err.message).toContain(
      'is running but not ready: its readiness probe (GET http://:8080/healthz) is failing'
    )
  })

  it('fails when the deployment exceeds its progress deadline', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'hold' })
    await rollout({ progressDeadlineSeconds: 1 })
    const err = (await rejection(
      waitForRollout(f.cluster, APP, { timeoutMs: 20_000, logger: f.logger, ...FAST })
    )) as WaitError
    expect(err.kind).toBe('failed')
    expect(err.message).toMatch(/^deployment web-canary exceeded its progress deadline/)
  })

  it('fails at once when the deployment does not exist', async () => {
    const err = await rejection(
      waitForRollout(f.cluster, 'nope', { timeoutMs: 10_000, logger: f.logger, ...FAST })
    )
    expect(err.message).toBe('deployment nope not found in namespace prod')
  })

  it('fails at once, in words, when the server rejects the credentials', async () => {
    await rollout()
    const cluster = await connect({
      kubeconfig: f.tc.kubeconfig.replace('token: test-token', 'token: expired'),
      namespace: NS,
      logger: new MemoryLogger()
    })
    const err = (await rejection(
      waitForRollout(cluster, APP, { timeoutMs: 30_000, logger: f.logger, ...FAST })
    )) as WaitError
    expect(err.kind).toBe('failed')
    expect(err.message).toMatch(
      /^cannot wait for deployment web-canary to roll out: credentials rejected by http:\/\/127\.0\.0\.1:\d+ \(401 Unauthorized\) while trying to list deployments in namespace prod/
    )
  })

  it('stops when the caller aborts, saying what it last saw', async () => {
    f.tc.kubelet.behave({ image: IMAGE }, { kind: 'hold' })
    await rollout()
    const controller = new AbortController()
    const wait = waitForRollout(f.cluster, APP, {
      timeoutMs: 10_000,
      logger: f.logger,
      signal: controller.signal,
      ...FAST
    })
    await until(() => f.logger.lines.includes('web-canary: 0/2 ready'), 'the first progress line')
    controller.abort(new Error('the run was cancelled'))
    const err = (await rejection(wait)) as WaitError
    expect(err.kind).toBe('aborted')
    expect(err.message).toMatch(
      /^stopped waiting for deployment web-canary to roll out \(the run was cancelled\); last seen: /
    )
  })

  it('leaves no watch open once it has settled', async () => {
    await rollout({ replicas: 1 })
    await waitForRollout(f.cluster, APP, { timeoutMs: 10_000, logger: f.logger, ...FAST })
    const before = count(f.tc.requests, 'watch') + count(f.tc.requests, 'list')
    f.tc.faults.endWatches()
    await new Promise(r => setTimeout(r, 400))
    expect(count(f.tc.requests, 'watch') + count(f.tc.requests, 'list')).toBe(before)
  })
})
