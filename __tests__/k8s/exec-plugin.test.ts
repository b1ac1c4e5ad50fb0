/**
 * An exec credential plugin's output can hold tokens: a failure says which plugin failed and how
 * (exit code, could not start, no ExecCredential), never what it printed; every token it issues is
 * masked as it appears. The sentinel is printed by the plugins and searched for everywhere.
 */
import path from 'node:path'
import { connect } from '../../src/k8s/client.js'
import { GuardedKubeConfig } from '../../src/k8s/guarded-kubeconfig.js'
import { requestJson } from '../../src/k8s/rest.js'
import { MemoryLogger } from '../../src/logger.js'
import {
  execCredential,
  execPluginUser,
  execScriptUser,
  kubeconfigFor,
  startAuthServer,
  type AuthServer
} from './auth-server.js'

const SENTINEL = 'sentinel-plugin-output-3f9a1c'
/** An ExecCredential expiry in the past: client-node runs the plugin again for the next request. */
const EXPIRED = '2000-01-01T00:00:00Z'
const ATTEMPT = { verb: 'get', resource: 'pods', namespace: 'prod', name: 'probe' }

describe('exec credential plugin', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await startAuthServer()
  })
  afterAll(() => server.stop())

  async function connectError(user: string, logger: MemoryLogger): Promise<string> {
    const kubeconfig = kubeconfigFor(server, user)
    const err = await connect({ kubeconfig, namespace: 'prod', logger }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    return (err as Error).message
  }

  it('that fails is named with its exit code, not its stdout or stderr', async () => {
    const logger = new MemoryLogger()
    const user = execPluginUser(server, 'fails', {
      stdout: `token: ${SENTINEL}`,
      stderr: `error: refresh token ${SENTINEL} expired`,
      code: 3
    })
    const message = await connectError(user, logger)
    expect(message).toContain(
      `the exec credential plugin "${process.execPath}" of kubeconfig user "u" failed with exit code 3`
    )
    expect(message).not.toContain(SENTINEL)
    expect(logger.lines.join('\n')).not.toContain(SENTINEL)
  })

  it('that hangs and ignores SIGTERM is killed after its timeout and named as stopped', async () => {
    const logger = new MemoryLogger()
    // A login prompt that never returns, deaf to SIGTERM, holding its pipes open.
    const user = execScriptUser(
      server,
      'deaf',
      `process.on('SIGTERM', () => {})\nprocess.stderr.write(${JSON.stringify(SENTINEL)})\nsetInterval(() => {}, 1000)\n`
    )
    const kc = new GuardedKubeConfig(logger, 200)
    kc.loadFromString(kubeconfigFor(server, user))
    const err = await kc.applyToHTTPSOptions({}).catch((e: unknown) => e)
    expect(String(err)).toContain('did not finish within 0.2 s and was stopped')
    expect(String(err)).not.toContain(SENTINEL)
  })

  it('that prints no ExecCredential is reported without what it printed', async () => {
    const logger = new MemoryLogger()
    const user = execPluginUser(server, 'garbage', { stdout: `not json ${SENTINEL}` })
    const message = await connectError(user, logger)
    expect(message).toContain('exited 0 without printing an ExecCredential')
    expect(message).not.toContain(SENTINEL)
  })

  it('that cannot start says so, naming its command', async () => {
    const user = `    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /nonexistent/kubelogin`
    expect(await connectError(user, new MemoryLogger())).toContain(
      'the exec credential plugin "/nonexistent/kubelogin" of kubeconfig user "u" could not start (ENOENT)'
    )
  })

  /** Connects with the plugin, then makes one request; its answer or its error. */
  async function connectThenRequest(user: string, logger: MemoryLogger): Promise<unknown> {
    const kubeconfig = kubeconfigFor(server, user)
    const cluster = await connect({ kubeconfig, namespace: 'prod', logger })
    try {
      return await requestJson(
        cluster,
        { method: 'GET', path: '/api/v1/namespaces/prod/pods/probe' },
        ATTEMPT
      )
    } catch (error) {
      return error
    } finally {
      cluster.dispose()
    }
  }

  it('that fails on a later refresh fails that request by exit code, not by its output', async () => {
    // The first run issues an already expired token, so the next request runs the plugin again.
    const marker = path.join(server.dir, 'refreshed-once')
    const user = execScriptUser(
      server,
      'fails-later',
      `import fs from 'node:fs'
if (fs.existsSync(${JSON.stringify(marker)})) {
  process.stderr.write('refresh failed for ${SENTINEL}')
  process.exit(2)
}
fs.writeFileSync(${JSON.stringify(marker)}, '')
process.stdout.write(${JSON.stringify(execCredential('first-token-abc', EXPIRED))})
`
    )
    const err = await connectThenRequest(user, new MemoryLogger())
    expect(String(err)).toContain('failed with exit code 2')
    expect(String(err)).not.toContain(SENTINEL)
  })

  it('masks each token it issues as the token appears, not only the first', async () => {
    const counter = JSON.stringify(path.join(server.dir, 'issued'))
    const user = execScriptUser(
      server,
      'rotates',
      `import fs from 'node:fs'
const n = fs.existsSync(${counter}) ? Number(fs.readFileSync(${counter}, 'utf8')) + 1 : 1
fs.writeFileSync(${counter}, String(n))
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential',
  status: { token: 'rotated-token-' + n, expirationTimestamp: '${EXPIRED}' } }))
`
    )
    const logger = new MemoryLogger()
    const seen = await connectThenRequest(user, logger)
    expect(seen).toEqual({ authorization: 'Bearer rotated-token-2', clientCertCN: null })
    logger.info('rotated-token-1 rotated-token-2')
    expect(logger.lines).toContain('*** ***')
  })
})
