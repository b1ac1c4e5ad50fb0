import type { V1Deployment } from '@kubernetes/client-node'
import { rolloutStatus } from '../../src/k8s/deployments.js'
import { jobStatus } from '../../src/k8s/jobs.js'

interface Row {
  case: string
  generation?: number
  observedGeneration?: number
  specReplicas?: number
  replicas?: number
  updated?: number
  available?: number
  progressing?: { reason: string; at: string }
  since?: string
  done: boolean
  failed?: boolean
  message: RegExp
}

function deployment(row: Row): V1Deployment {
  return {
    metadata: { name: 'web-canary', generation: row.generation ?? 2 },
    spec: { replicas: row.specReplicas, selector: {}, template: {} },
    status: {
      observedGeneration: row.observedGeneration ?? 2,
      replicas: row.replicas,
      updatedReplicas: row.updated,
      availableReplicas: row.available,
      conditions: row.progressing
        ? [
            {
              type: 'Progressing',
              status: row.progressing.reason === 'ProgressDeadlineExceeded' ? 'False' : 'True',
              reason: row.progressing.reason,
              message: `ReplicaSet "web-canary-5d8" ${row.progressing.reason}`,
              lastUpdateTime: row.progressing.at as unknown as Date
            }
          ]
        : undefined
    }
  }
}

const rows: Row[] = [
  {
    case: 'generation not yet observed',
    generation: 3,
    observedGeneration: 2,
    specReplicas: 2,
    replicas: 2,
    updated: 2,
    available: 2,
    done: false,
    message: /spec update to be observed/
  },
  {
    case: 'all updated and available',
    specReplicas: 2,
    replicas: 2,
    updated: 2,
    available: 2,
    done: true,
    message: /successfully rolled out/
  },
  {
    case: 'fewer updated than wanted',
    specReplicas: 3,
    replicas: 3,
    updated: 1,
    available: 3,
    done: false,
    message: /1 out of 3 new replicas have been updated/
  },
  {
    case: 'old replicas still running',
    specReplicas: 2,
    replicas: 3,
    updated: 2,
    available: 2,
    done: false,
    message: /1 old replicas are pending termination/
  },
  {
    case: 'updated but not yet available',
    specReplicas: 2,
    replicas: 2,
    updated: 2,
    available: 1,
    done: false,
    message: /1 of 2 updated replicas are available/
  },
  {
    case: 'more available than updated counts as done',
    specReplicas: 1,
    replicas: 1,
    updated: 1,
    available: 2,
    done: true,
    message: /rolled out/
  },
  {
    case: 'scaled to zero',
    specReplicas: 0,
    replicas: 0,
    updated: 0,
    available: 0,
    done: true,
    message: /rolled out/
  },
  {
    case: 'progress deadline exceeded after our change fails',
    specReplicas: 2,
    replicas: 2,
    updated: 2,
    available: 0,
    progressing: { reason: 'ProgressDeadlineExceeded', at: '2030-01-01T00:10:00Z' },
    since: '2030-01-01T00:00:00Z',
    done: false,
    failed: true,
    message: /ProgressDeadlineExceeded/
  },
  {
    case: 'progress deadline exceeded within the second of our change counts (timestamps are whole seconds)',
    specReplicas: 2,
    replicas: 2,
    updated: 2,
    available: 0,
    progressing: { reason: 'ProgressDeadlineExceeded', at: '2030-01-01T00:10:00Z' },
    since: '2030-01-01T00:10:00.900Z',
    done: false,
    failed: true,
    message: /exceeded its progress deadline/
  },
  {
    case: 'progress deadline exceeded before our change is ignored',
    specReplicas: 2,
    replicas: 2,
    updated: 1,
    available: 0,
    progressing: { reason: 'ProgressDeadlineExceeded', at: '2030-01-01T00:00:00Z' },
    since: '2030-01-01T00:10:00Z',
    done: false,
    failed: false,
    message: /1 out of 2 new replicas/
  },
  {
    case: 'progress deadline on an unobserved generation is not judged yet',
    generation: 5,
    observedGeneration: 4,
    specReplicas: 2,
    updated: 0,
    progressing: { reason: 'ProgressDeadlineExceeded', at: '2030-01-01T00:10:00Z' },
    since: '2030-01-01T00:00:00Z',
    done: false,
    failed: false,
    message: /to be observed/
  }
]

describe('rolloutStatus (kubectl rollout status predicate)', () => {
  it.each(rows)('$case', row => {
    const state = rolloutStatus(deployment(row), row.since ? Date.parse(row.since) : 0)
    expect(state.done).toBe(row.done)
    expect(Boolean(state.failed)).toBe(Boolean(row.failed))
    expect(row.failed ? `${state.failed} ${state.message}` : state.message).toMatch(row.message)
  })

  it('counts ready as updated replicas that are available', () => {
    const state = rolloutStatus(
      deployment({
        case: '',
        specReplicas: 4,
        replicas: 5,
        updated: 2,
        available: 4,
        done: false,
        message: /./
      })
    )
    expect([state.ready, state.desired]).toEqual([2, 4])
  })
})

describe('jobStatus', () => {
  it.each([
    { conditions: [{ type: 'Complete', status: 'True' }], done: true, failed: false },
    { conditions: [{ type: 'Failed', status: 'True' }], done: false, failed: true },
    { conditions: [{ type: 'FailureTarget', status: 'True' }], done: false, failed: true },
    { conditions: [{ type: 'Complete', status: 'False' }], done: false, failed: false },
    { conditions: [], done: false, failed: false }
  ])('conditions $conditions -> done $done, failed $failed', ({ conditions, done, failed }) => {
    const state = jobStatus({ metadata: { name: 'm' }, status: { conditions } })
    expect([state.done, state.failed]).toEqual([done, failed])
  })
})
