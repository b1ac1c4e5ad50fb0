import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { NAMESPACE, NEW_IMAGE, startShop, type Shop } from './commands/fixture.js'

/** Runs the shipped CLI as a user would; resolves with its exit code, or 'still running' at the bound. */
function runShippedCli(args: string[], env: Record<string, string>, boundMs: number) {
  return new Promise<{ code: number | 'still running'; stdout: string }>(resolve => {
    const child = spawn(process.execPath, [join('dist', 'cli.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.resume()
    const bound = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ code: 'still running', stdout })
    }, boundMs)
    child.on('exit', code => {
      clearTimeout(bound)
      resolve({ code: code ?? 1, stdout })
    })
  })
}

describe('dist/cli.js', () => {
  let shop: Shop
  beforeAll(async () => {
    shop = await startShop()
    expect((await shop.run('deploy')).report.status).toBe('success')
  })
  afterAll(() => shop.stop())

  it('exits on its own after re-deploying a version whose canary is already available', async () => {
    const args = ['deploy', '--app', 'shop', '--namespace', NAMESPACE]
    args.push('--deployments', 'shop-web,shop-worker', '--image', NEW_IMAGE, '--build', 'false')
    args.push('--version', 'v2', '--smoke-timeout', '3s', '--timeout', '20s')
    // Far below the 240 s a forgotten watch stays open, far above a deploy of a ready canary.
    const run = await runShippedCli(
      args,
      { CANARY_DEPLOY_KUBECONFIG: shop.cluster.kubeconfig },
      30_000
    )
    expect(run.stdout).toContain('succeeded')
    expect(run.code).toBe(0)
  })
})
