import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node'
import { findPodProblems } from '../../src/k8s/pods.js'
import { selectorString } from '../../src/k8s/selectors.js'

function pod(
  status: Partial<V1ContainerStatus>,
  extra: { reason?: string; message?: string; unschedulable?: string } = {}
): V1Pod {
  return {
    metadata: { name: 'web-canary-7f9-abcde', namespace: 'prod' },
    spec: {
      restartPolicy: 'Always',
      containers: [
        {
          name: 'web',
          image: 'ghcr.io/acme/web:abc123',
          resources: { limits: { memory: '128Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 } }
        }
      ]
    },
    status: {
      phase: extra.unschedulable ? 'Pending' : 'Running',
      reason: extra.reason,
      message: extra.message,
      conditions: extra.unschedulable
        ? [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: extra.unschedulable
            }
          ]
        : [],
      containerStatuses: extra.unschedulable
        ? []
        : [
            {
              name: 'web',
              image: 'ghcr.io/acme/web:abc123',
              imageID: '',
              ready: false,
              restartCount: 0,
              ...status
            } as V1ContainerStatus
          ]
    }
  }
}

describe('findPodProblems', () => {
  it('calls a crash loop certain once the container restarted twice, with exit code and previous log', () => {
    const [f] = findPodProblems([
      pod({
        restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error' } }
      })
    ])
    expect(f).toMatchObject({
      certain: true,
      reason: 'CrashLoopBackOff',
      pod: 'web-canary-7f9-abcde'
    })
    expect(f.message).toBe(
      'container "web" in pod web-canary-7f9-abcde is crash-looping: it exited with code 1 (Error) and was restarted 3 times.'
    )
    expect(f.log).toEqual({
      pod: 'web-canary-7f9-abcde',
      container: 'web',
      previous: true,
      lines: 20
    })
  })

  it('does not call a first crash certain', () => {
    const [f] = findPodProblems([
      pod({ restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } })
    ])
    expect(f.certain).toBe(false)
  })

  it('names the image and asks whether it was pushed on ImagePullBackOff', () => {
    const [f] = findPodProblems([
      pod({ state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } })
    ])
    expect(f.certain).toBe(true)
    expect(f.message).toMatch(
      /cannot pull image "ghcr\.io\/acme\/web:abc123" for container "web" \(ImagePullBackOff: Back-off pulling image\)\. Was it pushed/
    )
  })

  it('treats ErrImagePull as certain only when the registry says the image is not there', () => {
    const notFound = pod({
      state: { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } }
    })
    const flaky = pod({ state: { waiting: { reason: 'ErrImagePull', message: 'i/o timeout' } } })
    expect(findPodProblems([notFound])[0].certain).toBe(true)
    expect(findPodProblems([flaky])[0].certain).toBe(false)
  })

  it('names the missing Secret on CreateContainerConfigError', () => {
    const [f] = findPodProblems([
      pod({
        state: {
          waiting: {
            reason: 'CreateContainerConfigError',
            message: 'secret "db-credentials" not found'
          }
        }
      })
    ])
    expect(f.certain).toBe(true)
    expect(f.message).toMatch(
      /cannot start: Secret "db-credentials" does not exist in namespace prod/
    )
  })

  it('names the missing ConfigMap key', () => {
    const message = "couldn't find key DATABASE_URL in ConfigMap prod/web-config"
    const [f] = findPodProblems([
      pod({ state: { waiting: { reason: 'CreateContainerConfigError', message } } })
    ])
    expect(f.message).toMatch(/ConfigMap "web-config" has no key "DATABASE_URL"/)
  })

  it('reports OOMKilled as certain, with the memory limit', () => {
    const [f] = findPodProblems([
      pod({
        restartCount: 1,
        state: { running: {} },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } }
      })
    ])
    expect(f.certain).toBe(true)
    expect(f.message).toMatch(/killed for running out of memory \(OOMKilled, memory limit 128Mi/)
  })

  it('quotes the scheduler on Unschedulable, and keeps waiting', () => {
    const [f] = findPodProblems([
      pod({}, { unschedulable: '0/3 nodes are available: 3 Insufficient cpu.' })
    ])
    expect(f).toMatchObject({ certain: false, reason: 'Unschedulable' })
    expect(f.message).toBe(
      'pod web-canary-7f9-abcde cannot be scheduled: 0/3 nodes are available: 3 Insufficient cpu.'
    )
  })

  it('names the readiness probe path and port when a running container is not ready', () => {
    const [f] = findPodProblems([pod({ state: { running: {} }, ready: false })])
    expect(f).toMatchObject({ certain: false, reason: 'ReadinessProbeFailing' })
    expect(f.message).toMatch(
      /running but not ready: its readiness probe \(GET http:\/\/:8080\/healthz\) is failing/
    )
  })

  it.each(['Evicted', 'Preempting'])('treats %s as transient', reason => {
    const [f] = findPodProblems([
      pod({}, { reason, message: 'The node was low on resource: memory.' })
    ])
    expect(f).toMatchObject({ certain: false, reason })
  })

  it('puts a certain problem before a transient one', () => {
    const findings = findPodProblems([
      pod({}, { unschedulable: 'no nodes' }),
      pod({ state: { waiting: { reason: 'ImagePullBackOff' } } })
    ])
    expect(findings.map(f => f.reason)).toEqual(['ImagePullBackOff', 'Unschedulable'])
  })

  it('finds nothing wrong with a ready pod', () => {
    expect(findPodProblems([pod({ state: { running: {} }, ready: true })])).toEqual([])
  })
})

describe('selectorString', () => {
  it('renders matchLabels and matchExpressions', () => {
    expect(
      selectorString({
        matchLabels: { app: 'web', 'canary-deploy.dev/track': 'canary' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'old', operator: 'DoesNotExist' }
        ]
      })
    ).toBe('app=web,canary-deploy.dev/track=canary,tier in (a,b),!old')
  })
})
