import fc from 'fast-check'
import { RouteError, type BackendRef } from '../../src/release/routers/gateway/http-route.js'
import {
  mergeCanaryIntoStable,
  splitDivides,
  splitStable
} from '../../src/release/routers/gateway/weights.js'
import { backend, canary, SERVICES, shares, stable } from './fixtures.js'

const split = (refs: BackendRef[], percent: number) =>
  splitStable(refs, SERVICES, percent, 'HTTPRoute shop/shop-web spec.rules[0]')

describe('splitStable: the canary takes a step of the stable Service traffic', () => {
  it('splits a lone stable backend 9 to 1 at a 10% step', () => {
    expect(split([stable()], 10)).toEqual([stable(9), canary(1)])
  })

  it('counts a backendRef without weight as weight 1, as the API does', () => {
    const { weight: _omitted, ...unweighted } = stable()
    expect(split([unweighted], 25)).toEqual([stable(3), canary(1)])
  })

  it("gives the canary the step's share of stable's traffic, and other backends keep theirs", () => {
    const before = [stable(3), backend('legacy', 1)]
    const after = split(before, 20)

    expect(shares(after).legacy).toBeCloseTo(shares(before).legacy, 12)
    // stable had 3/4 of the rule: the canary takes 20% of that, exactly.
    const weight = (name: string) => after.find(ref => ref.name === name)?.weight ?? 0
    expect(weight('shop-canary') * 100 * 4).toBe(
      20 * 3 * (weight('shop-web') + weight('shop-canary') + weight('legacy'))
    )
  })

  it("copies the stable backendRef's port, namespace and filters to the canary", () => {
    const filters = [
      {
        type: 'RequestHeaderModifier',
        requestHeaderModifier: { add: [{ name: 'x-tier', value: 'web' }] }
      }
    ]
    const [, added] = split([stable(1, { port: 8080, namespace: 'shop', filters })], 50)

    expect(added).toEqual({
      ...stable(1, { port: 8080, namespace: 'shop', filters }),
      name: 'shop-canary'
    })
  })

  it('leaves the stable backend at weight 0 at a 100% step', () => {
    expect(split([stable(), backend('legacy', 1)], 100)).toEqual([
      stable(0),
      canary(1),
      backend('legacy', 1)
    ])
  })

  it('adds no canary at 0%', () => {
    expect(split([stable(5)], 0)).toEqual([stable(5)])
  })

  it('adds no canary beside a stable backend with weight 0 (it gets no traffic to share)', () => {
    expect(split([stable(0), backend('legacy', 1)], 50)).toEqual([stable(0), backend('legacy', 1)])
  })

  it('divides large weights by their common factor when the split would pass the API maximum', () => {
    expect(split([stable(500_000), backend('legacy', 500_000)], 10)).toEqual([
      stable(9),
      canary(1),
      backend('legacy', 10)
    ])
  })

  it('refuses weights it cannot split exactly within the API maximum, naming the rule', () => {
    expect(() => split([stable(999_999), backend('legacy', 1)], 10)).toThrow(RouteError)
    expect(() => split([stable(999_999), backend('legacy', 1)], 10)).toThrow(
      /HTTPRoute shop\/shop-web spec\.rules\[0\]: weights 999999, 1 cannot be split exactly for a 10% step/
    )
  })

  it('refuses a rule that would hold more than 16 backendRefs with the canary', () => {
    const full = [stable(), ...Array.from({ length: 15 }, (_, i) => backend(`other-${i}`))]
    expect(() => split(full, 10)).toThrow(/makes 17 backendRefs, more than the 16 the API allows/)
  })
})

