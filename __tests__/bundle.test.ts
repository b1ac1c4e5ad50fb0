/**
 * The bundle leaves most of @kubernetes/client-node out (scripts/bundle.js): every kind of kubeconfig
 * credential must still work from a bundle built the same way, and what was left out must be
 * refused by name. The probe (fixtures/bundle-auth-probe.ts) connects and makes one request.
 */
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  clientCertUser,
  execCredential,
  execPluginUser,
  kubeconfigFor,
  serviceAccountFor,
  startAuthServer,
  type AuthServer,
  type SeenCredentials
} from './k8s/auth-server.js'

type ProbeResult =
  | { seen: SeenCredentials }
  | { error: string }
  | { proxyAgent: { undiciLoaded: boolean[]; dispatch: string } }

const SENTINEL = 'sentinel-bundled-plugin-output-77e2'

describe('kubeconfig credentials from the bundle', () => {
  let server: AuthServer
  let out: string
  beforeAll(async () => {
    server = await startAuthServer()
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-probe-'))
    execFileSync(
      process.execPath,
      ['scripts/bundle.js', '--entry', '__tests__/fixtures/bundle-auth-probe.ts', '--outdir', out],
      { stdio: 'inherit' }
    )
  })
  afterAll(async () => {
    await server.stop()
    fs.rmSync(out, { recursive: true, force: true })
  })

  /** Runs the probe (not synchronously: the server answers from this process). */
  function probe(env: Record<string, string>): Promise<ProbeResult> {
    return new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        [path.join(out, 'index.js')],
        { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' },
        (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as ProbeResult))
      )
    )
  }

  const withUser = (user: string): Promise<ProbeResult> =>
    probe({ PROBE_KUBECONFIG: kubeconfigFor(server, user) })

  it('a token', async () => {
    expect(await withUser('    token: bundled-token-1')).toEqual({
      seen: { authorization: 'Bearer bundled-token-1', clientCertCN: null }
    })
  })

  it('a client certificate', async () => {
    expect(await withUser(clientCertUser(server))).toEqual({
      seen: { authorization: null, clientCertCN: 'robot' }
    })
  })

  it('basic auth', async () => {
    expect(await withUser('    username: admin\n    password: pw-bundled')).toEqual({
      seen: {
        authorization: `Basic ${Buffer.from('admin:pw-bundled').toString('base64')}`,
        clientCertCN: null
      }
    })
  })

  it('an exec credential plugin', async () => {
    const user = execPluginUser(server, 'bundled', { stdout: execCredential('bundled-exec-2') })
    expect(await withUser(user)).toEqual({
      seen: { authorization: 'Bearer bundled-exec-2', clientCertCN: null }
    })
  })

  it('a failing exec credential plugin, by exit code and never its output', async () => {
    const user = execPluginUser(server, 'bundled-fails', {
      stdout: SENTINEL,
      stderr: SENTINEL,
      code: 4
    })
    const result = await withUser(user)
    expect(result).toEqual({ error: expect.stringContaining('failed with exit code 4') })
    expect(JSON.stringify(result)).not.toContain(SENTINEL)
  })

  it('the in-cluster service account', async () => {
    const { prefix, env } = serviceAccountFor(server, 'bundled-in-cluster', 'bundled-sa-token-3')
    const result = await probe({ PROBE_IN_CLUSTER_PREFIX: prefix, ...env })
    expect(result).toEqual({
      seen: { authorization: 'Bearer bundled-sa-token-3', clientCertCN: null }
    })
  })

  it('an auth-provider it left out (oidc) is refused by name', async () => {
    const user = '    auth-provider:\n      name: oidc\n      config: { id-token: abc.def.ghi }'
    expect(await withUser(user)).toEqual({
      error: expect.stringContaining(
        'uses auth-provider "oidc", which canary-deploy does not support'
      )
    })
  })

  it('loads undici, left out of the chunks, from undici.cjs beside them when a proxy needs it', async () => {
    expect(await probe({ PROBE_PROXY_AGENT: 'http://127.0.0.1:3128' })).toEqual({
      proxyAgent: { undiciLoaded: [false, true], dispatch: 'function' }
    })
  })
})
