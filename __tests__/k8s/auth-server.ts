/**
 * An HTTPS API server stand-in that answers every request with what it saw of the caller's
 * credentials: the Authorization header and the client certificate's CN. Its certificate is signed
 * by a CA made here, which also signs a client certificate (CN robot) for kubeconfigs to present.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { TLSSocket } from 'node:tls'

/** What the server saw of one request's credentials. */
export interface SeenCredentials {
  authorization: string | null
  clientCertCN: string | null
}

export interface AuthServer {
  url: string
  /** PEM of the CA that signed the server and client certificates. */
  caPem: string
  clientCertPem: string
  clientKeyPem: string
  /** A directory for the test's own files; removed by stop(). */
  dir: string
  /** How many requests reached the server. */
  requests(): number
  stop(): Promise<void>
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate (CN robot), all signed by it. */
function makeCertificates(dir: string): void {
  const key = ['-newkey', 'rsa:2048', '-nodes', '-keyout']
  openssl(dir, 'req', '-x509', ...key, 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ca')
  for (const [name, subject, ext] of [
    ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', '/CN=robot', 'extendedKeyUsage=clientAuth']
  ]) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`)
    openssl(dir, 'req', ...key, `${name}.key`, '-out', `${name}.csr`, '-subj', subject)
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`
    )
  }
}

export async function startAuthServer(): Promise<AuthServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-auth-'))
  makeCertificates(dir)
  let requests = 0
  const read = (file: string): string => fs.readFileSync(path.join(dir, file), 'utf8')
  const server = https.createServer(
    {
      key: read('server.key'),
      cert: read('server.pem'),
      ca: read('ca.pem'),
      requestCert: true,
      // A request without a client certificate is still answered: the answer says there was none.
      rejectUnauthorized: false
    },
    (req, res) => {
      requests++
      const socket = req.socket as TLSSocket
      const peer = socket.authorized ? socket.getPeerCertificate() : undefined
      const seen: SeenCredentials = {
        authorization: req.headers.authorization ?? null,
        clientCertCN: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : null
      }
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(seen))
    }
  )
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: read('ca.pem'),
    clientCertPem: read('client.pem'),
    clientKeyPem: read('client.key'),
    dir,
    requests: () => requests,
    async stop() {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

const b64 = (text: string): string => Buffer.from(text).toString('base64')

/** A kubeconfig for the server with one user entry (YAML of its `user:` map, indented 4). */
export function kubeconfigFor(server: AuthServer, user: string): string {
  return `apiVersion: v1
kind: Config
current-context: c
clusters:
- name: c
  cluster:
    server: ${server.url}
    certificate-authority-data: ${b64(server.caPem)}
contexts:
- name: c
  context: { cluster: c, user: u }
users:
- name: u
  user:
${user}
`
}

/** The user entry for the server's client certificate. */
export function clientCertUser(server: AuthServer): string {
  return `    client-certificate-data: ${b64(server.clientCertPem)}
    client-key-data: ${b64(server.clientKeyPem)}`
}

/** An exec credential plugin that runs a node script of the given source: its user entry. */
export function execScriptUser(server: AuthServer, name: string, source: string): string {
  const script = path.join(server.dir, `${name}.mjs`)
  fs.writeFileSync(script, source)
  return `    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${JSON.stringify(process.execPath)}
      args: [${JSON.stringify(script)}]
      interactiveMode: Never`
}

/** An exec credential plugin that prints `stdout` and `stderr` and exits `code`: its user entry. */
export function execPluginUser(
  server: AuthServer,
  name: string,
  plugin: { stdout: string; stderr?: string; code?: number }
): string {
  return execScriptUser(
    server,
    name,
    `process.stdout.write(${JSON.stringify(plugin.stdout)})\n` +
      `process.stderr.write(${JSON.stringify(plugin.stderr ?? '')})\n` +
      `process.exitCode = ${plugin.code ?? 0}\n`
  )
}

/**
 * A pod's service account under a directory of the test's (client-node's loadFromCluster prefix),
 * trusting the server's CA: the prefix, and the environment a pod would have.
 */
export function serviceAccountFor(
  server: AuthServer,
  name: string,
  token: string
): { prefix: string; env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string } } {
  const prefix = path.join(server.dir, name)
  const account = path.join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount')
  fs.mkdirSync(account, { recursive: true })
  fs.writeFileSync(path.join(account, 'token'), token)
  fs.writeFileSync(path.join(account, 'ca.crt'), server.caPem)
  fs.writeFileSync(path.join(account, 'namespace'), 'prod')
  const env = {
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: new URL(server.url).port
  }
  return { prefix, env }
}

/** The ExecCredential a plugin prints for a token. */
export function execCredential(token: string, expirationTimestamp?: string): string {
  return JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token, ...(expirationTimestamp ? { expirationTimestamp } : {}) }
  })
}
