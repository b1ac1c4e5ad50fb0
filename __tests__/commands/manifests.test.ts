/** A release defined by the manifests input: deploy derives from them, promote makes them stable. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node'
import { stringify } from 'yaml'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'
import {
  NAMESPACE,
  NEW_DIGEST,
  NEW_IMAGE,
  STABLE_IMAGE,
  stableDeployment,
  startShop,
  type Shop
} from './fixture.js'

let shop: Shop
let github: GitHubApi
let workspace: string

function writeManifests(): void {
  const web = stableDeployment('shop-web')
  web.spec!.template.spec!.containers[0].env = [
    { name: 'APP_VERSION', value: 'v1' },
    { name: 'FEATURE_CHECKOUT', value: 'on' }
  ]
  const config: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'shop-config', namespace: NAMESPACE },
    data: { GREETING: 'hello from v2' }
  }
  writeFileSync(join(workspace, 'release.yaml'), [web, config].map(o => stringify(o)).join('---\n'))
}

const env = () => ({
  GITHUB_WORKSPACE: workspace,
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_SHA: 'abcdef1234567',
  GITHUB_ACTOR: 'maintainer',
  GITHUB_API_URL: github.url
})
const deployment = (name: string) => shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, name)
const envNames = (name: string) =>
  deployment(name)?.spec?.template.spec?.containers[0].env?.map(e => e.name) ?? []

beforeEach(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'manifests-ws-'))
  writeManifests()
  shop = await startShop()
  github = await startGitHubApi({ permissions: { maintainer: 'write' } })
  const deployed = await shop.run('deploy', { manifests: 'release.yaml' }, env())
  expect(deployed.report.status).toBe('success')
})
afterEach(async () => {
  await shop.stop()
  await github.stop()
  rmSync(workspace, { recursive: true, force: true })
})

const promote = (inputs: Record<string, string> = {}) =>
  shop.run(
    'promote',
    {
      manifests: 'release.yaml',
      approve: 'true',
      digest: NEW_DIGEST,
      'github-token': github.token,
      ...inputs
    },
    env()
  )

describe('a release defined by manifests', () => {
  it('deploys the canary from the manifest, not from the live Deployment', () => {
    expect(envNames('shop-web-canary')).toContain('FEATURE_CHECKOUT')
    expect(envNames('shop-web')).not.toContain('FEATURE_CHECKOUT')
  })

  it('writes nothing else of the manifests before promotion', () => {
    expect(shop.cluster.get('ConfigMap', NAMESPACE, 'shop-config')).toBeUndefined()
  })

  it('promotes the manifests: their objects applied, the stable Deployment as they define it', async () => {
    const result = await promote()
    expect(result.report.status).toBe('success')
    expect(shop.cluster.get<V1ConfigMap>('ConfigMap', NAMESPACE, 'shop-config')?.data).toEqual({
      GREETING: 'hello from v2'
    })
    expect(envNames('shop-web')).toContain('FEATURE_CHECKOUT')
    expect(deployment('shop-web')?.spec?.template.spec?.containers[0].image).toBe(NEW_IMAGE)
  })

  it('takes the manifest objects back when the promotion fails', async () => {
    shop.cluster.kubelet.behave(
      { pod: /^shop-worker-(?!canary)/, image: NEW_IMAGE },
      { kind: 'crashloop' }
    )
    const result = await promote()
    expect(result.report.status).toBe('failure')
    expect(shop.cluster.get('ConfigMap', NAMESPACE, 'shop-config')).toBeUndefined()
    expect(deployment('shop-web')?.spec?.template.spec?.containers[0].image).toBe(STABLE_IMAGE)
    expect(envNames('shop-web')).not.toContain('FEATURE_CHECKOUT')
  })

  it('applies a manifest object this identity may write but not read, saying it cannot be put back', async () => {
    const everythingElse = [
      'deployments',
      'replicasets',
      'pods',
      'pods/log',
      'pods/proxy',
      'events',
      'jobs',
      'services',
      'ingresses',
      'leases'
    ]
    shop.cluster.enforceRole({
      metadata: { name: 'writes-configmaps-blind', namespace: NAMESPACE },
      rules: [
        { apiGroups: ['*'], resources: everythingElse, verbs: ['*'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'patch'] }
      ]
    })
    const promoted = await promote()
    expect(promoted.report.status).toBe('success')
    expect(shop.cluster.get('ConfigMap', NAMESPACE, 'shop-config')).toBeDefined()

    shop.cluster.enforceRole(undefined)
    expect(
      (await shop.run('deploy', { manifests: 'release.yaml', version: 'v3' }, env())).report.status
    ).toBe('success')
    shop.cluster.kubelet.behave(
      { pod: /^shop-worker-(?!canary)/, image: NEW_IMAGE },
      { kind: 'crashloop' }
    )
    shop.cluster.enforceRole({
      metadata: { name: 'writes-configmaps-blind', namespace: NAMESPACE },
      rules: [
        { apiGroups: ['*'], resources: everythingElse, verbs: ['*'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'patch'] }
      ]
    })
    const failed = await promote({ version: 'v3' })
    expect(failed.report.status).toBe('failure')
    const notRestored = failed.report.sections.find(s => s.title === 'NOT restored: needs a person')
    expect(notRestored?.body).toContain(
      'ConfigMap shop/shop-config: its earlier state is not readable by this identity'
    )
  }, 60_000)
})
