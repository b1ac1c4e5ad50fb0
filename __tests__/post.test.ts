import type { V1Deployment } from '@kubernetes/client-node'
import { runPost } from '../src/post.js'
import { NAMESPACE, startShop, type Shop } from './commands/fixture.js'
import { startGitHubApi } from './harness/github.js'
import { githubClient } from '../src/github/client.js'
import { startDeployment } from '../src/github/deployments.js'
import { MemoryLogger } from '../src/logger.js'

/** The runner hands a post step its inputs as INPUT_* and the main step's saved state as STATE_*. */
function asPostStep(
  shop: Shop,
  state: Record<string, string>,
  inputs: Record<string, string> = {}
): () => void {
  const vars: Record<string, string> = {
    INPUT_APP: 'shop',
    INPUT_NAMESPACE: NAMESPACE,
    INPUT_DEPLOYMENTS: 'shop-web,shop-worker',
    INPUT_KUBECONFIG: shop.cluster.kubeconfig,
    INPUT_VERSION: 'v2',
    INPUT_BUILD: 'false',
    INPUT_IMAGE: 'registry.example.com/shop:v2',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
  }
  const saved = { ...process.env }
  Object.assign(process.env, vars)
  return () => {
    for (const key of Object.keys(vars)) delete process.env[key]
    Object.assign(process.env, saved)
  }
}

describe('the post step', () => {
  let shop: Shop
  beforeEach(async () => {
    shop = await startShop()
    expect((await shop.run('deploy')).report.status).toBe('success')
  })
  afterEach(() => shop.stop())
  const canary = () => shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, 'shop-web-canary')

  it('removes the canaries a killed main step had applied', async () => {
    const restore = asPostStep(shop, {
      run: JSON.stringify({ applied: ['shop-web-canary', 'shop-worker-canary'] })
    })
    try {
      await runPost()
    } finally {
      restore()
    }
    expect(canary()).toBeUndefined()
    expect(shop.cluster.get('Deployment', NAMESPACE, 'shop-worker-canary')).toBeUndefined()
    expect(shop.cluster.get('Deployment', NAMESPACE, 'shop-web')).toBeDefined()
  })

  it("releases the killed run's lock, even when it had applied nothing yet", async () => {
    const holder = 'acme/shop@abcdef123456 run:99 runner:4242-a1b2c3'
    shop.cluster.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'shop-canary-deploy', namespace: NAMESPACE },
      spec: { holderIdentity: holder, leaseDurationSeconds: 60 }
    } as never)
    const restore = asPostStep(shop, { run: JSON.stringify({ applied: [], lockHolder: holder }) })
    try {
      await runPost()
    } finally {
      restore()
    }
    expect(shop.cluster.get('Lease', NAMESPACE, 'shop-canary-deploy')).toBeUndefined()
  })

  it("leaves another run's lock alone", async () => {
    shop.cluster.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'shop-canary-deploy', namespace: NAMESPACE },
      spec: { holderIdentity: 'someone else', leaseDurationSeconds: 60 }
    } as never)
    const restore = asPostStep(shop, { run: JSON.stringify({ applied: [], lockHolder: 'me' }) })
    try {
      await runPost()
    } finally {
      restore()
    }
    expect(shop.cluster.get('Lease', NAMESPACE, 'shop-canary-deploy')).toBeDefined()
  })

  it('fails after a main step killed while promoting that did not say what it wrote', async () => {
    const restore = asPostStep(shop, {
      run: JSON.stringify({ applied: [], promoting: ['shop-web', 'shop-worker'] })
    })
    try {
      await runPost()
      expect(process.exitCode).toBe(1)
    } finally {
      process.exitCode = undefined
      restore()
    }
  })

  it('does nothing after a main step that finished', async () => {
    const restore = asPostStep(shop, {
      finished: 'true',
      run: JSON.stringify({ applied: ['shop-web-canary'] })
    })
    try {
      await runPost()
    } finally {
      restore()
    }
    expect(canary()).toBeDefined()
  })

  it('keeps the canaries when rollback-on-failure is false', async () => {
    const restore = asPostStep(
      shop,
      { run: JSON.stringify({ applied: ['shop-web-canary'] }) },
      { 'rollback-on-failure': 'false' }
    )
    try {
      await runPost()
    } finally {
      restore()
    }
    expect(canary()).toBeDefined()
  })

  it('marks the GitHub deployment of a killed main step failed', async () => {
    const github = await startGitHubApi()
    try {
      const octokit = githubClient(
        github.token,
        { apiUrl: github.url, viaProxy: false },
        new MemoryLogger()
      )
      const repo = { owner: 'acme', repo: 'shop' }
      const request = { ...repo, ref: 'abcdef1', environment: 'production', description: 'deploy' }
      const id = await startDeployment(octokit, request, new MemoryLogger())
      const restore = asPostStep(
        shop,
        { run: JSON.stringify({ applied: [], promoting: [], deployment: { ...repo, id } }) },
        { 'github-token': github.token }
      )
      process.env.GITHUB_API_URL = github.url
      try {
        await runPost()
      } finally {
        delete process.env.GITHUB_API_URL
        restore()
      }
      const states = github.state.statuses.filter(s => s.deployment_id === id).map(s => s.state)
      expect(states).toEqual(['failure'])
    } finally {
      await github.stop()
    }
  })
})
