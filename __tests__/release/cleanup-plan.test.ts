import fc from 'fast-check'
import type { LoadReading } from '../../src/analysis/drain.js'
import {
  describeLoad,
  planCleanup,
  withLoads,
  type CleanupDecision,
  type ReleaseRecord
} from '../../src/release/cleanup-plan.js'

const NOW = 1_000_000_000_000
const HOUR = 3_600_000

/**
 * A random release history: each release was live once, in turn (released, then replaced when the
 * next went live), the last one released is live, and some at the end were never promoted.
 */
const history = fc
  .record({
    gaps: fc.array(fc.integer({ min: 0, max: 72 * HOUR }), { minLength: 0, maxLength: 30 }),
    pending: fc.integer({ min: 0, max: 3 }),
    noLive: fc.boolean()
  })
  .map(({ gaps, pending, noLive }) => {
    // Going back from now: the newest release went live gaps[0] ago, and so on.
    let at = NOW
    const released = gaps.map(gap => (at -= gap))
    const releases: ReleaseRecord[] = released.map((releasedAt, index) => ({
      name: `web-${String(index).padStart(3, '0')}`,
      releasedAt,
      // Replaced when the next newer one went live; the newest is live (or, after a rollback to
      // the original stable Deployment, replaced too).
      replacedAt: index === 0 ? (noLive ? NOW : undefined) : released[index - 1],
      live: index === 0 && !noLive
    }))
    for (let i = 0; i < pending; i++) releases.push({ name: `web-pending-${i}`, live: false })
    return releases
  })
const rules = fc.record({
  keep: fc.integer({ min: 2, max: 10 }),
  minAgeMs: fc.integer({ min: 0, max: 48 * HOUR })
})

const byName = (decisions: CleanupDecision[]) => new Map(decisions.map(d => [d.name, d]))
/** The replaced releases, the most recently replaced first. */
const replacedOrder = (releases: ReleaseRecord[]) =>
  releases
    .filter(r => !r.live && r.replacedAt !== undefined)
    .sort((a, b) => (b.replacedAt ?? 0) - (a.replacedAt ?? 0))

