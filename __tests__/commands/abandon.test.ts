/**
 * abandon (the post step's command) after a main step that was killed outright: from the state the
 * main step had recorded at the moment of the kill, it takes back what that run had under way.
 * The kill is taken at a chosen request: the state is what the run had recorded when that request
 * reached the server, as a runner's SIGKILL at that moment would leave it.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { RunState } from '../../src/commands/types.js'
import type { RequestRecord } from '../harness/cluster.js'
import { NAMESPACE, startShop, type Shop } from './fixture.js'

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
