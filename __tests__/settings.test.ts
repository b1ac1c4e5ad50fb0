import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { readSettings, SettingsError, type Settings } from '../src/settings.js'

const workspace = mkdtempSync(join(tmpdir(), 'settings-ws-'))
mkdirSync(join(workspace, 'k8s'))
mkdirSync(join(workspace, 'bad'))
writeFileSync(join(workspace, 'bad', 'broken.yaml'), 'kind: Deployment\n')
writeFileSync(
  join(workspace, 'k8s', 'web.yaml'),
  'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\n'
)

const env = {
  GITHUB_WORKSPACE: workspace,
  GITHUB_SHA: 'abcdef1234567890abcdef1234567890abcdef12',
  GITHUB_REPOSITORY: 'Acme/Shop',
  GITHUB_RUN_ID: '42',
  GITHUB_ACTOR: 'octocat'
}
const BASE: Record<string, string> = { app: 'shop', image: 'registry.example.com/acme/shop' }

function settingsWith(
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {}
): Settings {
  const all = { ...BASE, ...inputs }
  return readSettings(name => all[name] ?? '', { ...env, ...extraEnv })
}

function problemsWith(inputs: Record<string, string>): SettingsError {
  try {
    settingsWith(inputs)
  } catch (error) {
    if (error instanceof SettingsError) return error
    throw error
  }
  throw new Error('expected a SettingsError')
}

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:6443' } }]
users: [{ name: u, user: { token: 's3cr3t-token' } }]
contexts: [{ name: ctx, context: { cluster: c, user: u } }]
current-context: ctx
`

describe('readSettings defaults', () => {
  it('defaults the version to the short commit SHA', () => {
    expect(settingsWith({}).version).toBe('abcdef1')
  })
  it('defaults the deployments to the app name', () => {
    expect(settingsWith({}).deployments).toEqual(['shop'])
  })
  it('defaults the image to the repository GHCR package, lowercased', () => {
    expect(settingsWith({ image: '' }).image.name).toBe('ghcr.io/acme/shop')
  })
  it('defaults the expected version to the version', () => {
    expect(settingsWith({ version: 'v1.2.3' }).smoke.expectedVersion).toBe('v1.2.3')
  })
  it('treats an unexpanded ${{ github.token }} default as no token', () => {
    expect(settingsWith({}).github.token).toBeUndefined()
  })
  it('reads the default durations from action.yml', () => {
    const s = settingsWith({})
    expect([s.timeoutMs, s.smoke.timeoutMs, s.rainbow.drainMinAgeMs]).toEqual([
      600_000, 120_000, 3_600_000
    ])
  })
  it('puts the Dockerfile in the build context by default', () => {
    expect(settingsWith({ 'build-context': 'app' }).image.dockerfile).toBe(
      join(workspace, 'app', 'Dockerfile')
    )
  })
})

describe.each<[string, string, (s: Settings) => unknown, unknown]>([
  ['namespace', 'prod-eu', s => s.cluster.namespace, 'prod-eu'],
  [
    'deployments',
    'shop-web, shop-worker\nshop-web',
    s => s.deployments,
    ['shop-web', 'shop-worker']
  ],
  ['container', 'app', s => s.container, 'app'],
  ['image', 'ghcr.io/acme/shop:1.2', s => s.image.name, 'ghcr.io/acme/shop:1.2'],
  ['image', '127.0.0.1:5000/shop', s => s.image.name, '127.0.0.1:5000/shop'],
  ['version', 'v1.2.3', s => s.version, 'v1.2.3'],
  ['build', 'false', s => s.image.build, false],
  ['build', 'True', s => s.image.build, true],
  ['build-args', 'A=1\nB_2=x=y', s => s.image.buildArgs, { A: '1', B_2: 'x=y' }],
  ['cache', 'registry', s => s.image.cache, 'registry'],
  ['registry', 'ghcr.io', s => s.image.registry, 'ghcr.io'],
  [
    'migrate-command',
    '["bin/rails", "db:migrate"]',
    s => s.migration?.command,
    ['bin/rails', 'db:migrate']
  ],
  [
    'migrate-command',
    'bin/rails\ndb:migrate',
    s => s.migration?.command,
    ['bin/rails', 'db:migrate']
  ],
  [
    'migrate-command',
    '["sh", "-c", "echo $(id)"]',
    s => s.migration?.command,
    ['sh', '-c', 'echo $(id)']
  ],
  ['timeout', '90s', s => s.timeoutMs, 90_000],
  ['timeout', '1h30m', s => s.timeoutMs, 5_400_000],
  ['smoke-timeout', '45s', s => s.smoke.timeoutMs, 45_000],
  ['strategy', 'rainbow', s => s.strategy, 'rainbow'],
  ['canary-replicas', '3', s => s.canary.replicas, 3],
  ['canary-weight', '0', s => s.canary.weight, 0],
  ['steps', '10, 25,50', s => s.canary.steps, [10, 25, 50]],
  ['smoke-url', 'https://canary.example.com/', s => s.smoke.url, 'https://canary.example.com'],
  ['smoke-port', '8080', s => s.smoke.port, 8080],
  ['smoke-port', 'http', s => s.smoke.port, 'http'],
  ['health-path', '/healthz?full=1', s => s.smoke.healthPath, '/healthz?full=1'],
  ['digest', `sha256:${'a'.repeat(64)}`, s => s.approval.digest, `sha256:${'a'.repeat(64)}`],
  [
    'approvers',
    'octocat, acme/release-team',
    s => s.approval.approvers,
    ['octocat', 'acme/release-team']
  ],
  ['rollback-on-failure', 'false', s => s.rollbackOnFailure, false],
  ['keep-releases', '5', s => s.rainbow.keepReleases, 5],
  [
    'manifests',
    'k8s\nk8s/web.yaml',
    s => s.manifests,
    [join(workspace, 'k8s'), join(workspace, 'k8s', 'web.yaml')]
  ],
  ['kubeconfig', KUBECONFIG, s => s.cluster.kubeconfig, KUBECONFIG.trim()],
  ['kubeconfig', Buffer.from(KUBECONFIG).toString('base64'), s => s.cluster.kubeconfig, KUBECONFIG],
  ['base-ref', 'origin/main', s => s.diff.baseRef, 'origin/main']
])('valid %s %j', (input, value, pick, expected) => {
  it('is accepted and parsed', () => {
    expect(pick(settingsWith({ [input]: value }))).toEqual(expected)
  })
})

describe.each<[string, string]>([
  ['command', 'destroy'],
  ['namespace', 'Bad_NS'],
  ['namespace', 'a'.repeat(64)],
  ['namespace', '-leading'],
  ['app', 'Shop'],
  ['app', 'shop;rm -rf /'],
  ['deployments', 'web,Worker'],
  ['deployments', 'x'.repeat(57)],
  ['container', 'app container'],
  ['image', 'Registry.example.com/Acme/Shop'],
  ['image', 'ghcr.io/acme/shop:$(id)'],
  ['image', 'ghcr.io/acme/shop@sha256:abc'],
  ['version', 'v1 2'],
  ['version', '`id`'],
  ['version', '-v1'],
  ['build', 'yes'],
  ['build-args', 'NOT A KEY=1'],
  ['build-context', '../outside'],
  ['dockerfile', '/etc/passwd'],
  ['cache', 'gha'],
  ['registry', 'https://ghcr.io'],
  ['migrate-command', '["unterminated"'],
  ['migrate-command', '[1, 2]'],
  ['migrate-command', '[]'],
  ['migrate-timeout', '10'],
  ['migrate-backoff-limit', '11'],
  ['strategy', 'blue-green'],
  ['canary-replicas', '0'],
  ['canary-replicas', '1.5'],
  ['canary-weight', '101'],
  ['steps', '50,25'],
  ['steps', '10,200'],
  ['step-interval', '2 minutes'],
  ['smoke-url', 'file:///etc/passwd'],
  ['smoke-url', 'https://user:pass@canary.example.com'],
  ['smoke-url', 'not a url'],
  ['smoke-port', '70000'],
  ['health-path', 'health'],
  ['version-path', '/version with space'],
  ['smoke-timeout', '0s'],
  ['timeout', '7h'],
  ['timeout', 'ten minutes'],
  ['lock-timeout', '-1s'],
  ['digest', 'sha256:XYZ'],
  ['approvers', 'octo cat'],
  ['rollback-on-failure', 'maybe'],
  ['keep-releases', '1'],
  ['drain-min-age', 'forever'],
  ['manifests', '../../etc/passwd'],
  ['manifests', 'k8s/missing.yaml'],
  ['manifests', 'bad/broken.yaml'],
  ['kubeconfig', 'this is not a kubeconfig'],
  ['base-ref', 'main..evil'],
  ['environment', 'prod"uction'],
  ['canary-host', 'not a host'],
  ['smoke-url', 'https://canary.example.com/#frag'],
  ['kubeconfig', 'clusters: 5'],
  ['kubeconfig', "clusters: [{ name: c, cluster: { server: 'file:///etc/passwd' } }]"]
])('invalid %s %j', (input, value) => {
  it('is refused with an error that names the input', () => {
    const error = problemsWith({ [input]: value })
    expect(error.problems.map(p => p.input)).toContain(input)
    expect(error.message).toContain(`${input}: expected`)
  })
})

describe('readSettings errors', () => {
  it('lists every bad input in one error', () => {
    const error = problemsWith({ namespace: 'Bad_NS', timeout: 'soon', 'canary-replicas': '0' })
    expect(error.problems.map(p => p.input).sort()).toEqual([
      'canary-replicas',
      'namespace',
      'timeout'
    ])
  })
  it('says what was given and what is expected', () => {
    expect(problemsWith({ timeout: 'soon' }).message).toBe(
      'Invalid input: timeout: expected a duration such as 90s, 10m, 1h or 1h30m, got "soon"'
    )
  })
  it('never echoes a secret input', () => {
    const error = problemsWith({ kubeconfig: 'token: hunter2-secret' })
    expect(error.message).not.toContain('hunter2')
    expect(error.message).toContain('(value hidden)')
  })
  it.each([
    ['user and password', 'prometheus-url', 'https://admin:hunter2@prom.example.com/prometheus'],
    ['user and password', 'smoke-url', 'https://admin:hunter2@canary.example.com'],
    ['a query token', 'prometheus-url', 'https://prom.example.com/prometheus?api_key=hunter2'],
    ['a value that is no URL', 'prometheus-url', 'hunter2 https://'],
    ['a value that is no URL', 'smoke-url', 'hunter2 https://']
  ])('never echoes %s of %s', (_what, input, url) => {
    const error = problemsWith({ [input]: url })
    expect(error.problems.map(p => p.input)).toEqual([input])
    expect(error.message).not.toContain('hunter2')
  })
  it('names the host and path of a refused URL input', () => {
    const error = problemsWith({ 'prometheus-url': 'https://admin:hunter2@prom.example.com/p' })
    expect(error.message).toContain(
      '"https://prom.example.com/p" (credentials, query and fragment not shown)'
    )
  })
  it('cuts long values in the message', () => {
    const error = problemsWith({ version: 'x'.repeat(2000) + ' ' })
    expect(error.message.length).toBeLessThan(400)
  })
  it('refuses inputs larger than 256 KiB', () => {
    expect(problemsWith({ approvers: 'a'.repeat(300 * 1024) }).problems[0].expected).toBe(
      'at most 256 KiB'
    )
  })
  it('refuses NUL characters', () => {
    expect(problemsWith({ container: 'app\0x' }).problems[0].input).toBe('container')
  })
  it('builds the migration from its command, timeout and backoff limit', () => {
    const s = settingsWith({
      'migrate-command': 'migrate',
      'migrate-timeout': '1h30m',
      'migrate-backoff-limit': '2'
    })
    expect(s.migration).toEqual({ command: ['migrate'], timeoutMs: 5_400_000, backoffLimit: 2 })
  })
  it('accepts a workspace path whose name starts with two dots', () => {
    mkdirSync(join(workspace, '..app'), { recursive: true })
    expect(settingsWith({ 'build-context': '..app' }).image.context).toBe(join(workspace, '..app'))
  })
  it('keeps a given value that contains ${{ (only an unexpanded default means none)', () => {
    expect(settingsWith({ 'registry-password': 'pa${{ss' }).image.password).toBe('pa${{ss')
  })
  it('refuses a version that would make an invalid migration Job name', () => {
    const error = problemsWith({ 'migrate-command': 'migrate', version: 'v1_2' })
    expect(error.problems.map(p => p.input)).toEqual(['version'])
  })
  it('requires an app', () => {
    expect(problemsWith({ app: '' }).problems.map(p => p.input)).toContain('app')
  })
  it('requires a version outside GitHub', () => {
    expect(() => readSettings(name => BASE[name] ?? '', { GITHUB_WORKSPACE: workspace })).toThrow(
      /version: expected a version \(required outside GitHub/
    )
  })
  it('requires a canary host for the ingress-host strategy', () => {
    expect(problemsWith({ strategy: 'ingress-host' }).problems.map(p => p.input)).toEqual([
      'canary-host'
    ])
  })
  it('refuses a digest-pinned image when building', () => {
    const error = problemsWith({ image: `ghcr.io/acme/shop@sha256:${'b'.repeat(64)}` })
    expect(error.problems.map(p => p.input)).toEqual(['image'])
  })
  it('accepts a digest-pinned image without a build', () => {
    const image = `ghcr.io/acme/shop@sha256:${'b'.repeat(64)}`
    expect(settingsWith({ image, build: 'false' }).image.name).toBe(image)
  })
  it('refuses a version too long for the migration Job name', () => {
    const error = problemsWith({ 'migrate-command': 'migrate', version: 'v'.repeat(50) })
    expect(error.problems.map(p => p.input)).toEqual(['version'])
  })
})

describe('where the kubeconfig comes from', () => {
  const kubeconfigFile = join(workspace, 'kubeconfig.yaml')
  writeFileSync(
    kubeconfigFile,
    'apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "https://k8s.example.com" } }]\n'
  )
  const refusal = (inputs: Record<string, string>, extraEnv: Record<string, string>) => {
    try {
      settingsWith(inputs, extraEnv)
    } catch (error) {
      if (error instanceof SettingsError) return error
      throw error
    }
    throw new Error('expected a SettingsError')
  }

  it('refuses a KUBECONFIG naming a file that does not exist, saying where the path came from and what to do', () => {
    const error = refusal({}, { KUBECONFIG: `${kubeconfigFile}${delimiter}/nonexistent` })
    expect(error.problems).toEqual([
      {
        input: 'kubeconfig',
        given: '(empty), so KUBECONFIG is read, and it names /nonexistent, which does not exist',
        expected: expect.stringContaining(
          'set KUBECONFIG to your kubeconfig file, unset it to use ~/.kube/config, or give the kubeconfig input'
        )
      }
    ])
  })

  it('refuses a KUBECONFIG naming a folder', () => {
    expect(refusal({}, { KUBECONFIG: workspace }).problems[0].given).toBe(
      `(empty), so KUBECONFIG is read, and it names ${workspace}, which is not a file`
    )
  })

  it('takes a KUBECONFIG whose every file exists', () => {
    const settings = settingsWith(
      {},
      { KUBECONFIG: `${kubeconfigFile}${delimiter}${kubeconfigFile}` }
    )
    expect(settings.cluster.env.KUBECONFIG).toBe(`${kubeconfigFile}${delimiter}${kubeconfigFile}`)
  })

  it('ignores KUBECONFIG when the kubeconfig input is given', () => {
    const given = readFileSync(kubeconfigFile, 'utf8')
    const settings = settingsWith({ kubeconfig: given }, { KUBECONFIG: '/nonexistent' })
    expect(settings.cluster.kubeconfig).toBe(given.trim())
  })

  it.each(['/home/me/.kube/config', '~/.kube/config', './kubeconfig'])(
    'refuses the path %s given as the kubeconfig input, saying to give its content or KUBECONFIG',
    path => {
      const error = refusal({ kubeconfig: path }, {})
      expect(error.problems).toEqual([
        {
          input: 'kubeconfig',
          given: '(value hidden)',
          expected: expect.stringContaining('not a path')
        }
      ])
      expect(error.message).toContain('set KUBECONFIG=FILE')
    }
  )
})
