import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemoryLogger } from '../src/logger.js'
import { KubeConfig } from '@kubernetes/client-node'
import {
  podProxyTarget,
  smokeCheck,
  summarizeSmoke,
  urlTarget,
  type SmokeOptions
} from '../src/smoke.js'
import { podProxyUrl } from '../src/k8s/proxy.js'

interface TestServer {
  url: string
  host: string
  requests: string[]
  close(): Promise<void>
}

const servers: TestServer[] = []

/** A real HTTP server on 127.0.0.1 that records the paths it was asked for. */
async function startServer(handler: http.RequestListener): Promise<TestServer> {
  const requests: string[] = []
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '')
    handler(req, res)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const started: TestServer = {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  servers.push(started)
  return started
}

/** An app answering /health and /version like examples/app/server.js does. */
function app(
  version: string,
  health: () => [number, string] = () => [200, 'ok']
): http.RequestListener {
  return (req, res) => {
    if (req.url === '/health') {
      const [status, body] = health()
      res.writeHead(status).end(body)
    } else if (req.url === '/version') {
      res.writeHead(200).end(version)
    } else {
      res.writeHead(404).end('not found')
    }
  }
}

function options(overrides: Partial<SmokeOptions> = {}): SmokeOptions {
  return {
    healthPath: '/health',
    versionPath: '/version',
    expectedVersion: 'v2',
    timeoutMs: 5000,
    attemptTimeoutMs: 1000,
    intervalMs: 20,
    logger: new MemoryLogger(),
    ...overrides
  }
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()))
})

