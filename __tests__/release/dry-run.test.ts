/** What diff shows of a plan's writes, played locally (the projector without cluster access). */
import type { KubernetesObject } from '@kubernetes/client-node'
import { offlineProjector, projectPlan } from '../../src/release/dry-run.js'
import { describeDone } from '../../src/release/execute.js'
import { modifyOf } from '../../src/release/writes.js'

type ConfigMap = KubernetesObject & { data?: Record<string, string> }

const REF = { kind: 'ConfigMap', apiVersion: 'v1', name: 'routes' }
const BEFORE: ConfigMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'routes', namespace: 'shop' },
  data: { weight: '1' }
}

/** A modify that sets the canary's weight from what it reads; null takes it out. */
const setCanary = (weight: string | null) =>
  modifyOf('route', REF, current =>
    (current as ConfigMap | undefined)?.data?.canary === weight
      ? undefined
      : { data: { canary: weight } }
  )

describe('projectPlan with modify writes', () => {
  it('shows each modify computed from the state the writes before it leave', async () => {
    const [change] = await projectPlan(
      [{ command: 'deploy', writes: [setCanary('1'), setCanary('5')] }],
      offlineProjector([BEFORE], 'shop')
    )
    expect(change.kind).toBe('update')
    expect(change.text).toContain('+  canary: "5"')
    expect(change.steps).toEqual(['deploy patches it', 'deploy patches it'])
  })

  it('shows an object put back as it was as it is in between, and says so', async () => {
    const [change] = await projectPlan(
      [
        { command: 'deploy', writes: [setCanary('5')] },
        { command: 'promote', writes: [setCanary(null)] }
      ],
      offlineProjector([BEFORE], 'shop')
    )
    expect(change.kind).toBe('update')
    expect(change.text).toContain('+  canary: "5"')
    expect(change.note).toBe('shown as deploy leaves it; promote puts it back as it was')
  })

  it('shows nothing of an object a modify would find missing (not in the base manifests)', async () => {
    const refusing = modifyOf('route', REF, () => {
      throw new Error('computed from nothing')
    })
    expect(
      await projectPlan([{ command: 'deploy', writes: [refusing] }], offlineProjector([], 'shop'))
    ).toEqual([])
  })

  it('shows an object no write changes as unchanged, with no note', async () => {
    const [change] = await projectPlan(
      [{ command: 'promote', writes: [setCanary(null)] }],
      offlineProjector([BEFORE], 'shop')
    )
    expect([change.kind, change.note]).toEqual(['unchanged', undefined])
  })
})

describe('describeDone of a modify', () => {
  it('says nothing when there was nothing to change', () => {
    expect(describeDone(setCanary(null), { changed: false }, 'shop')).toBeUndefined()
    expect(describeDone(setCanary('1'), { changed: true }, 'shop')).toBe(
      'ConfigMap shop/routes: patched'
    )
  })
})
