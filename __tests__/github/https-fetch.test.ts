import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { httpsFetch } from '../../src/github/https-fetch.js'

/** What the server saw of one request. */
interface Seen {
  method: string
  url: string
  authorization?: string
  contentType?: string
  body: string
}

describe('httpsFetch (what Octokit reads of a fetch)', () => {
  let server: http.Server
  let other: http.Server
  let base: string
  let otherBase: string
  const seen: Seen[] = []

  function record(req: http.IncomingMessage, body: string): void {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body
    })
  }

  async function listen(handler: http.RequestListener): Promise<[http.Server, string]> {
    const s = http.createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        record(req, body)
        handler(req, res)
      })
    })
    await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
    return [s, `http://127.0.0.1:${(s.address() as AddressInfo).port}`]
  }

  beforeAll(async () => {
    ;[other, otherBase] = await listen((_req, res) => res.end('elsewhere'))
    ;[server, base] = await listen((req, res) => {
      if (req.url === '/json') {
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-RateLimit-Remaining': '42' })
        res.end('{"id":7}')
      } else if (req.url === '/moved') {
        res.writeHead(302, { Location: '/json' })
        res.end()
      } else if (req.url === '/away') {
        res.writeHead(307, { Location: `${otherBase}/there` })
        res.end()
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 5000).unref()
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' })
        res.end('{"message":"Not Found"}')
      }
    })
  })
  afterAll(async () => {
    server.closeAllConnections()
    other.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    await new Promise(resolve => other.close(resolve))
  })
  beforeEach(() => (seen.length = 0))

  it('sends the method, headers and body, and answers status, headers and text', async () => {
    const res = await httpsFetch(`${base}/json`, {
      method: 'POST',
      headers: { authorization: 'token t', 'content-type': 'application/json' },
      body: '{"ref":"main"}'
    })
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/json',
        authorization: 'token t',
        contentType: 'application/json',
        body: '{"ref":"main"}'
      }
    ])
    expect(res.status).toBe(201)
    expect(res.url).toBe(`${base}/json`)
    expect(res.headers.get('x-ratelimit-remaining')).toBe('42')
    expect(Object.fromEntries(res.headers)).toMatchObject({ 'content-type': 'application/json' })
    expect(await res.text()).toBe('{"id":7}')
  })

  it('answers an error status as a status, not a rejection', async () => {
    const res = await httpsFetch(`${base}/missing`)
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('{"message":"Not Found"}')
  })

  it('follows a redirect, a 302 after a POST as a GET without the body', async () => {
    const res = await httpsFetch(`${base}/moved`, { method: 'POST', body: 'x' })
    expect(seen.map(s => `${s.method} ${s.url} ${s.body}`)).toEqual(['POST /moved x', 'GET /json '])
    expect(res.status).toBe(201)
    expect(res.url).toBe(`${base}/json`)
  })

  it('does not send the Authorization header to another origin it is redirected to', async () => {
    const res = await httpsFetch(`${base}/away`, { headers: { authorization: 'token t' } })
    expect(await res.text()).toBe('elsewhere')
    expect(seen.map(s => [s.url, s.authorization])).toEqual([
      ['/away', 'token t'],
      ['/there', undefined]
    ])
  })

  it('rejects with an AbortError when its signal aborts', async () => {
    const controller = new AbortController()
    const pending = httpsFetch(`${base}/slow`, { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('rejects as fetch does, a TypeError with the network error as its cause', async () => {
    const closed = `http://127.0.0.1:1/`
    await expect(httpsFetch(closed)).rejects.toMatchObject({
      name: 'TypeError',
      cause: expect.objectContaining({ code: 'ECONNREFUSED' })
    })
  })
})