describe('planCleanup', () => {
  it('never deletes the live release', () => {
    fc.assert(
      fc.property(history, rules, (releases, { keep, minAgeMs }) => {
        const plan = byName(planCleanup(releases, { keep, minAgeMs, now: NOW }))
        for (const r of releases.filter(r => r.live)) expect(plan.get(r.name)?.state).toBe('live')
      })
    )
  })

  it('never deletes the previous release (the most recently replaced)', () => {
    fc.assert(
      fc.property(history, rules, (releases, { keep, minAgeMs }) => {
        const plan = byName(planCleanup(releases, { keep, minAgeMs, now: NOW }))
        const previous = replacedOrder(releases)[0]
        if (previous) expect(plan.get(previous.name)?.state).toBe('previous')
      })
    )
  })

  it('never deletes a release replaced more recently than drain-min-age', () => {
    fc.assert(
      fc.property(history, rules, (releases, { keep, minAgeMs }) => {
        const plan = byName(planCleanup(releases, { keep, minAgeMs, now: NOW }))
        for (const r of releases) {
          if (r.replacedAt !== undefined && NOW - r.replacedAt < minAgeMs)
            expect(plan.get(r.name)?.state).not.toBe('deleted')
        }
      })
    )
  })

  it('never deletes a release that was never live', () => {
    fc.assert(
      fc.property(history, rules, (releases, { keep, minAgeMs }) => {
        const plan = byName(planCleanup(releases, { keep, minAgeMs, now: NOW }))
        for (const r of releases.filter(r => r.releasedAt === undefined))
          expect(plan.get(r.name)?.state).toBe('pending')
      })
    )
  })

  it('keeps at least keep-releases of the releases that were live', () => {
    fc.assert(
      fc.property(history, rules, (releases, { keep, minAgeMs }) => {
        const plan = planCleanup(releases, { keep, minAgeMs, now: NOW })
        const wereLive = releases.filter(r => r.releasedAt !== undefined).length
        const kept = plan.filter(d => d.state !== 'deleted' && d.state !== 'pending').length
        expect(kept).toBeGreaterThanOrEqual(Math.min(keep, wereLive))
      })
    )
  })

  it('deletes everything the rules allow: beyond the newest keep-releases and drained', () => {
    fc.assert(
      fc.property(history, rules, (releases, { keep, minAgeMs }) => {
        const plan = byName(planCleanup(releases, { keep, minAgeMs, now: NOW }))
        const live = releases.filter(r => r.live).length
        replacedOrder(releases).forEach((r, index) => {
          const protectedByCount = index === 0 || live + index < keep
          const drained = NOW - (r.replacedAt ?? NOW) >= minAgeMs
          expect(plan.get(r.name)?.state === 'deleted').toBe(!protectedByCount && drained)
        })
      })
    )
  })

  it('gives every release exactly one decision, in the order given', () => {
    fc.assert(
      fc.property(history, rules, (releases, { keep, minAgeMs }) => {
        const plan = planCleanup(releases, { keep, minAgeMs, now: NOW })
        expect(plan.map(d => d.name)).toEqual(releases.map(r => r.name))
      })
    )
  })

  it('says why a drained release beyond keep-releases goes', () => {
    const releases: ReleaseRecord[] = [
      { name: 'web-c', releasedAt: NOW - HOUR, live: true },
      { name: 'web-b', releasedAt: NOW - 30 * HOUR, replacedAt: NOW - HOUR, live: false },
      { name: 'web-a', releasedAt: NOW - 60 * HOUR, replacedAt: NOW - 30 * HOUR, live: false }
    ]
    const [, , oldest] = planCleanup(releases, { keep: 2, minAgeMs: 24 * HOUR, now: NOW })
    expect(oldest).toMatchObject({ state: 'deleted', ageMs: 30 * HOUR })
    expect(oldest.reason).toContain('beyond the newest 2')
  })
})

describe('withLoads', () => {
  const decided: CleanupDecision[] = [
    { name: 'web-live', state: 'live', ageMs: HOUR, reason: 'serving traffic' },
    {
      name: 'web-old',
      state: 'deleted',
      ageMs: 50 * HOUR,
      reason: 'beyond the newest 2, drained for 2.1 d'
    }
  ]
  const load = (value: number | undefined): LoadReading => ({
    ...(value === undefined ? {} : { load: value }),
    source: 'GET /connections on 1 pod',
    detail: value === undefined ? 'unknown: web-old-1: HTTP 503' : `web-old-1: ${value}`
  })
  const measured = (old: number | undefined) =>
    withLoads(
      decided,
      new Map([
        ['web-live', load(7)],
        ['web-old', load(old)]
      ]),
      0
    )

  it('keeps a deletion of a release drained to the threshold, with its load', () => {
    expect(measured(0)[1]).toEqual({
      ...decided[1],
      load: load(0),
      reason: 'beyond the newest 2, drained for 2.1 d; drained: load 0 <= drain-threshold 0'
    })
  })

  it('keeps a busy release instead, saying its load', () => {
    expect(measured(3)[1]).toMatchObject({
      state: 'busy',
      reason: 'busy: load 3 > drain-threshold 0: kept'
    })
  })

  it('keeps a release whose load is unknown as unmeasured, saying why', () => {
    expect(measured(undefined)[1]).toMatchObject({
      state: 'unmeasured',
      reason:
        'beyond the newest 2, drained for 2.1 d; but its load is unknown: web-old-1: HTTP 503: kept'
    })
  })

  it('leaves the decisions the age rules keep as they were, with their load shown', () => {
    expect(measured(0)[0]).toEqual({ ...decided[0], load: load(7) })
  })

  it('shows a load in the releases table with how it was measured', () => {
    expect(describeLoad(load(2))).toBe('2 (GET /connections on 1 pod: web-old-1: 2)')
    expect(describeLoad(undefined)).toBe('–')
  })
})