describe('mergeCanaryIntoStable: the canary leaves, stable weights come back', () => {
  it("restores the user's weights exactly after a step", () => {
    const user = [stable(90), backend('legacy', 10)]
    expect(mergeCanaryIntoStable(split(user, 25), SERVICES)).toEqual(user)
  })

  it('returns a rule without a canary unchanged', () => {
    const user = [stable(7), backend('legacy', 3)]
    expect(mergeCanaryIntoStable(user, SERVICES)).toEqual(user)
  })

  it('gives a canary placed before every stable backend to the first stable one', () => {
    expect(mergeCanaryIntoStable([canary(1), stable(3)], SERVICES)).toEqual([stable(1)])
  })

  it('leaves a rule with no stable backend as it is: a canary there is not ours', () => {
    const user = [backend('legacy', 2), canary(1)]
    expect(mergeCanaryIntoStable(user, SERVICES)).toEqual(user)
  })

  it("restores the user's weights the split had to divide, given them", () => {
    const user = [stable(600_000), backend('legacy', 300_000)]
    expect(mergeCanaryIntoStable(split(user, 10), SERVICES)).toEqual([
      stable(2),
      backend('legacy', 1)
    ])
    expect(mergeCanaryIntoStable(split(user, 10), SERVICES, [600_000, 300_000])).toEqual(user)
  })

  it('keeps the merged weights when the kept ones no longer have their ratios', () => {
    // The user changed legacy during the release: the kept weights describe another route.
    const during = [stable(18), canary(2), backend('legacy', 30)]
    expect(mergeCanaryIntoStable(during, SERVICES, [600_000, 300_000])).toEqual([
      stable(2),
      backend('legacy', 3)
    ])
  })

  it('keeps shares when someone changed the weights during the release', () => {
    // A 25% step gave stable 3, canary 1, legacy 4; then legacy was edited to 5.
    const merged = mergeCanaryIntoStable([stable(3), canary(1), backend('legacy', 5)], SERVICES)
    expect(shares(merged)).toEqual(shares([stable(4), backend('legacy', 5)]))
  })
})

describe('weights, for any rule and any step', () => {
  const weight = fc.integer({ min: 0, max: 10_000 })
  const ruleArb = fc
    .tuple(
      fc.integer({ min: 1, max: 10_000 }),
      fc.array(weight, { maxLength: 4 }),
      fc.integer({ min: 0, max: 4 })
    )
    .map(([stableWeight, others, at]) => {
      const refs = others.map((w, i) => backend(`other-${i}`, w))
      refs.splice(Math.min(at, refs.length), 0, stable(stableWeight))
      return refs
    })
  const percent = fc.integer({ min: 1, max: 100 })

  it('gives the canary exactly the step of what stable had, and every other backend its share', () => {
    fc.assert(
      fc.property(ruleArb, percent, (refs, p) => {
        const before = shares(refs)
        const after = shares(split(refs, p))
        for (const [name, share] of Object.entries(before)) {
          if (name !== 'shop-web') expect(after[name]).toBeCloseTo(share, 12)
        }
        expect(after['shop-canary']).toBeCloseTo((before['shop-web'] * p) / 100, 12)
        expect(after['shop-web'] + after['shop-canary']).toBeCloseTo(before['shop-web'], 12)
      })
    )
  })

  it('undoing any step gives back the exact weights', () => {
    fc.assert(
      fc.property(ruleArb, percent, (refs, p) => {
        expect(mergeCanaryIntoStable(split(refs, p), SERVICES)).toEqual(refs)
      })
    )
  })

  it('undoing any step gives back the exact weights, however large, with the ones a split divided', () => {
    const large = fc
      .integer({ min: 1, max: 20 })
      .chain(unit =>
        fc
          .array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 4 })
          .map(others => [
            stable(unit * 50_000),
            ...others.map((w, i) => backend(`o${i}`, w * 50_000))
          ])
      )
    fc.assert(
      fc.property(large, percent, (refs, p) => {
        const kept = splitDivides(refs, SERVICES, p) ? refs.map(r => r.weight ?? 1) : undefined
        expect(mergeCanaryIntoStable(split(refs, p), SERVICES, kept)).toEqual(refs)
      })
    )
  })

  it('a step taken after another equals that step taken directly', () => {
    fc.assert(
      fc.property(ruleArb, percent, percent, (refs, first, second) => {
        const again = split(mergeCanaryIntoStable(split(refs, first), SERVICES), second)
        expect(again).toEqual(split(refs, second))
      })
    )
  })

  it('stays within the API limits: whole weights from 0 to 1000000', () => {
    fc.assert(
      fc.property(ruleArb, percent, (refs, p) => {
        for (const ref of split(refs, p)) {
          expect(Number.isInteger(ref.weight)).toBe(true)
          expect(ref.weight).toBeGreaterThanOrEqual(0)
          expect(ref.weight).toBeLessThanOrEqual(1_000_000)
        }
      })
    )
  })
})
