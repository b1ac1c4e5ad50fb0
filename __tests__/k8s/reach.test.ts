import net from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { REACH_BUDGET_MS, reachServer } from '../../src/k8s/reach.js'
import { startTestCluster } from '../harness/cluster.js'

function connection(server: string, token = 'test-token', insecure = true) {
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: insecure }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x'
  })
  return { kubeConfig, server }
}

/** A TCP server that takes connections and never says a word. */
async function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets: net.Socket[] = []
  const server = net.createServer(s => sockets.push(s))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    }
  }
}

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

describe('reaching the API server', () => {
  it('answers with the server version when it is reached', async () => {
    const cluster = await startTestCluster()
    try {
      await expect(reachServer(connection(cluster.url))).resolves.toMatch(/^v1\.\d+/)
    } finally {
      await cluster.stop()
    }
  })

  it('names the server and a refused connection', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`
    await expect(reachServer(connection(server))).rejects.toThrow(
      `could not reach the API server ${server}: connection refused`
    )
  })

  it('names the server and a host name that does not resolve', async () => {
    const server = 'https://kube.example.invalid:6443'
    await expect(reachServer(connection(server))).rejects.toThrow(
      `could not reach the API server ${server}: DNS: the host name does not resolve`
    )
  })

  it('names the server and a timeout when it accepts but never answers', async () => {
    const silent = await silentServer()
    const server = `http://127.0.0.1:${silent.port}`
    try {
      await expect(reachServer(connection(server))).rejects.toThrow(
        `could not reach the API server ${server}: timeout`
      )
    } finally {
      silent.close()
    }
  }, 20_000)

  it('names TLS when the certificate is not trusted', async () => {
    // An https URL against a plain-HTTP test cluster fails the TLS handshake.
    const cluster = await startTestCluster()
    const server = cluster.url.replace('http:', 'https:')
    try {
      await expect(reachServer(connection(server, 'test-token', false))).rejects.toThrow(
        `could not reach the API server ${server}:`
      )
    } finally {
      await cluster.stop()
    }
  })

  it('says the credentials were refused when the server answers 401', async () => {
    const cluster = await startTestCluster()
    try {
      await expect(reachServer(connection(cluster.url, 'wrong-token'))).rejects.toThrow(
        `the API server ${cluster.url} was reached but refused the credentials (401 Unauthorized)`
      )
    } finally {
      await cluster.stop()
    }
  })

  it('bounds every try so that an unreachable server fails within 10 s', () => {
    expect(REACH_BUDGET_MS).toBeLessThan(10_000)
  })
})
