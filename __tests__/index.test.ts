import { spawnSync } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

/** Runs the built action the way the runner does: `node dist/index.js` with INPUT_* variables. */
function runAction(env: Record<string, string>) {
  return spawnSync(process.execPath, [join('dist', 'index.js')], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000
  })
}

describe('node dist/index.js', () => {
  let server: Server
  let hits = 0
  let port = 0

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++
      res.end('{}')
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })
  afterAll(() => new Promise(resolve => server.close(resolve)))

  it('fails on bad inputs with every bad input named in one message, exit code 1, and no network call', () => {
    const kubeconfig = `apiVersion: v1
clusters: [{ name: c, cluster: { server: 'http://127.0.0.1:${port}' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`
    const result = runAction({
      INPUT_APP: 'shop',
      INPUT_NAMESPACE: 'Bad_NS',
      INPUT_TIMEOUT: 'ten minutes',
      INPUT_KUBECONFIG: kubeconfig,
      INPUT_IMAGE: `127.0.0.1:${port}/shop`,
      'INPUT_GITHUB-TOKEN': 'ghs_token',
      GITHUB_API_URL: `http://127.0.0.1:${port}`,
      GITHUB_SHA: 'abcdef1234567'
    })
    expect(result.status).toBe(1)
    const errors = result.stdout.split('\n').filter(line => line.startsWith('::error::'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('namespace: expected a DNS-1123 label')
    expect(errors[0]).toContain('timeout: expected a duration')
    expect(hits).toBe(0)
  })
})

describe('node dist/cli.js --help', () => {
  it('lists every input of action.yml', () => {
    const result = spawnSync(process.execPath, [join('dist', 'cli.js'), '--help'], {
      encoding: 'utf8'
    })
    expect(result.status).toBe(0)
    const action = parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, unknown> }
    const missing = Object.keys(action.inputs).filter(name => !result.stdout.includes(`--${name} `))
    expect(missing).toEqual([])
  })
})
