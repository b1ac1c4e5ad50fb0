/** The gateway strategy's inputs: `route` and `canary-header`, refused by name when malformed. */
import { readSettings, SettingsError, type Settings } from '../../src/settings.js'
import { dnsSubdomain, httpHeader, InputProblem } from '../../src/validate.js'

const ENV = { GITHUB_WORKSPACE: process.cwd(), GITHUB_SHA: 'abcdef1234567890' }

function settingsWith(inputs: Record<string, string>): Settings {
  const all: Record<string, string> = { app: 'shop', image: 'ghcr.io/acme/shop', ...inputs }
  return readSettings(name => all[name] ?? '', ENV)
}

/** The inputs a SettingsError names, and what it says about each. */
function refusal(inputs: Record<string, string>): Record<string, string> {
  try {
    settingsWith(inputs)
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error
    return Object.fromEntries(error.problems.map(p => [p.input, p.expected]))
  }
  throw new Error('expected the inputs to be refused')
}

describe('route', () => {
  it('defaults to the app name', () => {
    expect(settingsWith({}).gateway.route).toBe('shop')
  })

  it.each([
    ['uppercase', 'Shop-Web'],
    ['an underscore', 'shop_web'],
    ['a space', 'shop web'],
    ['a leading dash', '-shop'],
    ['a trailing dot', 'shop.'],
    ['254 characters', 'a'.repeat(254)]
  ])('refuses a name with %s, naming route', (_what, value) => {
    expect(refusal({ route: value })).toEqual({
      route: expect.stringMatching(/^a DNS-1123 subdomain/)
    })
  })
})

describe('canary-header', () => {
  it('is absent unless given', () => {
    expect(settingsWith({}).gateway.header).toBeUndefined()
  })

  it.each([
    ['no colon', 'X-Canary'],
    ['no value', 'X-Canary:'],
    ['no name', ': always'],
    ['a space in the name', 'X Canary: always'],
    ['a letter outside the token characters', 'X-Canäry: always'],
    ['a control character in the value', 'X-Canary: al\u0007ways'],
    ['a value over 4096 characters', `X-Canary: ${'v'.repeat(4097)}`],
    ['a name over 256 characters', `${'h'.repeat(257)}: v`]
  ])('refuses a header with %s, naming canary-header', (_what, value) => {
    expect(refusal({ 'canary-header': value })).toEqual({
      'canary-header': expect.stringMatching(/^a header as `Name: value`/)
    })
  })

  it('refuses a value smuggling a second line', () => {
    expect(Object.keys(refusal({ 'canary-header': 'X-Canary: a\nHost: evil' }))).toEqual([
      'canary-header'
    ])
  })
})

describe('the gateway strategy', () => {
  it('reads route and canary-header, with the steps as the other weighted strategy does', () => {
    const settings = settingsWith({
      strategy: 'gateway',
      route: 'shop-web',
      'canary-header': 'X-Canary: always',
      steps: '10,50'
    })
    expect([settings.strategy, settings.gateway, settings.canary.steps]).toEqual([
      'gateway',
      { route: 'shop-web', header: { name: 'X-Canary', value: 'always' } },
      [10, 50]
    ])
  })
})

describe('gateway inputs with another strategy', () => {
  it.each([
    ['route', 'shop-web'],
    ['canary-header', 'X-Canary: always']
  ])('refuses %s with the replicas strategy rather than ignore it', (input, value) => {
    expect(refusal({ [input]: value })).toEqual({
      [input]: expect.stringContaining('no value with the replicas strategy')
    })
  })
})

describe('httpHeader', () => {
  it('parses `Name: value`, dropping the spaces around the value', () => {
    expect(httpHeader('X-Canary:   always  ')).toEqual({ name: 'X-Canary', value: 'always' })
  })

  it('keeps colons inside the value', () => {
    expect(httpHeader('X-Release: v2:blue')).toEqual({ name: 'X-Release', value: 'v2:blue' })
  })

  it('accepts every token character Gateway API allows in a header name', () => {
    expect(httpHeader("a!#$%&'*+-.^_`|~9: 1").name).toBe("a!#$%&'*+-.^_`|~9")
  })

  it('accepts a tab inside the value (HTTP allows it)', () => {
    expect(httpHeader('X-Canary: a\tb').value).toBe('a\tb')
  })
})

describe('dnsSubdomain', () => {
  it('accepts dotted names up to 253 characters', () => {
    expect(dnsSubdomain('shop.web-v2')).toBe('shop.web-v2')
    expect(
      dnsSubdomain(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`)
    ).toHaveLength(253)
  })

  it('refuses uppercase', () => {
    expect(() => dnsSubdomain('Shop')).toThrow(InputProblem)
  })
})
