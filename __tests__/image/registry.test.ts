/**
 * resolveDigest's protocol handling against small local HTTP servers that answer like a registry:
 * the Bearer token dance (as ghcr.io and Docker Hub do) and the edge cases. The real registry with
 * basic auth is exercised in buildah-registry.test.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MANIFEST_ACCEPT, parseAuthChallenge, resolveDigest } from '../../src/image/registry.js'
import { MemoryLogger } from '../../src/logger.js'
import { startRegistry } from '../harness/registry.js'

const DIGEST = `sha256:${'d'.repeat(64)}`
const TOKEN = 'tok-from-realm'

interface FakeRegistry {
  host: string
  requests: IncomingMessage[]
  close(): Promise<void>
}

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, host: string) => void
): Promise<FakeRegistry> {
  const requests: IncomingMessage[] = []
  let host = ''
  const server = createServer((req, res) => {
    requests.push(req)
    handler(req, res, host)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return { host, requests, close: () => new Promise(resolve => server.close(() => resolve())) }
}

/** A registry that wants a Bearer token from its /token realm, given for user bot:pw. */
function bearerRegistry(req: IncomingMessage, res: ServerResponse, host: string): void {
  const url = new URL(req.url ?? '/', `http://${host}`)
  if (url.pathname === '/token') {
    const ok = req.headers.authorization === `Basic ${Buffer.from('bot:pw').toString('base64')}`
    const scopeOk = url.searchParams.get('scope') === 'repository:acme/web:pull'
    res.writeHead(ok && scopeOk ? 200 : 401, { 'content-type': 'application/json' })
    res.end(ok && scopeOk ? JSON.stringify({ token: TOKEN }) : '{}')
    return
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    res.writeHead(401, {
      'www-authenticate': `Bearer realm="http://${host}/token",service="fake",scope="repository:acme/web:pull"`
    })
    res.end()
    return
  }
  if (url.pathname === '/v2/acme/web/manifests/v1') {
    res.writeHead(200, { 'docker-content-digest': DIGEST })
    res.end()
    return
  }
  res.writeHead(404)
  res.end()
}

describe('parseAuthChallenge', () => {
  it('reads a Bearer challenge with a comma inside a quoted scope', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"'
      )
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'reg',
        scope: 'repository:a/b:pull,push'
      }
    })
  })
})

describe('resolveDigest', () => {
  it('returns a reference that already names a digest without asking any registry', async () => {
    // Nothing listens on port 1: any request would fail.
    const resolved = await resolveDigest(`127.0.0.1:1/acme/web:v1@${DIGEST}`)
    expect(resolved).toEqual({
      image: `127.0.0.1:1/acme/web:v1@${DIGEST}`,
      digest: DIGEST,
      imageRef: `127.0.0.1:1/acme/web@${DIGEST}`
    })
  })

  it('answers a Bearer challenge with a token from the realm, and masks the token', async () => {
    const registry = await serve(bearerRegistry)
    try {
      const logger = new MemoryLogger()
      const resolved = await resolveDigest(
        `${registry.host}/acme/web:v1`,
        { username: 'bot', password: 'pw' },
        { logger }
      )
      expect(resolved.imageRef).toBe(`${registry.host}/acme/web@${DIGEST}`)
      logger.info(`Bearer ${TOKEN}`)
      expect(logger.lines.at(-1)).toBe('Bearer ***')
    } finally {
      await registry.close()
    }
  })

  it('asks for manifests and indexes, Docker and OCI', async () => {
    const registry = await serve(bearerRegistry)
    try {
      await resolveDigest(`${registry.host}/acme/web:v1`, { username: 'bot', password: 'pw' })
      const manifestRequest = registry.requests.find(r => r.url?.startsWith('/v2/'))
      expect(manifestRequest?.headers.accept).toBe(MANIFEST_ACCEPT)
      expect(MANIFEST_ACCEPT).toContain('application/vnd.oci.image.index.v1+json')
      expect(MANIFEST_ACCEPT).toContain('application/vnd.docker.distribution.manifest.v2+json')
    } finally {
      await registry.close()
    }
  })

  it('names the image and registry, not the password, when the token service refuses', async () => {
    const registry = await serve(bearerRegistry)
    try {
      const error = await resolveDigest(`${registry.host}/acme/web:v1`, {
        username: 'bot',
        password: 'wrong-pw-77'
      }).then(
        () => new Error('resolved, but should have been refused'),
        (e: unknown) => e as Error
      )
      expect(error.message).toContain(`${registry.host}/acme/web:v1`)
      expect(error.message).toContain(`registry ${registry.host}`)
      expect(error.message).not.toContain('wrong-pw-77')
    } finally {
      await registry.close()
    }
  })

  it('falls back to hashing the manifest when HEAD carries no digest header', async () => {
    const body = '{"schemaVersion":2}'
    const registry = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
      res.end(req.method === 'GET' ? body : undefined)
    })
    try {
      const { createHash } = await import('node:crypto')
      const resolved = await resolveDigest(`${registry.host}/acme/web:v1`)
      expect(resolved.digest).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`)
    } finally {
      await registry.close()
    }
  })

  describe('against docker-registry with basic auth', () => {
    it('says which image and registry when the tag does not exist', async () => {
      const registry = await startRegistry({ auth: { user: 'bot', password: 'pw' } })
      try {
        await expect(
          resolveDigest(`${registry.host}/acme/none:v1`, { username: 'bot', password: 'pw' })
        ).rejects.toThrow(
          `image ${registry.host}/acme/none:v1 not found on registry ${registry.host}`
        )
      } finally {
        await registry.stop()
      }
    })

    it('refuses without credentials, saying they are required', async () => {
      const registry = await startRegistry({ auth: { user: 'bot', password: 'pw' } })
      try {
        await expect(resolveDigest(`${registry.host}/acme/web:v1`)).rejects.toThrow(
          /requires credentials/
        )
      } finally {
        await registry.stop()
      }
    })
  })
})
