import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MemoryLogger } from '../../src/logger.js'
import { connect, decodeKubeconfig, maskKubeconfigCredentials } from '../../src/k8s/client.js'
import type { Logger } from '../../src/logger.js'

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.token-for-ci-robot.sig'
const PASSWORD = 'correct-horse-battery-staple'
const KEY_PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n'
const CERT_PEM =
  '-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUFakeCertBody\n-----END CERTIFICATE-----\n'
const KEY_DATA = Buffer.from(KEY_PEM).toString('base64')
const CERT_DATA = Buffer.from(CERT_PEM).toString('base64')
const OIDC_TOKEN = 'oidc-id-token-value-123456'

function kubeconfig(server = 'https://k8s.example.com:6443', extra = ''): string {
  return `apiVersion: v1
kind: Config
current-context: ci
clusters:
- name: prod
  cluster:
    server: ${server}
${extra}
contexts:
- name: ci
  context: { cluster: prod, user: robot, namespace: prod }
- name: admin
  context: { cluster: prod, user: admin }
- name: oidc
  context: { cluster: prod, user: oidc }
users:
- name: robot
  user:
    token: ${TOKEN}
- name: admin
  user:
    username: admin
    password: ${PASSWORD}
    client-certificate-data: ${CERT_DATA}
    client-key-data: ${KEY_DATA}
- name: oidc
  user:
    auth-provider:
      name: oidc
      config:
        id-token: ${OIDC_TOKEN}
        client-secret: oidc-client-secret-xyz
`
}

/** A logger that records what it is asked to mask. */
function maskRecorder(): { masked: string[]; recorder: Logger } {
  const masked: string[] = []
  const recorder = new MemoryLogger()
  recorder.mask = secret => void masked.push(secret)
  return { masked, recorder }
}

