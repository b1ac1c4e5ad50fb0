/**
 * Hostile input, as a property: every action input fed shell metacharacters, command substitution,
 * newlines, NUL, megabyte strings, look-alike unicode, credentialed and file: URLs, `../` paths,
 * YAML alias bombs and oversized kubeconfigs. Each generated case has a verdict known by
 * construction: refused ones must end the run with a settings error that names the input (and
 * nothing else), shows no stack or source path and no secret; accepted ones are run beside one
 * deliberately bad "sentinel" input, so the run still stops at settings and the error names only
 * the sentinel. Either way nothing may reach the network: the kubeconfig's server, GITHUB_API_URL
 * and the image registry all point at a local server that counts every request.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { ACTION_INPUTS } from '../src/action-inputs.js'
import type { CommandResult } from '../src/commands/types.js'
import { MemoryLogger } from '../src/logger.js'
import { runCommand } from '../src/run-command.js'
import { readSettings, SECRET_INPUTS, SettingsError } from '../src/settings.js'

/** How each input's values are judged; every input in action.yml must be listed here. */
type InputClass =
  /** Parsed by a grammar (enum, number, duration, DNS name, image, digest...): hostile text is always refused. */
  | { kind: 'strict'; list: boolean }
  /** One line of free text up to max characters (secrets, names shown to people). */
  | { kind: 'text'; max: number; refuses?: RegExp }
  | { kind: 'url' }
  /** A path that must stay inside the workspace (need not exist yet). */
  | { kind: 'path' }
  /** Existing files or folders inside the workspace, one a line. */
  | { kind: 'manifests' }
  | { kind: 'kubeconfig' }
  | { kind: 'build-args' }
  | { kind: 'command-args' }

const strict = (list = false): InputClass => ({ kind: 'strict', list })

