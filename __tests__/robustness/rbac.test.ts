/**
 * The least-privilege Roles of docs/rbac.yaml are enough, and only just: every command runs under
 * its documented Role on a test cluster that enforces RBAC, and a Role missing one verb fails the
 * command with a message that names the verb, the resource and the namespace.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { KubernetesObject, V1Service } from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'
import type { RbacRole } from '../harness/cluster.js'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'
import { NAMESPACE, NEW_DIGEST, startShop, type Shop } from '../commands/fixture.js'
import { CANARY_HOST, putWebIngress, putWebService } from '../commands/strategies-fixture.js'
import { startAdmissionProxy, type AdmissionProxy } from '../admission/admission-proxy.js'
import {
  GATEWAY,
  gatewayExampleFiles,
  liveRoute,
  ROUTES,
  startGatewayShop
} from '../gateway/shop.js'
import { localBackend } from '../harness/objects.js'
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.js'

const MIGRATE = '["bin/rails", "db:migrate"]'

/** The Role named `name` in docs/rbac.yaml, as kubectl apply would read it. */
function documentedRole(name: string): RbacRole {
  const text = readFileSync(join(process.cwd(), 'docs/rbac.yaml'), 'utf8')
  const docs = parseAllDocuments(text).map(d => d.toJS() as Record<string, unknown> | null)
  const role = docs.find(
    d => d?.kind === 'Role' && (d.metadata as { name?: string } | undefined)?.name === name
  )
  if (!role) throw new Error(`docs/rbac.yaml has no Role ${name}`)
  return role as RbacRole
}

/** The Role without one verb on one resource (the rule stays, with its other verbs). */
function without(role: RbacRole, resource: string, verb: string): RbacRole {
  let found = false
  const rules = (role.rules ?? []).map(rule => {
    if (!rule.resources?.includes(resource) || !rule.verbs.includes(verb)) return rule
    found = true
    return { ...rule, verbs: rule.verbs.filter(v => v !== verb) }
  })
  if (!found) throw new Error(`the Role grants no ${verb} on ${resource} to take away`)
  return { ...role, rules }
}

const DEPLOYER = documentedRole('canary-deploy')
const DIFF = documentedRole('canary-deploy-diff')
const GITHUB_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_SHA: 'abcdef1234567',
  GITHUB_RUN_ID: '7',
  GITHUB_ACTOR: 'maintainer',
  GITHUB_SERVER_URL: 'https://github.example.com'
}

let shop: Shop
let github: GitHubApi

beforeEach(async () => {
  shop = await startShop()
  github = await startGitHubApi({ permissions: { maintainer: 'write' } })
})
afterEach(async () => {
  await shop.stop()
  await github.stop()
})

const forbiddenAnswers = () => shop.cluster.requests.filter(r => r.status === 403)
const deploy = (inputs: Record<string, string> = {}) =>
  shop.run('deploy', { 'migrate-command': MIGRATE, ...inputs })
const promote = () =>
  shop.run(
    'promote',
    { approve: 'true', version: 'v2', digest: NEW_DIGEST, 'github-token': github.token },
    { ...GITHUB_ENV, GITHUB_API_URL: github.url }
  )

