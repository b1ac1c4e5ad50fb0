/**
 * examples/app/server.js as analysis and drain read it: its /metrics, its fault settings and its
 * open-connection count, from a real process.
 */
import { spawnSync } from 'node:child_process'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { startExampleApp, type ExampleApp } from '../harness/example-app.js'
import { startPrometheus } from '../harness/prometheus.js'

let app: ExampleApp | undefined
afterEach(async () => {
  await app?.stop()
  app = undefined
})

async function get(path: string, agent?: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, app?.url), { agent }, response => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
  })
}

/** The value of one series of the app's /metrics, e.g. `http_requests_total{code="200"}`. */
async function metric(series: string): Promise<number | undefined> {
  const { body } = await get('/metrics')
  const line = body.split('\n').find(l => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('examples/app metrics', () => {
  it('counts app requests by status code', async () => {
    app = await startExampleApp({ version: 'v1' })
    await get('/')
    await get('/')
    await get('/no-such-page')

    expect(await metric('http_requests_total{code="200"}')).toBe(2)
    expect(await metric('http_requests_total{code="404"}')).toBe(1)
    expect(await metric('http_request_duration_seconds_count')).toBe(3)
    expect(await metric('http_request_duration_seconds_bucket{le="+Inf"}')).toBe(3)
  })

  it('does not count probes, smoke checks or scrapes as app traffic', async () => {
    app = await startExampleApp({ version: 'v1' })
    await get('/health')
    await get('/version')
    await get('/metrics')
    await get('/connections')

    expect(await metric('http_request_duration_seconds_count')).toBe(0)
    expect(await metric('http_requests_total{code="200"}')).toBe(0)
    expect(await metric('http_requests_total{code="500"}')).toBe(0)
  })

  it('exposes its 200 and 500 counters at 0 before the first request', async () => {
    app = await startExampleApp({ version: 'v1' })

    expect((await get('/metrics')).body).toContain(
      'http_requests_total{code="200"} 0\nhttp_requests_total{code="500"} 0\n'
    )
  })

  it('answers the given fraction of app requests with 500, evenly', async () => {
    app = await startExampleApp({ version: 'v1', errorRate: 0.25 })
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) statuses.push((await get('/')).status)

    expect(statuses).toEqual([200, 200, 200, 500, 200, 200, 200, 500])
    expect(await metric('http_requests_total{code="500"}')).toBe(2)
  })

  it('keeps /health answering while app requests fail', async () => {
    app = await startExampleApp({ version: 'v1', errorRate: 1 })

    expect((await get('/')).status).toBe(500)
    expect(await get('/health')).toEqual({ status: 200, body: 'ok' })
  })

  it('delays app requests by the given time, into the slower latency buckets', async () => {
    app = await startExampleApp({ version: 'v1', delayMs: 120 })
    await get('/')
    await get('/health')

    expect(await metric('http_request_duration_seconds_bucket{le="0.1"}')).toBe(0)
    expect(await metric('http_request_duration_seconds_count')).toBe(1)
  })

  it('counts a client connection as open once it carried app traffic, until it closes', async () => {
    app = await startExampleApp({ version: 'v1' })
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    await get('/health', agent)
    const beforeAppTraffic = await metric('http_open_connections')
    await get('/', agent)
    const open = (await get('/connections')).body
    agent.destroy()
    let closed = open
    for (let i = 0; i < 50 && closed !== '0'; i++) closed = (await get('/connections')).body

    expect(beforeAppTraffic).toBe(0)
    expect(open).toBe('1')
    expect(await metric('http_open_connections')).toBe(0)
  })

  it('refuses a fault setting out of range at start, naming it', () => {
    const run = spawnSync(process.execPath, ['server.js'], {
      cwd: fileURLToPath(new URL('../../examples/app/', import.meta.url)),
      env: { PATH: process.env.PATH, PORT: '0', FAULT_ERROR_RATE: '1.5' },
      encoding: 'utf8',
      timeout: 10_000
    })

    expect(run.status).toBe(2)
    expect(run.stderr).toContain('FAULT_ERROR_RATE must be a number from 0 to 1, got "1.5"')
  })
})

describe('examples/app scraped by a real Prometheus', () => {
  it('has its first failed request counted by increase(): the 500 series was there at 0', async () => {
    const prometheus = await startPrometheus()
    try {
      app = await startExampleApp({ version: 'v1', errorRate: 1 })
      await prometheus.setTargets([
        {
          address: app.address,
          namespace: 'shop',
          pod: 'shop-web-1',
          podLabels: { app: 'shop-web' }
        }
      ])
      const failed = 'http_requests_total{code="500"}'
      await prometheus.waitFor(`count_over_time(${failed}[1m])`, n => (n ?? 0) >= 2)

      expect((await get('/')).status).toBe(500)
      await prometheus.waitFor(`max_over_time(${failed}[1m])`, n => n === 1)

      expect(await prometheus.value(`sum(increase(${failed}[1m]))`)).toBeGreaterThan(0)
    } finally {
      await prometheus.stop()
    }
  })
})
