/**
 * abandon (the post step's command) after a main step that was killed outright: from the state the
 * main step had recorded at the moment of the kill, it takes back what that run had under way.
 * The kill is taken at a chosen request: the state is what the run had recorded when that request
 * reached the server, as a runner's SIGKILL at that moment would leave it.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { RunState } from '../../src/commands/types.js'
import type { RequestRecord } from '../harness/cluster.js'
import { NAMESPACE, NEW_DIGEST, NEW_IMAGE, STABLE_IMAGE, startShop, type Shop } from './fixture.js'

let shop: Shop
beforeEach(async () => {
  shop = await startShop()
})
afterEach(() => shop.stop())

const deployment = (name: string) => shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, name)

/** Runs `command`, keeping what it records; returns what it had recorded when `at` arrived. */
async function stateAtKill(
  command: string,
  at: (request: RequestRecord) => boolean,
  inputs: Record<string, string> = {}
): Promise<RunState> {
  let recorded: RunState = { applied: [], promoting: [] }
  let killedWith: RunState | undefined
  const stop = shop.cluster.onRequest(request => {
    if (!killedWith && !request.dryRun && at(request)) killedWith = structuredClone(recorded)
  })
  try {
    await shop.run(
      command,
      inputs,
      {},
      { checkpoint: state => (recorded = { ...recorded, ...state }) }
    )
  } finally {
    stop()
  }
  if (!killedWith) throw new Error(`${command} made no such request`)
  return killedWith
}

const isWriteOf = (name: string) => (request: RequestRecord) =>
  request.resource === 'deployments' && request.name === name && request.verb === 'patch'

describe('abandon after a killed deploy', () => {
  it('removes a canary whose write reached the server before the run was killed', async () => {
    const state = await stateAtKill('deploy', isWriteOf('shop-web-canary'))
    expect(deployment('shop-web-canary')).toBeDefined()

    const result = await shop.run('abandon', {}, {}, { abandoned: state })
    expect(result.report.reason).toBeUndefined()
    expect(deployment('shop-web-canary')).toBeUndefined()
    expect(deployment('shop-worker-canary')).toBeUndefined()
  })

  it('succeeds when the recorded canary never reached the server', async () => {
    const result = await shop.run(
      'abandon',
      {},
      {},
      { abandoned: { applied: ['shop-web-canary'], promoting: [] } }
    )
    expect(result.report.reason).toBeUndefined()
    expect(result.report.facts).toContainEqual(['removed', 'nothing'])
    expect(shop.cluster.writes().map(w => `${w.verb} ${w.name}`)).toEqual([
      'delete shop-web-canary',
      'delete shop-worker-canary'
    ])
  })
})

describe('abandon after a killed promotion', () => {
  const PROMOTE = { approve: 'true', digest: NEW_DIGEST }
  const imageOf = (name: string) => deployment(name)?.spec?.template.spec?.containers[0].image
  const lease = () =>
    shop.cluster.get<{ spec?: { holderIdentity?: string; leaseDurationSeconds?: number } }>(
      'Lease',
      NAMESPACE,
      'shop-canary-deploy'
    )
  /** The killed run's Lease, as it was when it was killed. */
  const leaseOf = (holder: string) =>
    shop.cluster.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'shop-canary-deploy', namespace: NAMESPACE },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: 60,
        renewTime: new Date().toISOString()
      }
    } as never)

  let killed: RunState
  beforeEach(async () => {
    expect((await shop.run('deploy')).report.status).toBe('success')
    // Killed once web has the release and the worker's write is on its way.
    killed = await stateAtKill('promote', isWriteOf('shop-worker'), PROMOTE)
    expect([imageOf('shop-web'), imageOf('shop-worker')]).toEqual([NEW_IMAGE, NEW_IMAGE])
  })

  it('puts back every stable Deployment the promotion wrote, and says which', async () => {
    const result = await shop.run('abandon', {}, {}, { abandoned: killed })
    expect(result.report.reason).toBeUndefined()
    expect([imageOf('shop-web'), imageOf('shop-worker')]).toEqual([STABLE_IMAGE, STABLE_IMAGE])
    const annotations = deployment('shop-web')?.metadata?.annotations ?? {}
    expect(annotations['canary-deploy.dev/version']).toBeUndefined()
    expect(annotations['canary-deploy.dev/approved-by']).toBeUndefined()
    expect(result.report.facts).toContainEqual([
      'put back',
      'Deployment shop/shop-worker, Deployment shop/shop-web'
    ])
  })

  it('fails naming each Deployment it could not put back, and holds the lock for a person', async () => {
    leaseOf(killed.lockHolder ?? '')
    // The post step's identity may read everything and renew the lock, but not patch Deployments.
    shop.cluster.enforceRole({
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['update', 'delete'] }
      ]
    })
    const result = await shop.run('abandon', {}, {}, { abandoned: killed })
    shop.cluster.enforceRole(undefined)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('NOT put back: Deployment shop/shop-worker')
    expect(result.report.reason).toContain('Deployment shop/shop-web')
    expect(lease()?.spec).toMatchObject({
      holderIdentity: killed.lockHolder,
      leaseDurationSeconds: 86_400
    })
  })

  it('refuses to guess when the run did not record what it wrote, and holds the lock', async () => {
    leaseOf(killed.lockHolder ?? '')
    const { undo: _undo, ...unrecorded } = killed
    const result = await shop.run('abandon', {}, {}, { abandoned: unrecorded })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(
      'killed while promoting shop-web, shop-worker and did not record what it wrote'
    )
    expect(lease()?.spec?.holderIdentity).toBe(killed.lockHolder)
    expect([imageOf('shop-web'), imageOf('shop-worker')]).toEqual([NEW_IMAGE, NEW_IMAGE])
  })
})
