/**
 * The Prometheus client against a real Prometheus (Debian's 2.x): what its HTTP API really answers
 * for NaN, ±Inf, several series, no series, a range vector, a string and a syntax error.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  PrometheusClient,
  PrometheusError,
  urlTransport,
  type PrometheusTransport
} from '../../src/analysis/prometheus.js'
import { oneValue, sampleCount } from '../../src/analysis/query-value.js'
import { freePort } from '../harness/local-process.js'
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.js'

let prometheus: TestPrometheus
let client: PrometheusClient

beforeAll(async () => {
  prometheus = await startPrometheus()
  client = new PrometheusClient(urlTransport(prometheus.url))
})
afterAll(() => prometheus?.stop())

async function refusal(query: string, on = client): Promise<string> {
  try {
    await on.query(query)
  } catch (error) {
    if (error instanceof PrometheusError) return error.message
    throw error
  }
  throw new Error(`expected ${query} to be refused`)
}

/** A local HTTP server for the answers a Prometheus never gives; closed after the test. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close(): void }> {
  const server = http.createServer(handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections()
      server.close()
    }
  }
}

describe('PrometheusClient against a real Prometheus', () => {
  it('reads a vector sample with its labels and value', async () => {
    const result = await client.query('label_replace(vector(0.25), "track", "canary", "", "")')

    expect(result).toEqual({
      resultType: 'vector',
      samples: [{ labels: { track: 'canary' }, value: 0.25 }],
      warnings: []
    })
  })

  it('reads NaN as NaN, which is no value', async () => {
    const result = await client.query('vector(0) / vector(0)')

    expect(result.samples[0].value).toBeNaN()
    expect(oneValue(result)).toEqual({ note: 'NaN, e.g. 0/0: nothing happened in the window' })
  })

  it('reads +Inf and -Inf as infinities, which are values', async () => {
    expect((await client.query('1 / 0')).samples).toEqual([{ labels: {}, value: Infinity }])
    expect(oneValue(await client.query('vector(-1) / vector(0)'))).toEqual({ value: -Infinity })
  })

  it('gives no value for an empty result, and zero samples', async () => {
    const result = await client.query('sum(http_requests_total{pod="nowhere"})')

    expect(result.samples).toEqual([])
    expect(oneValue(result)).toEqual({ note: 'empty result: no series matched' })
    expect(sampleCount(result)).toBe(0)
  })

  it('refuses to pick one of several series', async () => {
    const result = await client.query('vector(1) or label_replace(vector(2), "a", "b", "", "")')

    expect(() => oneValue(result)).toThrow(
      'the query gives 2 series, not one number ({} {a="b"}): aggregate it, e.g. sum(...)'
    )
  })

  it('refuses a range vector, saying a function must wrap it', async () => {
    expect(await refusal('up[1m]')).toContain('gives a matrix, not one number')
  })

  it('refuses a string result', async () => {
    expect(await refusal('"text"')).toContain('gives a string')
  })

  it("passes on Prometheus' own error for a bad query", async () => {
    expect(await refusal('sum(up')).toMatch(
      /^Prometheus refused the query \(HTTP 400, bad_data\): invalid parameter "query": .*unclosed left parenthesis/
    )
  })

  it('evaluates at the time given', async () => {
    const result = await client.query('time()', 1_700_000_000)

    expect(result.samples[0].value).toBe(1_700_000_000)
  })

  it('reaches a Prometheus below a path prefix, as behind a proxy', async () => {
    const prefix = '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy'
    const proxy = await serve((req, res) => {
      const target = `${prometheus.url}${(req.url ?? '').slice(prefix.length)}`
      void fetch(target).then(async answer => {
        res.writeHead(answer.status, { 'content-type': 'application/json' })
        res.end(await answer.text())
      })
    })
    try {
      const viaProxy = new PrometheusClient(urlTransport(`${proxy.url}${prefix}/`))

      expect((await viaProxy.query('vector(7)')).samples[0].value).toBe(7)
    } finally {
      proxy.close()
    }
  })
})

describe('PrometheusClient when Prometheus cannot answer', () => {
  it('says it could not be reached, with the cause', async () => {
    const port = await freePort()
    const nowhere = new PrometheusClient(urlTransport(`http://127.0.0.1:${port}`))

    expect(await refusal('up', nowhere)).toMatch(/^Prometheus could not be reached: .*ECONNREFUSED/)
  })

  it('gives up after its timeout', async () => {
    const silent = await serve(() => {})
    try {
      const slow = new PrometheusClient(urlTransport(silent.url), { timeoutMs: 200 })

      expect(await refusal('up', slow)).toBe('Prometheus gave no answer within 200 ms')
    } finally {
      silent.close()
    }
  })

  it('says when something else answered', async () => {
    const gateway = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>')
    })
    try {
      const other = new PrometheusClient(urlTransport(gateway.url), { describe: 'prometheus-url' })

      expect(await refusal('up', other)).toBe(
        'prometheus-url answered HTTP 502 with no Prometheus API answer (text/html): <html>Bad Gateway</html>'
      )
    } finally {
      gateway.close()
    }
  })

  it('refuses an answer too large to be a check, without reading it all', async () => {
    const flood = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        `{"status":"success","data":{"resultType":"vector","result":[${'{"metric":{},"value":[1,"1"]},'.repeat(200_000)}]}}`
      )
    })
    try {
      const big = new PrometheusClient(urlTransport(flood.url))

      expect(await refusal('up', big)).toBe(
        "Prometheus: answered more than 4 MiB: a check's query gives a few series, never that many"
      )
    } finally {
      flood.close()
    }
  })

  it("passes on the API server's Status when its service proxy cannot reach Prometheus", async () => {
    // kube-apiserver v1.36's answer through a proxy with nothing behind it (recording 49).
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'error trying to reach service: dial tcp 10.96.0.12:9090: connect: connection refused',
      reason: 'ServiceUnavailable',
      code: 503
    }
    const transport: PrometheusTransport = async () => ({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify(status)
    })
    const proxied = new PrometheusClient(transport, { describe: 'service monitoring/prometheus' })

    expect(await refusal('up', proxied)).toBe(
      'service monitoring/prometheus could not be reached (HTTP 503): error trying to reach service: dial tcp 10.96.0.12:9090: connect: connection refused'
    )
  })

  it('asks the transport for an instant query with the query, time and timeout', async () => {
    const seen: string[] = []
    const transport: PrometheusTransport = async ({ path, params }) => {
      seen.push(`${path}?${params}`)
      return {
        status: 200,
        contentType: 'application/json',
        body: '{"status":"success","data":{"resultType":"vector","result":[]}}'
      }
    }
    await new PrometheusClient(transport, { timeoutMs: 5000 }).query('up', 1_700_000_000.5)

    expect(seen).toEqual(['/api/v1/query?query=up&timeout=5s&time=1700000000.500'])
  })
})