describe('the test cluster enforces a Role', () => {
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${shop.cluster.url}${path}`, {
      ...init,
      headers: { Authorization: 'Bearer test-token', ...init.headers }
    })

  beforeEach(() => shop.cluster.enforceRole(DIFF))

  it('answers a verb the Role lacks with 403 Forbidden, worded as kube-apiserver words it', async () => {
    const res = await call(`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/shop-web`, {
      method: 'DELETE'
    })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'deployments.apps "shop-web" is forbidden: User "system:serviceaccount:shop:canary-deploy-diff" cannot delete resource "deployments" in API group "apps" in the namespace "shop"',
      reason: 'Forbidden',
      details: { name: 'shop-web', group: 'apps', kind: 'deployments' },
      code: 403
    })
  })

  it('authorizes a dry-run request as the write it is', async () => {
    const body = JSON.stringify({ metadata: { labels: { x: 'y' } } })
    const patch = (dryRun: string) =>
      call(`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/shop-web${dryRun}`, {
        method: 'PATCH',
        body,
        headers: { 'Content-Type': 'application/merge-patch+json' }
      })
    expect((await patch('?dryRun=All')).status).toBe(200)
    shop.cluster.enforceRole(without(DIFF, 'deployments', 'patch'))
    expect((await patch('?dryRun=All')).status).toBe(403)
  })

  it('authorizes a server-side apply that would create the object as create too', async () => {
    const apply = (name: string) =>
      call(`/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${name}?fieldManager=t`, {
        method: 'PATCH',
        body: JSON.stringify({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name }
        }),
        headers: { 'Content-Type': 'application/apply-patch+yaml' }
      })
    const rules = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['patch'] }]
    shop.cluster.enforceRole({ metadata: { name: 'patcher', namespace: NAMESPACE }, rules })
    const denied = await apply('new-lease')
    expect(denied.status).toBe(403)
    expect(((await denied.json()) as { message: string }).message).toBe(
      'leases.coordination.k8s.io "new-lease" is forbidden: '
    )
    rules[0].verbs.push('create')
    expect((await apply('new-lease')).status).toBe(201)
    rules[0].verbs.splice(rules[0].verbs.indexOf('create'), 1)
    expect((await apply('new-lease')).status).toBe(200)
  })

  it('tells list, watch and subresources apart', async () => {
    const pods = `/api/v1/namespaces/${NAMESPACE}/pods`
    expect((await call(pods)).status).toBe(200)
    const watch = await call(`${pods}?watch=true`)
    expect(watch.status).toBe(403)
    expect(((await watch.json()) as { message: string }).message).toContain('cannot watch')
    const [pod] = shop.cluster.list<{ metadata: { name: string } }>('Pod', NAMESPACE)
    const log = await call(`${pods}/${pod.metadata.name}/log`)
    expect(((await log.json()) as { message: string }).message).toContain(
      'cannot get resource "pods/log"'
    )
  })

  it('grants nothing outside the Role namespace', async () => {
    const res = await call('/api/v1/namespaces/default/pods')
    expect(res.status).toBe(403)
    expect(((await res.json()) as { message: string }).message).toContain(
      'in the namespace "default"'
    )
  })
})

describe('docs/rbac.yaml canary-deploy Role', () => {
  beforeEach(() => shop.cluster.enforceRole(DEPLOYER))

  it('is enough to deploy, with a migration and smoke checks', async () => {
    const result = await deploy()
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    expect(forbiddenAnswers()).toEqual([])
  })

  it('is enough to promote with a GitHub approval', async () => {
    expect((await deploy()).report.status).toBe('success')
    const result = await promote()
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    expect(forbiddenAnswers()).toEqual([])
  })

  it('is enough to roll back', async () => {
    expect((await deploy()).report.status).toBe('success')
    const result = await shop.run('rollback')
    expect(result.report.status).toBe('success')
    expect(shop.cluster.get('Deployment', NAMESPACE, 'shop-web-canary')).toBeUndefined()
    expect(forbiddenAnswers()).toEqual([])
  })

  it('is enough for a deploy that fails and removes its canary', async () => {
    shop.canaryHealth.status = 500
    const result = await deploy()
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('500')
    expect(shop.cluster.get('Deployment', NAMESPACE, 'shop-web-canary')).toBeUndefined()
    expect(forbiddenAnswers()).toEqual([])
  })

  it('without create on deployments, deploy fails naming the verb, resource and namespace', async () => {
    const before = shop.stableSpecs()
    shop.cluster.enforceRole(without(DEPLOYER, 'deployments', 'create'))
    const result = await deploy()
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('forbidden')
    // The canary is created by server-side apply: a PATCH the server also authorizes as create.
    expect(result.report.reason).toMatch(
      /cannot patch \(server-side apply\) deployments in namespace shop/
    )
    expect(result.report.reason).toContain('deployments.apps "shop-web-canary" is forbidden')
    expect(result.report.reason).not.toMatch(/\n|\bat .*\.js:\d+/)
    expect(shop.stableSpecs()).toBe(before)
  })

  it('without get on pods/proxy, the smoke check fails naming the verb, resource and namespace', async () => {
    shop.cluster.enforceRole(without(DEPLOYER, 'pods/proxy', 'get'))
    const result = await deploy()
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(/forbidden|403/i)
    expect(result.report.reason).toContain('pods/proxy')
    expect(result.report.reason).toContain('shop')
    expect(shop.cluster.get('Deployment', NAMESPACE, 'shop-web-canary')).toBeUndefined()
  })

  it('without delete on leases, the run still ends and says the lock was not released', async () => {
    shop.cluster.enforceRole(without(DEPLOYER, 'leases', 'delete'))
    const result = await deploy()
    expect(result.report.status).toBe('success')
    expect(result.logs.join('\n')).toMatch(
      /could not release the lock shop-canary-deploy.*forbidden: cannot delete leases in namespace shop/
    )
  })

  it('without patch on deployments, promote fails naming the verb and leaves stable as it was', async () => {
    expect((await deploy()).report.status).toBe('success')
    const before = shop.stableSpecs()
    shop.cluster.enforceRole(without(DEPLOYER, 'deployments', 'patch'))
    const result = await promote()
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(
      /forbidden: cannot patch \(server-side apply\) deployments in namespace shop/
    )
    expect(result.report.reason).toContain('cannot patch resource "deployments"')
    expect(shop.stableSpecs()).toBe(before)
  })
})

describe('docs/rbac.yaml canary-deploy-diff Role', () => {
  it('is enough to diff, and writes nothing', async () => {
    shop.cluster.enforceRole(DIFF)
    shop.cluster.resetRequests()
    const result = await shop.run('diff', { comment: 'false' })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    expect(forbiddenAnswers()).toEqual([])
    expect(shop.cluster.writes()).toEqual([])
  })

  it('without patch on deployments, diff says which objects were refused, and why', async () => {
    shop.cluster.enforceRole(without(DIFF, 'deployments', 'patch'))
    const result = await shop.run('diff', { comment: 'false' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('refused by the cluster: Deployment shop/shop-web')
    expect(JSON.stringify(result.report)).toContain(
      'cannot patch resource \\"deployments\\" in API group \\"apps\\" in the namespace \\"shop\\"'
    )
  })

  it('without create on deployments, diff cannot show the new canary and says so', async () => {
    shop.cluster.enforceRole(without(DIFF, 'deployments', 'create'))
    const result = await shop.run('diff', { comment: 'false' })
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain('Deployment shop/shop-web-canary')
    expect(JSON.stringify(result.report)).toContain(
      'deployments.apps \\"shop-web-canary\\" is forbidden'
    )
  })

  it('refuses deploy: the diff identity cannot write', async () => {
    shop.cluster.enforceRole(DIFF)
    shop.cluster.resetRequests()
    const result = await deploy()
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(/forbidden: cannot \w+ \w+ in namespace shop/)
    expect(shop.cluster.writes().filter(w => w.status < 300)).toEqual([])
  })
})

describe('the deploy identity: Role canary-deploy under the canary-deploy-cannot-promote policy', () => {
  const DEPLOY_USER = `system:serviceaccount:${NAMESPACE}:canary-deploy`
  const PROMOTE_USER = `system:serviceaccount:${NAMESPACE}:canary-deploy-promote`
  let proxies: AdmissionProxy[] = []

  /** The cluster as this identity meets it: its Role, and the policies judging its writes. */
  async function as(user: string): Promise<AdmissionProxy> {
    shop.cluster.enforceRole(DEPLOYER, user)
    const proxy = await startAdmissionProxy(shop.cluster, user)
    proxies.push(proxy)
    return proxy
  }
  afterEach(async () => {
    await Promise.all(proxies.map(p => p.stop()))
    proxies = []
  })

  const judgedDeployments = (proxy: AdmissionProxy) =>
    proxy.judged.filter(j => j.path.includes('/deployments'))

  /** POSTs `object` to the namespace's `collection` as `identity`, as any client with its token could. */
  async function postAs(
    identity: AdmissionProxy,
    collection: string,
    object: object
  ): Promise<{ status: number; message: string }> {
    const server = /server: (\S+)/.exec(identity.kubeconfig)?.[1]
    const res = await fetch(`${server}${collection.replace('{ns}', NAMESPACE)}`, {
      method: 'POST',
      body: JSON.stringify(object),
      headers: { Authorization: 'Bearer test-token', 'Content-Type': 'application/json' }
    })
    return { status: res.status, message: ((await res.json()) as { message: string }).message }
  }

  it('deploys, with a migration and smoke checks, and nothing is refused', async () => {
    const deployer = await as(DEPLOY_USER)
    const result = await deploy({ kubeconfig: deployer.kubeconfig })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    expect(deployer.denials).toEqual([])
    // The canaries' creation and their phase annotations were judged, and passed.
    expect(judgedDeployments(deployer).length).toBeGreaterThanOrEqual(4)
  })

  it('removes its canary after a failed smoke check', async () => {
    const deployer = await as(DEPLOY_USER)
    shop.canaryHealth.status = 500
    const result = await deploy({ kubeconfig: deployer.kubeconfig })
    expect(result.report.status).toBe('failure')
    expect(shop.cluster.get('Deployment', NAMESPACE, 'shop-web-canary')).toBeUndefined()
    expect(deployer.denials).toEqual([])
    expect(judgedDeployments(deployer).some(j => j.operation === 'DELETE')).toBe(true)
  })

  it('cannot promote: the API server refuses the write to stable, and stable stays as it was', async () => {
    const deployer = await as(DEPLOY_USER)
    expect((await deploy({ kubeconfig: deployer.kubeconfig })).report.status).toBe('success')
    const before = shop.stableSpecs()
    const result = await shop.run(
      'promote',
      { approve: 'true', version: 'v2', digest: NEW_DIGEST, kubeconfig: deployer.kubeconfig },
      {}
    )
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toContain(
      "ValidatingAdmissionPolicy 'canary-deploy-cannot-promote' with binding 'canary-deploy-cannot-promote' denied request"
    )
    expect(deployer.denials.length).toBeGreaterThan(0)
    expect(shop.stableSpecs()).toBe(before)
  })

  it('leaves promotion to the promote identity, which the policy does not judge', async () => {
    const deployer = await as(DEPLOY_USER)
    expect((await deploy({ kubeconfig: deployer.kubeconfig })).report.status).toBe('success')
    const promoter = await as(PROMOTE_USER)
    const result = await shop.run('promote', {
      approve: 'true',
      version: 'v2',
      digest: NEW_DIGEST,
      kubeconfig: promoter.kubeconfig
    })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    expect(promoter.judged).toEqual([])
  })

  it('deploys with ingress-host: its canary Service and Ingress pass, the app ones are not written', async () => {
    putWebService(shop)
    putWebIngress(shop)
    const deployer = await as(DEPLOY_USER)
    const result = await deploy({
      kubeconfig: deployer.kubeconfig,
      strategy: 'ingress-host',
      'canary-host': CANARY_HOST
    })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    expect(deployer.denials).toEqual([])
    const paths = deployer.judged.map(j => j.path)
    expect(paths).toContain(`/api/v1/namespaces/${NAMESPACE}/services/shop-canary`)
    expect(paths).toContain(
      `/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/ingresses/shop-canary`
    )
  })

  it('deploys with ingress-weight: its canary Service and weighted Ingress pass', async () => {
    putWebService(shop)
    putWebIngress(shop)
    const deployer = await as(DEPLOY_USER)
    const result = await deploy({
      kubeconfig: deployer.kubeconfig,
      strategy: 'ingress-weight',
      'canary-weight': '20'
    })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    expect(deployer.denials).toEqual([])
    expect(deployer.judged.map(j => j.path)).toContain(
      `/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/ingresses/shop-canary`
    )
  })

  it('deploys with gateway: its canary Service and each step of the route, header rule too, pass', async () => {
    await shop.stop()
    shop = await startGatewayShop()
    const deployer = await as(DEPLOY_USER)
    const result = await deploy({
      kubeconfig: deployer.kubeconfig,
      ...GATEWAY,
      steps: '10,50',
      'step-interval': '1s',
      'canary-header': 'X-Canary: always'
    })
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('success')
    expect(deployer.denials).toEqual([])
    const routePatches = deployer.judged.filter(j => j.path.endsWith('/httproutes/shop-web'))
    expect(routePatches.map(j => j.operation)).toEqual(['UPDATE', 'UPDATE'])
  }, 30_000)

  it('cannot send the route anywhere but the canary: a stable backend of its own is refused', async () => {
    await shop.stop()
    shop = await startGatewayShop()
    const deployer = await as(DEPLOY_USER)
    const server = /server: (\S+)/.exec(deployer.kubeconfig)?.[1]
    const route = liveRoute(shop)
    const rules = [{ ...route.spec?.rules?.[0], backendRefs: [{ name: 'shop-admin', port: 80 }] }]
    const res = await fetch(`${server}${ROUTES}/shop-web`, {
      method: 'PATCH',
      body: JSON.stringify({ spec: { rules } }),
      headers: {
        Authorization: 'Bearer test-token',
        'Content-Type': 'application/merge-patch+json'
      }
    })
    expect(res.status).toBe(403)
    expect(liveRoute(shop).spec?.rules).toEqual(route.spec?.rules)
  }, 30_000)

  it('cannot run a Job whose pods the stable Service would select', async () => {
    putWebService(shop)
    const deployer = await as(DEPLOY_USER)
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'shop-web-stand-in' },
      spec: {
        template: {
          metadata: { labels: { app: 'shop-web', 'canary-deploy.dev/track': 'stable' } },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'app', image: 'registry.example.com/evil:1' }]
          }
        }
      }
    }
    const answer = await postAs(deployer, '/apis/batch/v1/namespaces/{ns}/jobs', job)
    expect(answer.status).toBe(403)
    expect(answer.message).toContain(
      'canary-deploy (the deploy identity) writes only migration Jobs'
    )
    expect(shop.cluster.get('Job', NAMESPACE, 'shop-web-stand-in')).toBeUndefined()
  })

  /** rainbow, for the commit abcdef: the Service narrowed to the stable track (README, rainbow). */
  const RAINBOW_SELECTOR = { app: 'shop-web', 'canary-deploy.dev/track': 'stable' }
  const RAINBOW_ENV = { GITHUB_SHA: 'abcdef1234567890', GITHUB_REPOSITORY: 'acme/shop' }
  const rainbowRun = (command: string, identity: AdmissionProxy, inputs = {}) =>
    shop.run(
      command,
      { strategy: 'rainbow', kubeconfig: identity.kubeconfig, ...inputs },
      RAINBOW_ENV
    )
  const rainbowPromote = (identity: AdmissionProxy) =>
    rainbowRun('promote', identity, { approve: 'true', version: 'v2', digest: NEW_DIGEST })

  it("deploys a rainbow release but cannot move the Service's selector to it", async () => {
    putWebService(shop, RAINBOW_SELECTOR)
    const deployer = await as(DEPLOY_USER)
    const deployed = await rainbowRun('deploy', deployer)
    expect(deployed.report.reason).toBeUndefined()
    expect(deployer.denials).toEqual([])
    const promoted = await rainbowPromote(deployer)
    expect(promoted.report.status).toBe('failure')
    // Promotion first marks the release stable: the policy refuses that, before any selector moves.
    expect(deployer.denials.map(d => d.path)).toContain(
      `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/shop-web-abcdef`
    )
    const service = shop.cluster.get<{ spec: { selector: Record<string, string> } }>(
      'Service',
      NAMESPACE,
      'shop-web'
    )
    expect(service?.spec.selector).toEqual(RAINBOW_SELECTOR)
  })

  it("cannot start pods the live rainbow release's Service selects", async () => {
    putWebService(shop, RAINBOW_SELECTOR)
    expect((await rainbowRun('deploy', await as(DEPLOY_USER))).report.reason).toBeUndefined()
    expect((await rainbowPromote(await as(PROMOTE_USER))).report.reason).toBeUndefined()
    const deployer = await as(DEPLOY_USER)
    const joiner = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop-web-joiner', labels: { 'canary-deploy.dev/track': 'canary' } },
      spec: {
        selector: {
          matchLabels: { app: 'shop-web', 'canary-deploy.dev/release': 'shop-web-abcdef' }
        },
        template: {
          metadata: { labels: { app: 'shop-web', 'canary-deploy.dev/release': 'shop-web-abcdef' } },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/evil:1' }] }
        }
      }
    }
    const answer = await postAs(deployer, '/apis/apps/v1/namespaces/{ns}/deployments', joiner)
    expect(answer.status).toBe(403)
    expect(answer.message).toContain(
      "no canary-deploy.dev/release label but the Deployment's own name"
    )
    expect(shop.cluster.get('Deployment', NAMESPACE, 'shop-web-joiner')).toBeUndefined()
  })

  it('deploys again a rainbow release the promote identity made live: already live, nothing written', async () => {
    putWebService(shop, RAINBOW_SELECTOR)
    expect((await rainbowRun('deploy', await as(DEPLOY_USER))).report.reason).toBeUndefined()
    expect((await rainbowPromote(await as(PROMOTE_USER))).report.reason).toBeUndefined()
    const deployer = await as(DEPLOY_USER)
    const result = await rainbowRun('deploy', deployer)
    expect(result.report.reason).toBeUndefined()
    expect(result.report.status).toBe('no-op')
    expect(result.report.stages.find(s => s.name === 'canary')?.detail).toContain('already live')
    expect(deployer.denials).toEqual([])
    expect(judgedDeployments(deployer)).toEqual([])
  })
})

/**
 * examples/k8s as `kubectl apply -f examples/k8s` leaves it (the namespace is the cluster's); with
 * the gateway strategy, examples/k8s-gateway in place of its Service and Ingress (examples/README).
 */
function exampleObjects(strategy: string): KubernetesObject[] {
  const files = readdirSync(EXAMPLES)
    .filter(file => file.endsWith('.yaml') && file !== 'namespace.yaml')
    .filter(file => strategy !== 'gateway' || !['service.yaml', 'ingress.yaml'].includes(file))
    .map(file => join(EXAMPLES, file))
  return [...files, ...(strategy === 'gateway' ? gatewayExampleFiles() : [])]
    .flatMap(file => parseAllDocuments(readFileSync(file, 'utf8')))
    .map(doc => doc.toJS() as KubernetesObject)
}

const EXAMPLES = join(process.cwd(), 'examples/k8s')

/** The `manifests` input of the objects exampleObjects(strategy) holds. */
function exampleManifests(strategy: string): string {
  if (strategy !== 'gateway') return 'examples/k8s'
  const k8s = readdirSync(EXAMPLES).filter(
    f => f.endsWith('.yaml') && !/^(service|ingress)\./.test(f)
  )
  return [...k8s.map(f => `examples/k8s/${f}`), 'examples/k8s-gateway'].join('\n')
}
const V3_IMAGE = `registry.example.com/shop@sha256:${'3'.repeat(64)}`
const FIRST = { ...GITHUB_ENV, GITHUB_SHA: 'abcdef1234567' }
const SECOND = { ...GITHUB_ENV, GITHUB_SHA: '1234567abcdef' }

describe.each([
  ['replicas', { strategy: 'replicas' }],
  ['ingress-host', { strategy: 'ingress-host', 'canary-host': 'canary.example.com' }],
  ['ingress-weight', { strategy: 'ingress-weight', steps: '10,50', 'step-interval': '1s' }],
  ['rainbow', { strategy: 'rainbow' }],
  ['gateway', { ...GATEWAY, steps: '10,50', 'step-interval': '1s' }]
])(
  'examples/k8s with the %s strategy, under the identities of docs/rbac.yaml',
  (name, strategy) => {
    let example: Shop
    beforeEach(async () => {
      example = await startShop(['shop-web', 'shop-worker'], exampleObjects(name), {
        gatewayApi: name === 'gateway'
      })
      if (name === 'rainbow') {
        // The rainbow strategy needs the Service narrowed to the stable track (README, rainbow).
        const service = example.cluster.get<V1Service>('Service', NAMESPACE, 'shop-web')!
        service.spec!.selector = { ...service.spec!.selector, 'canary-deploy.dev/track': 'stable' }
        example.cluster.put(service)
      }
      await example.cluster.settle()
    })
    afterEach(() => example.stop())

    const forbidden = () => example.cluster.requests.filter(r => r.status === 403)
    let proxies: AdmissionProxy[] = []
    afterEach(async () => {
      await Promise.all(proxies.map(p => p.stop()))
      proxies = []
    })
    /** The cluster as this identity meets it: its Role, and the policies judging its writes. */
    async function as(user: string, role: RbacRole): Promise<AdmissionProxy> {
      example.cluster.enforceRole(role, user)
      const proxy = await startAdmissionProxy(example.cluster, user)
      proxies.push(proxy)
      return proxy
    }
    const run = (
      identity: AdmissionProxy,
      command: string,
      inputs: Record<string, string>,
      env: Record<string, string>
    ) =>
      example.run(
        command,
        { ...strategy, 'github-token': github.token, kubeconfig: identity.kubeconfig, ...inputs },
        { ...env, GITHUB_API_URL: github.url }
      )

    it('deploys as canary-deploy; promotes, rolls back and cleans up as canary-deploy-promote', async () => {
      const identities = {
        deploy: `system:serviceaccount:${NAMESPACE}:canary-deploy`,
        promote: `system:serviceaccount:${NAMESPACE}:canary-deploy-promote`
      }
      const steps: [
        keyof typeof identities,
        string,
        Record<string, string>,
        Record<string, string>
      ][] = [
        ['deploy', 'deploy', { 'migrate-command': MIGRATE }, FIRST],
        ['promote', 'promote', { approve: 'true', version: 'v2', digest: NEW_DIGEST }, FIRST],
        ['deploy', 'deploy', { version: 'v3', image: V3_IMAGE }, SECOND],
        ['promote', 'rollback', { version: 'v3' }, SECOND],
        ['promote', 'cleanup', {}, SECOND]
      ]
      for (const [identity, command, inputs, env] of steps) {
        const proxy = await as(identities[identity], DEPLOYER)
        const result = await run(proxy, command, inputs, env)
        expect({ command, reason: result.report.reason ?? '' }).toEqual({
          command,
          reason: expect.not.stringMatching(/forbidden|denied/i)
        })
        expect({ command, status: result.report.status }).toEqual({
          command,
          status: expect.stringMatching(/^(success|no-op)$/)
        })
        expect({ command, denials: proxy.denials }).toEqual({ command, denials: [] })
      }
      expect(forbidden()).toEqual([])
    }, 90_000)

    it('diffs the manifests under the canary-deploy-diff Role, the Secret reported as not readable', async () => {
      const differ = await as(`system:serviceaccount:${NAMESPACE}:canary-deploy-diff`, DIFF)
      const result = await run(
        differ,
        'diff',
        { manifests: exampleManifests(name), comment: 'false' },
        FIRST
      )
      expect(result.report.reason).toBeUndefined()
      expect(result.report.status).toBe('success')
      expect(example.cluster.writes()).toEqual([])
      const titles = result.report.sections.map(s => s.title)
      expect(titles).toContain('Secret shop/shop-secrets: not readable by this identity')
      // The ConfigMap is read and dry-run like any object of the release.
      expect(JSON.stringify(result.report.sections)).toContain('ConfigMap shop/shop-config')
      // A namespaced Role can grant nothing on the Namespace; Secrets are never granted; the
      // Gateway is the platform's (docs/rbac.yaml grants only kinds a release writes).
      const platform = name === 'gateway' ? ['Gateway shop/public'] : []
      expect(titles.filter(t => t.endsWith('not readable by this identity'))).toEqual(
        ['Namespace shop/shop', 'Secret shop/shop-secrets', ...platform].map(
          object => `${object}: not readable by this identity`
        )
      )
      // Only reads of what the Role does not grant were refused: the Secret, the Namespace (and
      // the Gateway).
      expect(
        forbidden()
          .map(r => `${r.verb} ${r.resource}`)
          .filter(r => !/^(get|list) (secrets|namespaces|gateways)$/.test(r))
      ).toEqual([])
    }, 60_000)
  }
)

describe('metric analysis through prometheus-service, under docs/rbac.yaml', () => {
  let prometheus: TestPrometheus
  beforeAll(async () => {
    prometheus = await startPrometheus()
  })
  afterAll(() => prometheus?.stop())
  beforeEach(() => {
    const port = Number(new URL(prometheus.url).port)
    for (const o of localBackend('prometheus', { namespace: NAMESPACE, port, servicePort: 9090 }))
      shop.cluster.put(o as never)
  })

  // No app is scraped: every round is inconclusive, which is enough to see who may do what.
  const analysed = (kubeconfig?: string) =>
    deploy({
      analysis: 'error-rate',
      'analysis-interval': '1s',
      'analysis-rounds': '1',
      'prometheus-service': 'prometheus:9090',
      ...(kubeconfig ? { kubeconfig } : {})
    })
  const analysisFact = (result: Awaited<ReturnType<typeof deploy>>) =>
    result.report.facts.find(([key]) => key === 'metric analysis')?.[1]

  it('the canary-deploy Role is enough to query Prometheus and record the verdict', async () => {
    shop.cluster.enforceRole(DEPLOYER)
    const result = await analysed()
    expect(result.report.status).toBe('success')
    expect(analysisFact(result)).toBe(
      'inconclusive: error-rate was inconclusive in 1 of 1 round (inconclusive-limit 0): canary has 0 samples, fewer than min-samples 20'
    )
    expect(forbiddenAnswers()).toEqual([])
  })

  it('without get on services/proxy, the analysis says which permission it lacks', async () => {
    shop.cluster.enforceRole(without(DEPLOYER, 'services/proxy', 'get'))
    const result = await analysed()
    expect(analysisFact(result)).toMatch(/^inconclusive: error-rate never passed a round: canary: /)
    expect(analysisFact(result)).toContain(
      'services "prometheus:9090" is forbidden: User "system:serviceaccount:shop:canary-deploy" cannot get resource "services/proxy" in API group "" in the namespace "shop"'
    )
  })

  it('the deploy identity records the verdict on its canary, and the policy refuses nothing', async () => {
    const user = `system:serviceaccount:${NAMESPACE}:canary-deploy`
    shop.cluster.enforceRole(DEPLOYER, user)
    const deployer = await startAdmissionProxy(shop.cluster, user)
    try {
      const result = await analysed(deployer.kubeconfig)
      expect(result.report.status).toBe('success')
      expect(deployer.denials).toEqual([])
      const canary = shop.cluster.get<KubernetesObject>('Deployment', NAMESPACE, 'shop-web-canary')
      expect(canary?.metadata?.annotations?.['canary-deploy.dev/analysis']).toBe('inconclusive')
    } finally {
      await deployer.stop()
    }
  })
})