const INPUT_CLASSES: Record<string, InputClass> = {
  command: strict(),
  kubeconfig: { kind: 'kubeconfig' },
  context: { kind: 'text', max: 253 },
  namespace: strict(),
  app: strict(),
  deployments: strict(true),
  container: strict(),
  manifests: { kind: 'manifests' },
  image: strict(),
  version: strict(),
  build: strict(),
  'build-context': { kind: 'path' },
  dockerfile: { kind: 'path' },
  'build-args': { kind: 'build-args' },
  target: strict(),
  platforms: strict(true),
  tags: strict(true),
  labels: { kind: 'build-args' },
  secrets: { kind: 'build-args' },
  provenance: strict(),
  sbom: strict(),
  cache: strict(),
  registry: strict(),
  'registry-username': { kind: 'text', max: 256 },
  'registry-password': { kind: 'text', max: 4096 },
  'migrate-command': { kind: 'command-args' },
  'migrate-timeout': strict(),
  'migrate-backoff-limit': strict(),
  strategy: strict(),
  'canary-replicas': strict(),
  'canary-host': strict(),
  route: strict(),
  // Refused with every strategy while gateway is not offered; once it is, a header value is free text.
  'canary-header': strict(),
  'canary-weight': strict(),
  steps: strict(true),
  'step-interval': strict(),
  'smoke-url': { kind: 'url' },
  'smoke-port': strict(),
  'health-path': strict(),
  'version-path': strict(),
  'expected-version': { kind: 'text', max: 256 },
  'smoke-timeout': strict(),
  timeout: strict(),
  'lock-timeout': strict(),
  approve: { kind: 'text', max: 16 },
  digest: strict(),
  approvers: strict(true),
  environment: { kind: 'text', max: 255, refuses: /['"`$\\]/ },
  'rollback-on-failure': strict(),
  'accept-inconclusive': strict(),
  'keep-releases': strict(),
  'drain-min-age': strict(),
  // YAML and PromQL: grammar-checked (check names, rules, a template needing {{selector}}), multi-line.
  analysis: strict(true),
  'prometheus-url': { kind: 'url' },
  'prometheus-service': strict(),
  'analysis-interval': strict(),
  'analysis-rounds': strict(),
  'drain-query': strict(true),
  'drain-path': strict(),
  'drain-threshold': strict(),
  'base-ref': strict(),
  comment: strict(),
  'github-token': { kind: 'text', max: 4096 }
}

const inputsOf = (kind: InputClass['kind']): string[] =>
  Object.entries(INPUT_CLASSES)
    .filter(([, c]) => c.kind === kind)
    .map(([name]) => name)

// ---------------------------------------------------------------------------------------------
// The world the runs happen in: a workspace with manifests, a file outside it, a counting server.

let hits: string[] = []
let server: http.Server
let port = 0
let workspace = ''
let outside = ''
let BASE: Record<string, string> = {}
let ENV: NodeJS.ProcessEnv = {}
let casesRun = 0

function kubeconfigFor(serverUrl: string, padding = ''): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{ name: c, cluster: { server: '${serverUrl}', insecure-skip-tls-verify: true } }]`,
    "users: [{ name: u, user: { token: 'kube-token-must-stay-secret' } }]",
    'contexts: [{ name: ctx, context: { cluster: c, user: u } }]',
    'current-context: ctx',
    padding
  ].join('\n')
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`)
    // Forbidden answers everything at once and is never retried: the control run ends quickly.
    res.writeHead(403, { 'Content-Type': 'application/json' })
    res.end(
      JSON.stringify({
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message: 'counted'
      })
    )
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  port = (server.address() as AddressInfo).port

  const root = mkdtempSync(join(tmpdir(), 'hostile-'))
  workspace = join(root, 'ws')
  outside = join(root, 'outside')
  mkdirSync(join(workspace, 'k8s'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(
    join(workspace, 'k8s', 'web.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: shop }\n'
  )
  writeFileSync(join(outside, 'secret.yaml'), 'kind: Secret\n')
  writeFileSync(join(workspace, 'bomb.yaml'), aliasBomb(9, 9, 'items'))
  writeFileSync(join(workspace, 'big.yaml'), tenMegabyteManifest())
  symlinkSync(join(outside, 'secret.yaml'), join(workspace, 'escape.yaml'))

  const local = `http://127.0.0.1:${port}`
  BASE = {
    command: 'deploy',
    app: 'shop',
    kubeconfig: kubeconfigFor(local),
    image: `127.0.0.1:${port}/acme/shop`,
    registry: `127.0.0.1:${port}`,
    'registry-username': 'bot',
    'registry-password': 'registry-password-must-stay-secret',
    'github-token': 'ghs_tokenMustStaySecret000000000000000',
    build: 'false',
    version: '1.0.0'
  }
  ENV = {
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: 'abcdef1234567890abcdef1234567890abcdef12',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '42',
    GITHUB_ACTOR: 'octocat',
    GITHUB_API_URL: local,
    GITHUB_SERVER_URL: local
  }
})

afterAll(async () => {
  console.log(`hostile-input: ${casesRun} generated cases run through runCommand`)
  await new Promise<void>(done => server.close(() => done()))
  rmSync(resolve(workspace, '..'), { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------------
// Running a case and judging it.

async function run(
  inputs: Record<string, string>
): Promise<{ result: CommandResult; logger: MemoryLogger }> {
  casesRun++
  // Counted per run: a request is blamed on the case that made it.
  hits = []
  const logger = new MemoryLogger()
  const signal = new AbortController().signal
  const result = await runCommand(name => inputs[name] ?? '', { logger, env: ENV, signal })
  return { result, logger }
}

/** The inputs the failed run named, from its "Invalid inputs" section (one `- \`name\`:` a line). */
function namedInputs(result: CommandResult): string[] {
  const body = result.report.sections.find(s => s.title === 'Invalid inputs')?.body ?? ''
  return [...body.matchAll(/^- `([^`]+)`:/gm)].map(m => m[1])
}

function expectCleanSettingsError(result: CommandResult): string {
  expect(result.report.status).toBe('failure')
  const reason = result.report.reason ?? ''
  expect(reason).toMatch(/^Invalid inputs?: /)
  expect(reason).not.toMatch(/\n\s+at /)
  expect(reason).not.toContain(resolve('src'))
  expect(reason).not.toMatch(/\.[cm]?[jt]s:\d+/)
  // A megabyte value is described, not echoed.
  expect(reason.length).toBeLessThan(2000)
  return reason
}

/** A secret input's value is never shown: its problem says "(value hidden)", and no log line has it. */
function expectSecretsHidden(
  result: CommandResult,
  logger: MemoryLogger,
  inputs: Record<string, string>
): void {
  const body = result.report.sections.find(s => s.title === 'Invalid inputs')?.body ?? ''
  for (const line of body.split('\n')) {
    const name = /^- `([^`]+)`:/.exec(line)?.[1]
    if (name && SECRET_INPUTS.has(name)) expect(line).toMatch(/got \(value hidden\)$/)
  }
  const shown = [result.report.reason ?? '', body, ...logger.lines].join('\n')
  expect(shown).not.toContain('kube-token-must-stay-secret')
  expect(shown).not.toContain(BASE['registry-password'])
  expect(shown).not.toContain(BASE['github-token'])
  for (const name of SECRET_INPUTS) {
    const value = inputs[name]?.trim()
    if (value && value.length >= 8)
      for (const line of logger.lines) expect(line).not.toContain(value.slice(0, 200))
  }
}

/** The run stops at settings, and the only input blamed is `input`. */
async function expectRefused(input: string, value: string): Promise<void> {
  const inputs = { ...BASE, [input]: value }
  const { result, logger } = await run(inputs)
  const reason = expectCleanSettingsError(result)
  expect(reason).toMatch(new RegExp(`(?:^Invalid inputs?: |; )${escapeRegExp(input)}: expected `))
  expect(namedInputs(result)).toEqual([input])
  expectSecretsHidden(result, logger, inputs)
  expect(hits).toEqual([])
}

/** `value` is valid for `input`: beside a bad sentinel input, only the sentinel is blamed. */
async function expectAccepted(input: string, value: string): Promise<void> {
  const [sentinel, bad] =
    input === 'canary-replicas' ? ['keep-releases', '1'] : ['canary-replicas', '0']
  const inputs = { ...BASE, [input]: value, [sentinel]: bad }
  const { result, logger } = await run(inputs)
  expectCleanSettingsError(result)
  expect(namedInputs(result)).toEqual([sentinel])
  expectSecretsHidden(result, logger, inputs)
  expect(hits).toEqual([])
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// ---------------------------------------------------------------------------------------------
// Generators. `${{` is left out everywhere: settings treats an unexpanded expression as "not given".

const noExpression = (s: string): boolean => !s.includes('${{')

/** Characters no grammar-checked input accepts (none is whitespace, a comma or a newline). */
const FORBIDDEN = fc.constantFrom(
  '`',
  '"',
  '<',
  '>',
  '|',
  '\\',
  '{',
  '}',
  '^',
  'а', // Cyrillic a
  'о', // Cyrillic o
  'ѕ', // Cyrillic dze, looks like s
  '１', // fullwidth digit one
  '０',
  'ｍ', // fullwidth m
  '\u202e', // right-to-left override
  '\u200b' // zero-width space (not whitespace to String.trim)
)

/** Fragments of attacks, none with a newline, NUL or `[` at the start. */
const PAYLOAD = fc.constantFrom(
  '; rm -rf /',
  '$(curl http://127.0.0.1:9/x)',
  '`id`',
  '&& reboot',
  '| nc -e /bin/sh 127.0.0.1 9',
  "' OR '1'='1",
  '../../etc/passwd',
  'file:///etc/passwd',
  'http://user:pass@127.0.0.1/',
  '${IFS}cat${IFS}/etc/shadow',
  '%0a%0d',
  '> /dev/sda',
  'shоp', // Cyrillic o
  'ｓｈｏｐ',
  '１０ｍ',
  '\u202ehtap',
  '*a *a *a',
  '&a [*a]',
  '}}{{',
  '\\x00'
)

/** Paths that look like attacks but are just characters in a URL path. */
const PAYLOAD_PATHS = ['$(id)', '`id`', '..%2f..%2fetc%2fpasswd', ';rm%20-rf', 'a|b', 'ѕhop']

const SAFE_PREFIX = fc.constantFrom(
  '',
  'shop',
  '10',
  '10m',
  'true',
  '/health',
  'ghcr.io/acme/shop',
  'main',
  'a'
)

/** One line of hostile text: payloads and forbidden characters in any order, at least one forbidden. */
const hostileLine = fc
  .tuple(
    SAFE_PREFIX,
    FORBIDDEN,
    fc.array(fc.oneof(PAYLOAD, FORBIDDEN, fc.string({ maxLength: 8, unit: 'binary-ascii' })), {
      maxLength: 5
    })
  )
  .map(([prefix, forbidden, rest]) => `${prefix}${forbidden}${rest.join('')}`)
  .map(s => s.replace(/[\0\r\n]/g, ' '))
  .filter(noExpression)

/** Text with a forbidden character inside a non-blank item, so no grammar can accept it. */
const hostileForStrict = fc
  .tuple(hostileLine, fc.constantFrom('', '\n', ',', '\nshop\n'))
  .map(([line, join]) => `${join}${line}${join}`)

/** `something` newline `more`: a value smuggling a second line into a one-value input. */
const newlineInjection = fc
  .tuple(
    SAFE_PREFIX.filter(s => s !== ''),
    fc.constantFrom('\n', '\r\n', '\r'),
    fc.oneof(PAYLOAD, hostileLine)
  )
  .map(([first, newline, second]) => `${first}${newline}${second}`)
  .filter(s => noExpression(s) && /[\r\n]/.test(s.trim()))

const withNul = fc
  .tuple(SAFE_PREFIX, fc.oneof(PAYLOAD, fc.constant('')), fc.constantFrom('\0', '\0\0', 'a\0b'))
  .map(([a, b, nul]) => `${a}x${nul}${b}`)
  .filter(noExpression)

/** Over every input's byte limit (kubeconfig's 1 MiB included); in bytes, so 2-byte Cyrillic counts double. */
const oversized = fc
  .tuple(fc.constantFrom('a', 'а', '$(x)', 'shop;', '１'), fc.integer({ min: 1, max: 64 * 1024 }))
  .map(([unit, extra]) => unit.repeat(Math.ceil((1024 * 1024 + extra) / Buffer.byteLength(unit))))

function aliasBomb(width: number, depth: number, key: string): string {
  const lines = [`l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`]
  for (let i = 1; i < depth; i++)
    lines.push(
      `l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(', ')}]`
    )
  lines.push(`${key}: *l${depth - 1}`)
  return lines.join('\n') + '\n'
}

function tenMegabyteManifest(): string {
  const line = `# ${'x'.repeat(98)}\n`
  return 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: big }\n' + line.repeat(100_000)
}

/** Billion laughs with at least 1000-fold expansion, aimed at the key a kubeconfig needs. */
const aliasBombKubeconfig = fc
  .tuple(fc.integer({ min: 2, max: 10 }), fc.integer({ min: 3, max: 10 }))
  .filter(([width, depth]) => width ** depth >= 1000)
  .map(([width, depth]) => aliasBomb(width, depth, 'clusters'))

// ---------------------------------------------------------------------------------------------

describe('hostile input never gets past settings, and never reaches the network', () => {
  afterEach(() => {
    hits = []
  })

  test('every action input has a known verdict class', () => {
    expect(Object.keys(INPUT_CLASSES).sort()).toEqual(ACTION_INPUTS.map(i => i.name).sort())
  })

  test('the counting server sees a run whose inputs are valid (the control: zero hits below means something)', async () => {
    const { result } = await run(BASE)
    expect(result.report.status).toBe('failure')
    expect(result.report.reason ?? '').not.toMatch(/^Invalid input/)
    expect(hits.length).toBeGreaterThan(0)
  })

  const RUNS_NUL = 150
  test(`a NUL character in any input is refused, naming it (${RUNS_NUL} cases)`, async () => {
    const names = ACTION_INPUTS.map(i => i.name)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), withNul, (input, value) =>
        expectRefused(input, value)
      ),
      { numRuns: RUNS_NUL }
    )
  })

  const RUNS_BIG = 60
  test(`a value over 1 MiB in any input is refused without being echoed (${RUNS_BIG} cases)`, async () => {
    const names = ACTION_INPUTS.map(i => i.name)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), oversized, (input, value) =>
        expectRefused(input, value)
      ),
      { numRuns: RUNS_BIG, endOnFailure: true }
    )
  })

  const RUNS_STRICT = 400
  test(`grammar-checked inputs refuse metacharacters, substitutions and look-alikes (${RUNS_STRICT} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...inputsOf('strict')), hostileForStrict, (input, value) =>
        expectRefused(input, value)
      ),
      { numRuns: RUNS_STRICT }
    )
  })

  const RUNS_NEWLINE = 150
  test(`one-value inputs refuse a smuggled second line (${RUNS_NEWLINE} cases)`, async () => {
    const oneValue = Object.entries(INPUT_CLASSES)
      .filter(([, c]) => (c.kind === 'strict' && !c.list) || c.kind === 'text' || c.kind === 'url')
      .map(([name]) => name)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...oneValue), newlineInjection, (input, value) =>
        expectRefused(input, value)
      ),
      { numRuns: RUNS_NEWLINE }
    )
  })

  const RUNS_TEXT = 200
  test(`free-text inputs accept one hostile line within their bound; it is data, never run (${RUNS_TEXT} cases)`, async () => {
    const texts = inputsOf('text')
    const cases = fc.constantFrom(...texts).chain(input => {
      const spec = INPUT_CLASSES[input] as Extract<InputClass, { kind: 'text' }>
      const fits = (s: string): boolean =>
        s.trim().length <= spec.max && !(spec.refuses?.test(s) ?? false)
      return fc.tuple(fc.constant(input), hostileLine.filter(fits))
    })
    await fc.assert(
      fc.asyncProperty(cases, ([input, value]) => expectAccepted(input, value)),
      { numRuns: RUNS_TEXT }
    )
  })

  test(`free-text inputs refuse text longer than their bound (${inputsOf('text').length * 2} cases)`, async () => {
    for (const input of inputsOf('text')) {
      const { max } = INPUT_CLASSES[input] as Extract<InputClass, { kind: 'text' }>
      await expectAccepted(input, 'x'.repeat(max))
      await expectRefused(input, 'x'.repeat(max) + 'x')
    }
  })

  test('environment refuses quotes, $ and backslashes (it reaches GitHub deployment payloads)', async () => {
    for (const value of ["prod'", 'prod"x', 'prod`id`', 'prod$(id)', 'prod\\n'])
      await expectRefused('environment', value)
  })

  const RUNS_URL = 80
  test(`smoke-url refuses file:, other schemes, credentials and non-URLs, and accepts http(s) with odd paths (${RUNS_URL} cases)`, async () => {
    const refused = fc.oneof(
      fc.constantFrom(
        'file:///etc/passwd',
        'FILE:///etc/passwd',
        `http://user:pass@127.0.0.1:${port}/`,
        `https://token@127.0.0.1:${port}/`,
        `http://:secret@127.0.0.1:${port}/`,
        'javascript:alert(1)',
        'data:text/plain,hi',
        'ftp://127.0.0.1/',
        'gopher://127.0.0.1:70/',
        '//127.0.0.1/no-scheme',
        'http://'
      ),
      // A value that starts with a forbidden character has no scheme, so it is no URL at all.
      fc.tuple(FORBIDDEN, hostileLine).map(([f, rest]) => `${f}${rest}`)
    )
    const accepted = fc.oneof(
      fc.constantFrom(
        `http://127.0.0.1:${port}/$(id)`,
        `http://127.0.0.1:${port}/a;b|c`,
        'https://shоp.example.com'
      ),
      fc.constantFrom(...PAYLOAD_PATHS).map(p => `https://canary.example.com/${p}`)
    )
    await fc.assert(
      fc.asyncProperty(refused, value => expectRefused('smoke-url', value)),
      { numRuns: RUNS_URL }
    )
    await fc.assert(
      fc.asyncProperty(accepted, value => expectAccepted('smoke-url', value)),
      { numRuns: 20 }
    )
  })

  const RUNS_PATH = 120
  test(`workspace paths refuse ../ escapes and absolute paths elsewhere, and accept odd names inside (${RUNS_PATH} cases)`, async () => {
    const escapes = fc.oneof(
      fc
        .tuple(fc.integer({ min: 1, max: 6 }), hostileLine)
        .map(([n, rest]) => `${'../'.repeat(n)}${rest.replace(/^\.+/, 'x')}`),
      fc
        .tuple(fc.constantFrom('a/', 'k8s/', './'), fc.integer({ min: 2, max: 6 }))
        .map(([a, n]) => `${a}${'../'.repeat(n)}etc/passwd`),
      fc.constantFrom('/etc/passwd', '/', `${outside}/secret.yaml`, `${workspace}/../outside`)
    )
    // Names whose no segment starts with `..`: inside the workspace whatever their characters.
    const inside = fc
      .tuple(fc.constantFrom('', './', 'k8s/', `${workspace}/`), hostileLine)
      .map(([prefix, name]) => `${prefix}x${name}`)
      .filter(p => !p.split('/').some(segment => segment.startsWith('..')))
    const paths = inputsOf('path')
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), escapes, (input, value) =>
        expectRefused(input, value)
      ),
      { numRuns: RUNS_PATH }
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), inside, (input, value) =>
        expectAccepted(input, value)
      ),
      { numRuns: RUNS_PATH / 2 }
    )
  })

  const RUNS_MANIFESTS = 100
  test(`manifests refuse missing files and files outside the workspace, one bad line among good ones (${RUNS_MANIFESTS} cases)`, async () => {
    const bad = fc.oneof(
      hostileLine.map(name => `k8s/${name}`),
      fc.constantFrom(
        '../outside/secret.yaml',
        `${outside}/secret.yaml`,
        '/etc/passwd',
        'k8s/../../outside/secret.yaml'
      )
    )
    const good = fc.constantFrom(
      'k8s/web.yaml',
      'k8s',
      './k8s/../k8s/web.yaml',
      `${workspace}/k8s/web.yaml`
    )
    const lines = fc
      .tuple(fc.array(good, { maxLength: 3 }), bad, fc.array(good, { maxLength: 3 }))
      .map(([before, b, after]) => [...before, b, ...after].join('\n'))
    await fc.assert(
      fc.asyncProperty(lines, value => expectRefused('manifests', value)),
      { numRuns: RUNS_MANIFESTS }
    )
    await fc.assert(
      fc.asyncProperty(fc.array(good, { minLength: 1, maxLength: 4 }), value =>
        expectAccepted('manifests', value.join('\n'))
      ),
      { numRuns: 10 }
    )
  })

  const RUNS_KUBECONFIG = 60
  test(`kubeconfig refuses alias bombs, 10 MB documents and non-kubeconfigs, never echoing it (${RUNS_KUBECONFIG} cases)`, async () => {
    const local = `http://127.0.0.1:${port}`
    const refused = fc.oneof(
      aliasBombKubeconfig,
      aliasBombKubeconfig.map(text => Buffer.from(text).toString('base64')),
      fc
        .integer({ min: 10, max: 12 })
        .map(mb => kubeconfigFor(local, `# ${'x'.repeat(mb * 1024 * 1024)}`)),
      hostileLine.filter(s => !s.includes('clusters')),
      fc.constantFrom(
        'apiVersion: v1\nusers: []\n',
        '[clusters]',
        'clusters',
        '- clusters: []',
        'Y2x1c3RlcnM='
      )
    )
    await fc.assert(
      fc.asyncProperty(refused, value => expectRefused('kubeconfig', value)),
      { numRuns: RUNS_KUBECONFIG, endOnFailure: true }
    )
    // A few anchors are ordinary YAML, and base64 of a kubeconfig is what people paste into secrets.
    await expectAccepted(
      'kubeconfig',
      `x: &srv '${local}'\n${kubeconfigFor(local)}\npreferences: { a: *srv, b: *srv }`
    )
    await expectAccepted('kubeconfig', Buffer.from(kubeconfigFor(local)).toString('base64'))
  })

  const RUNS_ARGS = 100
  test(`build-args take hostile values as data, and refuse keys that are not names (${RUNS_ARGS} cases)`, async () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/)
    const goodLine = fc.tuple(key, hostileLine).map(([k, v]) => `${k}=${v}`)
    const badLine = fc.tuple(FORBIDDEN, hostileLine).map(([f, rest]) => `${f}${rest}=1`)
    await fc.assert(
      fc.asyncProperty(fc.array(goodLine, { minLength: 1, maxLength: 4 }), ls =>
        expectAccepted('build-args', ls.join('\n'))
      ),
      { numRuns: RUNS_ARGS / 2 }
    )
    await fc.assert(
      fc.asyncProperty(fc.array(goodLine, { maxLength: 3 }), badLine, (ls, b) =>
        expectRefused('build-args', [...ls, b].join('\n'))
      ),
      { numRuns: RUNS_ARGS / 2 }
    )
  })

  const RUNS_COMMAND = 100
  test(`migrate-command takes hostile arguments as data (no shell), and refuses broken JSON arrays (${RUNS_COMMAND} cases)`, async () => {
    const argLines = fc.array(
      hostileLine.filter(s => !s.trim().startsWith('[')),
      { minLength: 1, maxLength: 5 }
    )
    await fc.assert(
      fc.asyncProperty(argLines, ls => expectAccepted('migrate-command', ls.join('\n'))),
      { numRuns: RUNS_COMMAND / 2 }
    )
    await fc.assert(
      fc.asyncProperty(argLines, ls => expectAccepted('migrate-command', JSON.stringify(ls))),
      { numRuns: 20 }
    )
    const broken = fc.oneof(
      hostileLine.map(s => `[${s}`),
      fc.constantFrom(
        '[]',
        '["ok", 1]',
        '[null]',
        '[""]',
        '[{"cmd": "x"}]',
        `[${JSON.stringify('$(id)')}, {}]`
      ),
      fc.constant(JSON.stringify(Array(257).fill('x')))
    )
    await fc.assert(
      fc.asyncProperty(broken, value => expectRefused('migrate-command', value)),
      { numRuns: RUNS_COMMAND / 2 }
    )
  })
})

/** Manifest files are read by settings: what is in them is input too, refused before any call. */
describe('manifest files', () => {
  const settingsWith = (manifests: string): void => {
    readSettings(name => ({ ...BASE, manifests })[name] ?? '', ENV)
  }
  test('a 10 MB manifest is refused before anything is read from the cluster', () => {
    expect(() => settingsWith('big.yaml')).toThrow(SettingsError)
  })
  test('a manifest that is a YAML alias bomb is refused before anything is read from the cluster', () => {
    expect(() => settingsWith('bomb.yaml')).toThrow(SettingsError)
  })
  test('a manifest symlink pointing outside the workspace is refused', () => {
    expect(() => settingsWith('escape.yaml')).toThrow(SettingsError)
  })
})