describe('connect', () => {
  let tempDir: string
  const env = { ...process.env }
  beforeEach(() => {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-client-'))
  })
  afterEach(() => {
    fs.rmSync(tempDir, { recursive: true, force: true })
    process.env = { ...env }
  })

  it('masks every credential of every user before anything is printed', async () => {
    const logger = new MemoryLogger()
    const cluster = await connect({ kubeconfig: kubeconfig(), namespace: 'prod', logger })
    const secrets = [
      TOKEN,
      PASSWORD,
      KEY_DATA,
      CERT_DATA,
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      OIDC_TOKEN,
      'oidc-client-secret-xyz'
    ]
    for (const secret of secrets) logger.info(`value: ${secret}`)
    for (const secret of secrets) expect(logger.lines.join('\n')).not.toContain(secret)
    cluster.dispose()
  })

  it('reads a base64-encoded kubeconfig the same as YAML', async () => {
    const encoded = Buffer.from(kubeconfig()).toString('base64')
    expect(decodeKubeconfig(encoded)).toBe(kubeconfig())
    const cluster = await connect({
      kubeconfig: encoded,
      namespace: 'prod',
      logger: new MemoryLogger()
    })
    expect(cluster.server).toBe('https://k8s.example.com:6443')
  })

  it('uses the context it is given, and names the known ones when it is not there', async () => {
    const cluster = await connect({
      kubeconfig: kubeconfig(),
      context: 'admin',
      namespace: 'prod',
      logger: new MemoryLogger()
    })
    expect(cluster.kubeConfig.getCurrentUser()?.name).toBe('admin')
    await expect(
      connect({
        kubeconfig: kubeconfig(),
        context: 'staging',
        namespace: 'prod',
        logger: new MemoryLogger()
      })
    ).rejects.toThrow('context "staging" is not in the kubeconfig input (it has: ci, admin, oidc)')
  })

  it('falls back to the KUBECONFIG file when there is no input', async () => {
    const file = path.join(tempDir, 'config')
    fs.writeFileSync(file, kubeconfig('https://from-env.example.com'), { mode: 0o600 })
    process.env.KUBECONFIG = file
    const cluster = await connect({
      namespace: 'prod',
      logger: new MemoryLogger(),
      env: process.env
    })
    expect(cluster.server).toBe('https://from-env.example.com')
  })

  it('falls back to ~/.kube/config when KUBECONFIG is unset', async () => {
    fs.mkdirSync(path.join(tempDir, '.kube'))
    fs.writeFileSync(
      path.join(tempDir, '.kube', 'config'),
      kubeconfig('https://from-home.example.com')
    )
    delete process.env.KUBECONFIG
    process.env.HOME = tempDir
    const cluster = await connect({
      namespace: 'prod',
      logger: new MemoryLogger(),
      env: process.env
    })
    expect(cluster.server).toBe('https://from-home.example.com')
  })

  it('says where it looked when there is no kubeconfig at all', async () => {
    delete process.env.KUBECONFIG
    delete process.env.KUBERNETES_SERVICE_HOST
    process.env.HOME = tempDir
    await expect(
      connect({ namespace: 'prod', logger: new MemoryLogger(), env: process.env })
    ).rejects.toThrow(/no kubeconfig: give the kubeconfig input, set KUBECONFIG/)
  })

  it('refuses a plain-HTTP server unless the kubeconfig skips TLS verification', async () => {
    await expect(
      connect({
        kubeconfig: kubeconfig('http://10.0.0.1:8080'),
        namespace: 'p',
        logger: new MemoryLogger()
      })
    ).rejects.toThrow(/plain HTTP; that is allowed only with insecure-skip-tls-verify/)
    const logger = new MemoryLogger()
    await connect({
      kubeconfig: kubeconfig('http://10.0.0.1:8080', '    insecure-skip-tls-verify: true'),
      namespace: 'p',
      logger
    })
    expect(logger.lines).toContain(
      'warning: TLS verification of http://10.0.0.1:8080 is off (insecure-skip-tls-verify in the kubeconfig input)'
    )
  })

  it('does not repeat an unparsable kubeconfig input in its error', async () => {
    const bad = `clusters: [ {{ ${TOKEN}`
    const err = await connect({
      kubeconfig: bad,
      namespace: 'p',
      logger: new MemoryLogger()
    }).catch((e: unknown) => e)
    expect(String(err)).toMatch(/neither kubeconfig YAML nor base64/)
    expect(String(err)).not.toContain(TOKEN)
  })

  it('writes no kubeconfig file: it is loaded from memory', async () => {
    const saved = process.env.RUNNER_TEMP
    process.env.RUNNER_TEMP = tempDir
    const cluster = await connect({
      kubeconfig: kubeconfig(),
      namespace: 'prod',
      logger: new MemoryLogger()
    })
    if (saved === undefined) delete process.env.RUNNER_TEMP
    else process.env.RUNNER_TEMP = saved
    expect(fs.readdirSync(tempDir)).toEqual([])
    cluster.dispose()
    // Other tests may create temp files concurrently; none may hold the token.
    const leaked = fs.readdirSync(os.tmpdir()).filter(f => {
      try {
        const p = path.join(os.tmpdir(), f)
        return fs.statSync(p).isFile() && fs.readFileSync(p, 'utf8').includes(TOKEN)
      } catch {
        return false
      }
    })
    expect(leaked).toEqual([])
  })

  it('masks a kubeconfig input credential by credential, never as one multi-line value', () => {
    const { masked, recorder } = maskRecorder()
    maskKubeconfigCredentials(kubeconfig(), recorder)
    // A runner masks line by line: a multi-line mask would print its later lines instead.
    expect(masked.filter(secret => secret.includes('\n'))).toEqual([])
    for (const secret of [TOKEN, PASSWORD, KEY_DATA, CERT_DATA, OIDC_TOKEN])
      expect(masked).toContain(secret)
    expect(masked.some(secret => secret.includes('kind: Config'))).toBe(false)
  })

  it("masks the password of a cluster's proxy-url, as written, decoded and as a Basic header", () => {
    const { masked, recorder } = maskRecorder()
    const proxied = kubeconfig(
      'https://k8s.example.com:6443',
      '    proxy-url: http://ci:pr%40xy-secret@proxy.example.com:3128'
    )
    maskKubeconfigCredentials(proxied, recorder)
    expect(masked).toEqual(
      expect.arrayContaining([
        'pr@xy-secret',
        'pr%40xy-secret',
        Buffer.from('ci:pr@xy-secret').toString('base64')
      ])
    )
  })

  it('masks a base64 kubeconfig input whole (one line) and each credential in it', () => {
    const { masked, recorder } = maskRecorder()
    const encoded = Buffer.from(kubeconfig()).toString('base64')
    maskKubeconfigCredentials(encoded, recorder)
    expect(masked).toContain(encoded)
    expect(masked).toContain(TOKEN)
  })
})