describe('smokeCheck over a URL', () => {
  it('passes a target whose health answers 2xx and whose version contains the expected one', async () => {
    const server = await startServer(app('shop v2 (abc123)'))

    const [result] = await smokeCheck([urlTarget(server.url)], options())

    expect(result).toMatchObject({
      target: server.url,
      ok: true,
      health: { status: 200, ok: true },
      version: { status: 200, ok: true, body: 'shop v2 (abc123)' },
      attempts: 1
    })
  })

  it('retries a failing health check and passes once it answers 200 within the budget', async () => {
    let calls = 0
    const server = await startServer(
      app('v2', () => (++calls === 1 ? [500, 'starting'] : [200, 'ok']))
    )

    const [result] = await smokeCheck([urlTarget(server.url)], options())

    expect(result.ok).toBe(true)
    expect(result.attempts).toBe(2)
  })

  it('fails a health check that always answers 500, naming the status and the body', async () => {
    const server = await startServer(app('v2', () => [500, 'database unreachable']))

    const [result] = await smokeCheck([urlTarget(server.url)], options({ timeoutMs: 1000 }))

    expect(result.ok).toBe(false)
    expect(result.health).toEqual({ status: 500, ok: false })
    expect(result.message).toBe(
      `${server.url}: GET /health answered 500 with "database unreachable" (expected 2xx)`
    )
    expect(result.attempts).toBeGreaterThan(1)
  })

  it('fails a version that is another one, naming both versions', async () => {
    const server = await startServer(app('v1'))

    const [result] = await smokeCheck([urlTarget(server.url)], options({ timeoutMs: 200 }))

    expect(result.ok).toBe(false)
    expect(result.version).toEqual({ status: 200, ok: false, body: 'v1' })
    expect(result.message).toBe(
      `${server.url}: GET /version answered 200 with "v1" (expected it to contain "v2")`
    )
  })

  it('cuts a long body to 1 KiB in the message and says it was cut', async () => {
    const server = await startServer(app('v2', () => [503, 'x'.repeat(5000)]))

    const [result] = await smokeCheck([urlTarget(server.url)], options({ timeoutMs: 100 }))

    expect(result.message).toContain(`"${'x'.repeat(1024)}"…(cut)`)
    expect(result.message).not.toContain('x'.repeat(1025))
  })

  it('refuses a redirect to another host without asking that host', async () => {
    const elsewhere = await startServer(app('v2'))
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/health` }).end()
    })

    const [result] = await smokeCheck([urlTarget(server.url)], options())

    expect(result.ok).toBe(false)
    expect(result.message).toContain(`redirected (302) to another host, ${elsewhere.host}; refused`)
    expect(result.attempts).toBe(1)
    expect(elsewhere.requests).toEqual([])
  })

  it('follows a redirect on the same host', async () => {
    const answer = app('v2')
    const server = await startServer((req, res) => {
      if (req.url === '/health') res.writeHead(301, { location: '/healthz' }).end()
      else if (req.url === '/healthz') res.writeHead(200).end('ok')
      else answer(req, res)
    })

    const [result] = await smokeCheck([urlTarget(server.url)], options())

    expect(result.ok).toBe(true)
    expect(server.requests).toEqual(['/health', '/healthz', '/version'])
  })

  it('refuses more than five redirects', async () => {
    const server = await startServer((req, res) => {
      res.writeHead(302, { location: `${req.url}x` }).end()
    })

    const [result] = await smokeCheck([urlTarget(server.url)], options())

    expect(result.ok).toBe(false)
    expect(result.message).toContain('redirected more than 5 times')
    expect(server.requests).toHaveLength(6)
  })

  it('gives up on a server that never answers, within the budget, saying it timed out', async () => {
    const server = await startServer(() => {
      // Never answers: the per-attempt timeout has to end the request.
    })

    const [result] = await smokeCheck(
      [urlTarget(server.url)],
      options({ timeoutMs: 600, attemptTimeoutMs: 150 })
    )

    expect(result.ok).toBe(false)
    expect(result.message).toMatch(/GET \/health got no answer within \d+ ms \(timeout\)/)
    expect(result.attempts).toBeGreaterThanOrEqual(1)
  })

  it('reports a refused connection with its cause', async () => {
    const server = await startServer(app('v2'))
    await server.close()

    const [result] = await smokeCheck([urlTarget(server.url)], options({ timeoutMs: 100 }))

    expect(result.ok).toBe(false)
    expect(result.message).toContain('ECONNREFUSED')
  })

  it('checks several targets independently: one failing does not fail the other', async () => {
    const good = await startServer(app('v2'))
    const bad = await startServer(app('v1'))

    const results = await smokeCheck(
      [urlTarget(good.url), urlTarget(bad.url)],
      options({ timeoutMs: 300 })
    )

    expect(results.map(r => [r.target, r.ok])).toEqual([
      [good.url, true],
      [bad.url, false]
    ])
  })

  it('stops when cancelled and says so', async () => {
    const server = await startServer(app('v1'))
    const controller = new AbortController()
    controller.abort()

    const [result] = await smokeCheck(
      [urlTarget(server.url)],
      options({ timeoutMs: 60000, signal: controller.signal })
    )

    expect(result.ok).toBe(false)
    expect(result.message).toContain('cancelled')
  })
})

describe('smokeCheck options', () => {
  it('refuses an empty expected version, which every body would contain', async () => {
    await expect(smokeCheck([], options({ expectedVersion: ' ' }))).rejects.toThrow(
      /expected-version/
    )
  })
})

describe('urlTarget', () => {
  it('refuses a URL with credentials, naming the input and not echoing the password', () => {
    expect(() => urlTarget('https://deploy:s3cret@canary.example.com')).toThrow(/smoke-url/)
    expect(() => urlTarget('https://deploy:s3cret@canary.example.com')).not.toThrow(/s3cret/)
  })

  it('refuses something that is not an http(s) URL, naming the input', () => {
    expect(() => urlTarget('canary.example.com')).toThrow(/smoke-url/)
    expect(() => urlTarget('ftp://canary.example.com')).toThrow(/smoke-url/)
  })

  it('keeps a path prefix of the base URL', async () => {
    const server = await startServer((req, res) => res.writeHead(200).end(req.url))

    const answer = await urlTarget(`${server.url}/shop/`).fetch(
      '/version',
      AbortSignal.timeout(5000)
    )

    expect(answer).toEqual({ status: 200, body: '/shop/version', location: undefined })
  })
})

describe('summarizeSmoke', () => {
  it('writes one line per target with its verdict and attempts', async () => {
    const good = await startServer(app('v2'))
    const bad = await startServer(app('v1'))
    const results = await smokeCheck(
      [urlTarget(good.url), urlTarget(bad.url)],
      options({ timeoutMs: 100 })
    )

    const lines = summarizeSmoke(results).split('\n')

    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^pass ${good.url}: .* \\(1 attempt\\)$`))
    expect(lines[1]).toMatch(new RegExp(`^FAIL ${bad.url}: GET /version answered 200 with "v1"`))
  })
})

