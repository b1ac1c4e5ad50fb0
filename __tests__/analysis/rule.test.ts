import { parseRule, ruleBound, RuleSyntaxError, satisfies } from '../../src/analysis/rule.js'

describe('parseRule', () => {
  it.each([
    ['<= 1%', 'canary <= 1%', false],
    ['canary < 300ms', 'canary < 300ms', false],
    ['<= stable * 1.2', 'canary <= stable * 1.2', true],
    ['<=max(stable*1.5,stable+0.5%)', 'canary <= max(stable * 1.5, stable + 0.5%)', true],
    ['>= min(stable - 0.1, 0.9)', 'canary >= min(stable - 0.1, 0.9)', true],
    ['<= (stable + 1) * 2', 'canary <= (stable + 1) * 2', true],
    ['> -1', 'canary > -1', false]
  ])('reads %s as %s (relative: %s)', (source, text, relative) => {
    const rule = parseRule(source)
    expect(rule.text).toBe(text)
    expect(rule.relative).toBe(relative)
  })

  it.each([
    ['', 'ends'],
    ['stable * 1.2', 'starts with a comparison'],
    ['<= stabel * 1.2', 'the only name a rule knows is stable'],
    ['<= max(stable', '")" expected'],
    ['<= 1 2', 'unexpected "2"'],
    ['<= 5 %', 'unexpected "%"'],
    ['<= stable ** 2', 'not a number'],
    ['== 1', 'unexpected']
  ])('refuses %j, saying %s', (source, message) => {
    expect(() => parseRule(source)).toThrow(RuleSyntaxError)
    expect(() => parseRule(source)).toThrow(message)
  })
})

describe('ruleBound', () => {
  it('takes units: percent as hundredths, ms as thousandths', () => {
    expect(ruleBound(parseRule('<= 0.5%'), undefined)).toBeCloseTo(0.005)
    expect(ruleBound(parseRule('<= 250ms'), undefined)).toBeCloseTo(0.25)
  })

  it('gives the larger of the ratio and the delta for the error-rate default', () => {
    const rule = parseRule('<= max(stable * 1.5, stable + 0.5%)')
    expect(ruleBound(rule, 0)).toBeCloseTo(0.005)
    expect(ruleBound(rule, 0.1)).toBeCloseTo(0.15)
  })

  it('keeps multiplication before addition, and parentheses first', () => {
    expect(ruleBound(parseRule('<= stable + 1 * 2'), 1)).toBe(3)
    expect(ruleBound(parseRule('<= (stable + 1) * 2'), 1)).toBe(4)
    expect(ruleBound(parseRule('<= stable - 1 - 1'), 5)).toBe(3)
  })

  it('gives no bound for a relative rule without stable', () => {
    expect(ruleBound(parseRule('<= stable * 1.2'), undefined)).toBeNaN()
  })
})

describe('satisfies', () => {
  it.each([
    [1, '<=', 1, true],
    [1, '<', 1, false],
    [2, '>=', 2, true],
    [2, '>', 2, false],
    [Infinity, '<=', 5, false]
  ] as const)('%s %s %s is %s', (value, comparator, bound, expected) => {
    expect(satisfies(value, comparator, bound)).toBe(expected)
  })
})
