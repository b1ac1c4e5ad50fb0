import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { read } from '../../src/k8s/objects.js'
import { connect } from '../../src/k8s/client.js'
import { MemoryLogger } from '../../src/logger.js'
import { rejection } from './helpers.js'

/** An HTTPS API server stand-in with a self-signed certificate no CA in the kubeconfig vouches for. */
describe('TLS', () => {
  let dir: string
  let server: https.Server
  let url: string
  let cert: string

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-tls-'))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1'
      ],
      { stdio: 'ignore' }
    )
    cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8')
    server = https.createServer(
      { key: fs.readFileSync(path.join(dir, 'key.pem')), cert },
      (_req, res) => {
        res.writeHead(404, { 'Content-Type': 'application/json' })
        res.end(
          JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' })
        )
      }
    )
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise(resolve => server.close(resolve))
    fs.rmSync(dir, { recursive: true, force: true })
  })

  function kubeconfig(clusterExtra: string): string {
    return `apiVersion: v1
kind: Config
current-context: c
clusters: [{ name: c, cluster: { server: '${url}'${clusterExtra} } }]
users: [{ name: u, user: { token: tls-test-token } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
`
  }

  it('refuses a server whose certificate the kubeconfig does not trust', async () => {
    const cluster = await connect({
      kubeconfig: kubeconfig(''),
      namespace: 'prod',
      logger: new MemoryLogger()
    })
    const err = await rejection(
      read(cluster, { kind: 'Deployment', name: 'web' }, { retryForMs: 0 })
    )
    expect(err.message).toMatch(
      new RegExp(
        `^TLS verification of ${url} failed \\((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\\)`
      )
    )
  })

  it('trusts it through certificate-authority-data', async () => {
    const ca = Buffer.from(cert).toString('base64')
    const cluster = await connect({
      kubeconfig: kubeconfig(`, certificate-authority-data: ${ca}`),
      namespace: 'prod',
      logger: new MemoryLogger()
    })
    expect(
      await read(cluster, { kind: 'Deployment', name: 'web' }, { retryForMs: 0 })
    ).toBeUndefined()
  })

  it('skips verification only when the kubeconfig says insecure-skip-tls-verify', async () => {
    const cluster = await connect({
      kubeconfig: kubeconfig(', insecure-skip-tls-verify: true'),
      namespace: 'prod',
      logger: new MemoryLogger()
    })
    expect(
      await read(cluster, { kind: 'Deployment', name: 'web' }, { retryForMs: 0 })
    ).toBeUndefined()
  })
})