describe('podProxyTarget', () => {
  /** A kubeconfig for a plain-HTTP API server on 127.0.0.1 with a bearer token. */
  function kubeConfigFor(server: string, token: string): KubeConfig {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'test', server, skipTLSVerify: true }],
      users: [{ name: 'ci', token }],
      contexts: [{ name: 'test', cluster: 'test', user: 'ci', namespace: 'shop' }],
      currentContext: 'test'
    })
    return kc
  }

  it('asks the pod proxy of each pod on its own, with the kubeconfig token, and names the pod', async () => {
    const versions: Record<string, string> = {
      'shop-web-canary-a': 'v2',
      'shop-web-canary-b': 'v1'
    }
    const seen: string[] = []
    const apiServer = await startServer((req, res) => {
      seen.push(`${req.headers.authorization} ${req.url}`)
      const m = /^\/api\/v1\/namespaces\/shop\/pods\/([^/:]+):8080\/proxy(\/.*)$/.exec(
        req.url ?? ''
      )
      if (!m || req.headers.authorization !== 'Bearer t0ken-secret') return res.writeHead(403).end()
      app(versions[m[1]])(Object.assign(req, { url: m[2] }), res)
    })
    const kc = kubeConfigFor(apiServer.url, 't0ken-secret')

    const results = await smokeCheck(
      ['shop-web-canary-a', 'shop-web-canary-b'].map(pod =>
        podProxyTarget(kc, podProxyUrl(kc.getCurrentCluster()!.server, 'shop', pod, 8080), pod)
      ),
      options({ timeoutMs: 100 })
    )

    expect(results.map(r => [r.target, r.ok])).toEqual([
      ['shop-web-canary-a', true],
      ['shop-web-canary-b', false]
    ])
    expect(results[1].message).toBe(
      'shop-web-canary-b: GET /version answered 200 with "v1" (expected it to contain "v2")'
    )
    expect(seen).toContain(
      'Bearer t0ken-secret /api/v1/namespaces/shop/pods/shop-web-canary-a:8080/proxy/health'
    )
    expect(summarizeSmoke(results)).not.toContain('t0ken-secret')
  })

  it('follows a redirect inside the pod proxy and refuses one that leaves it', async () => {
    const proxied = '/api/v1/namespaces/shop/pods'
    const apiServer = await startServer((req, res) => {
      const url = req.url ?? ''
      if (url === `${proxied}/inside:8080/proxy/health`)
        return res.writeHead(302, { location: `${proxied}/inside:8080/proxy/healthz` }).end()
      if (url === `${proxied}/outside:8080/proxy/health`)
        return res.writeHead(302, { location: '/healthz' }).end()
      if (url === `${proxied}/inside:8080/proxy/healthz`) return res.writeHead(200).end('ok')
      if (url === `${proxied}/inside:8080/proxy/version`) return res.writeHead(200).end('v2')
      res.writeHead(200).end('the API server itself answering')
    })
    const kc = kubeConfigFor(apiServer.url, 'token')

    const [inside, outside] = await smokeCheck(
      ['inside', 'outside'].map(pod =>
        podProxyTarget(kc, podProxyUrl(kc.getCurrentCluster()!.server, 'shop', pod, 8080), pod)
      ),
      options()
    )

    expect(inside.ok).toBe(true)
    expect(outside.ok).toBe(false)
    expect(outside.message).toBe(
      "outside: GET /health redirected (302) out of pod outside's proxy, to " +
        `${apiServer.url}/healthz; refused`
    )
    expect(apiServer.requests).not.toContain('/healthz')
  })
})
