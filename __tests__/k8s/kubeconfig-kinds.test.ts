import { connect } from '../../src/k8s/client.js'
import { GuardedKubeConfig } from '../../src/k8s/guarded-kubeconfig.js'
import { requestJson, type Connection } from '../../src/k8s/rest.js'
import { MemoryLogger } from '../../src/logger.js'
import {
  clientCertUser,
  execCredential,
  execPluginUser,
  kubeconfigFor,
  serviceAccountFor,
  startAuthServer,
  type AuthServer,
  type SeenCredentials
} from './auth-server.js'

const ATTEMPT = { verb: 'get', resource: 'pods', namespace: 'prod', name: 'probe' }

function seenBy(conn: Connection): Promise<SeenCredentials> {
  return requestJson(conn, { method: 'GET', path: '/api/v1/namespaces/prod/pods/probe' }, ATTEMPT)
}

describe('each kind of kubeconfig credential reaches the API server', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await startAuthServer()
  })
  afterAll(() => server.stop())

  async function seenWith(user: string, logger = new MemoryLogger()): Promise<SeenCredentials> {
    const cluster = await connect({
      kubeconfig: kubeconfigFor(server, user),
      namespace: 'prod',
      logger
    })
    try {
      return await seenBy(cluster)
    } finally {
      cluster.dispose()
    }
  }

  it('a token, as a bearer token', async () => {
    expect(await seenWith('    token: robot-token-1234')).toEqual({
      authorization: 'Bearer robot-token-1234',
      clientCertCN: null
    })
  })

  it('a client certificate, presented in the TLS handshake', async () => {
    expect(await seenWith(clientCertUser(server))).toEqual({
      authorization: null,
      clientCertCN: 'robot'
    })
  })

  it('basic auth, as a Basic authorization', async () => {
    const seen = await seenWith('    username: admin\n    password: correct-horse')
    expect(seen.authorization).toBe(
      `Basic ${Buffer.from('admin:correct-horse').toString('base64')}`
    )
  })

  it('an exec credential plugin, whose token is sent and masked', async () => {
    const logger = new MemoryLogger()
    const user = execPluginUser(server, 'token-plugin', {
      stdout: execCredential('exec-token-5678')
    })
    expect((await seenWith(user, logger)).authorization).toBe('Bearer exec-token-5678')
    logger.info('token: exec-token-5678')
    expect(logger.lines).toContain('token: ***')
  })

  it('the in-cluster service account: its token file, trusting its CA', async () => {
    const { prefix, env } = serviceAccountFor(server, 'in-cluster', 'service-account-token-9')
    const saved = { ...process.env }
    Object.assign(process.env, env)
    const logger = new MemoryLogger()
    const kc = new GuardedKubeConfig(logger)
    try {
      kc.loadFromCluster(prefix)
    } finally {
      process.env = saved
    }
    const seen = await seenBy({ kubeConfig: kc, server: server.url })
    expect(seen.authorization).toBe('Bearer service-account-token-9')
    logger.info('service-account-token-9')
    expect(logger.lines).toEqual(['***'])
  })
})

describe('what the bundle leaves out is refused by name, before any request', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await startAuthServer()
  })
  afterAll(() => server.stop())

  it.each(['oidc', 'azure', 'gcp'])('auth-provider: %s', async provider => {
    const user = `    auth-provider:\n      name: ${provider}\n      config: { id-token: abc.def.ghi }`
    const before = server.requests()
    await expect(
      connect({
        kubeconfig: kubeconfigFor(server, user),
        namespace: 'prod',
        logger: new MemoryLogger()
      })
    ).rejects.toThrow(
      `kubeconfig user "u" uses auth-provider "${provider}", which canary-deploy does not support`
    )
    expect(server.requests()).toBe(before)
  })

  it('a socks proxy-url, without repeating the proxy URL (it can hold a password)', async () => {
    const kubeconfig = kubeconfigFor(server, '    token: t0k3n-proxy').replace(
      'certificate-authority-data',
      'proxy-url: socks5://user:proxy-pass@127.0.0.1:1080\n    certificate-authority-data'
    )
    const err = await connect({ kubeconfig, namespace: 'prod', logger: new MemoryLogger() }).catch(
      (e: unknown) => e
    )
    expect(String(err)).toContain(
      'the kubeconfig proxy-url is a socks5 proxy, which canary-deploy does not support'
    )
    expect(String(err)).not.toContain('proxy-pass')
  })
})
