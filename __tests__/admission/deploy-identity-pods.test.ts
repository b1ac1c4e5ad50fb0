/**
 * The pods the deploy identity can make, under canary-deploy-cannot-promote: every object it may
 * create with a pod template is judged; a canary's pods never carry track: stable; a Job is a
 * migration Job, whose pods carry none of the labels a Service routes on (app, track, release); no
 * pod runs as one of the action's own service accounts, whose tokens it would be handed; a
 * Deployment's pods carry no release label but the Deployment's own name, so none joins the Service
 * of the live rainbow release.
 */
import type { V1Deployment, V1Job } from '@kubernetes/client-node'
import { migrationJobFromStable, type Release } from '../../src/release/render.js'
import { rainbowWorkload } from '../../src/release/workloads/rainbow.js'
import { readSettings } from '../../src/settings.js'
import { NEW_DIGEST, NEW_IMAGE, stableDeployment } from '../commands/fixture.js'
import type { RbacRole } from '../harness/cluster.js'
import { asDeployer, canary, json, refusal, request, TRACK, type Json } from './fixtures.js'
import { documented } from './policy.js'

const RELEASE: Release = {
  app: 'shop',
  version: 'v2',
  imageRef: NEW_IMAGE,
  digest: NEW_DIGEST,
  source: 'acme/shop@abc run:7'
}
const MIGRATION = { command: ['bin/rails', 'db:migrate'], timeoutMs: 600_000, backoffLimit: 0 }

const migrationJob = (stable: V1Deployment = stableDeployment('shop-web')): Json =>
  json(migrationJobFromStable(stable, RELEASE, { name: 'shop-migrate-v2', ...MIGRATION }))

/** A Job with these pod labels, as anyone could write it. */
function jobWithPods(labels: Record<string, string>): Json {
  const job = migrationJob() as unknown as V1Job
  job.spec!.template.metadata!.labels = labels
  return job as unknown as Json
}

describe('canary-deploy-cannot-promote judges every pod template the deploy Role can write', () => {
  /** Every resource whose objects carry a pod template or are pods. */
  const POD_MAKERS = [
    'pods',
    'podtemplates',
    'replicationcontrollers',
    'deployments',
    'replicasets',
    'statefulsets',
    'daemonsets',
    'jobs',
    'cronjobs'
  ]
  const role = documented<RbacRole & { metadata: { name: string } }>('Role').find(
    r => r.metadata.name === 'canary-deploy'
  )
  const writable = (role?.rules ?? []).flatMap(rule =>
    (rule.resources ?? []).filter(
      resource =>
        POD_MAKERS.includes(resource) &&
        rule.verbs.some(verb => ['create', 'patch', 'update', '*'].includes(verb))
    )
  )

  it('finds Deployments and Jobs among what the Role lets it write', () => {
    expect(new Set(writable)).toEqual(new Set(['deployments', 'jobs']))
  })

  test.each(writable)('judges a create of %s', resource => {
    const decision = asDeployer(request('CREATE', resource, { new: { metadata: { name: 'x' } } }))
    expect(decision.matched).toBe(true)
  })
})

describe('migration Jobs of the deploy identity', () => {
  it('creates the migration Job rendered from stable', () => {
    expect(asDeployer(request('CREATE', 'jobs', { new: migrationJob() })).allowed).toBe(true)
  })

  it('creates the migration Job of a stable with more pod labels and a wider selector', () => {
    const stable = stableDeployment('shop-web')
    const labels = {
      app: 'shop-web',
      [TRACK]: 'stable',
      'app.kubernetes.io/name': 'shop',
      tier: 'web'
    }
    stable.spec!.template.metadata!.labels = labels
    stable.spec!.selector = { matchLabels: { app: 'shop-web', 'app.kubernetes.io/name': 'shop' } }
    expect(asDeployer(request('CREATE', 'jobs', { new: migrationJob(stable) })).allowed).toBe(true)
  })

  it('deletes a migration Job, as a retry does', () => {
    expect(asDeployer(request('DELETE', 'jobs', { old: migrationJob() })).allowed).toBe(true)
  })

  it('may not run a Job whose pods would join the stable Service (app and track: stable)', () => {
    const disguised = jobWithPods({ app: 'shop-web', [TRACK]: 'stable' })
    expect(refusal(asDeployer(request('CREATE', 'jobs', { new: disguised })))).toMatch(
      /^403 .*a Job's pods carry canary-deploy\.dev\/migration and none of app, canary-deploy\.dev\/track, canary-deploy\.dev\/release/
    )
  })

  it.each([
    ['app', { app: 'shop-web', 'canary-deploy.dev/migration': 'v2' }],
    ['a track', { [TRACK]: 'canary', 'canary-deploy.dev/migration': 'v2' }],
    ['a release', { 'canary-deploy.dev/release': 'abc123', 'canary-deploy.dev/migration': 'v2' }],
    ['no migration label', { tier: 'web' }]
  ])('may not run a Job whose pods carry %s', (_what, labels) => {
    expect(refusal(asDeployer(request('CREATE', 'jobs', { new: jobWithPods(labels) })))).toMatch(
      /^403 /
    )
  })

  it('may not delete a Job that is not a migration', () => {
    const nightly = jobWithPods({ job: 'nightly-report' })
    expect(refusal(asDeployer(request('DELETE', 'jobs', { old: nightly })))).toMatch(/^403 /)
  })
})

describe('canary Deployments of the deploy identity', () => {
  it('may run as many replicas as it likes: the policy bounds no count (SECURITY.md)', () => {
    const large = canary() as unknown as V1Deployment
    large.spec!.replicas = 500
    const decision = asDeployer(request('CREATE', 'deployments', { new: large as unknown as Json }))
    expect(decision.allowed).toBe(true)
  })
})

describe('the service account of the pods the deploy identity makes', () => {
  /** `object` (a Deployment or Job) with its pods run as `account`, in the field named `field`. */
  function runAs(object: Json, account: string, field = 'serviceAccountName'): Json {
    const out = json(object) as { spec: { template: { spec: Record<string, unknown> } } }
    out.spec.template.spec[field] = account
    return out as unknown as Json
  }

  it("runs a canary as the app's own service account", () => {
    const decision = asDeployer(request('CREATE', 'deployments', { new: runAs(canary(), 'shop') }))
    expect(decision.allowed).toBe(true)
  })

  it.each([
    ['deployments', 'canary-deploy-promote', 'serviceAccountName'],
    ['deployments', 'canary-deploy-promote', 'serviceAccount'],
    ['jobs', 'canary-deploy-promote', 'serviceAccountName'],
    ['deployments', 'canary-deploy', 'serviceAccountName'],
    ['jobs', 'canary-deploy-diff', 'serviceAccountName']
  ])('may not run %s as %s (%s): its pods would hold that token', (resource, account, field) => {
    const object = resource === 'jobs' ? migrationJob() : canary()
    const decision = asDeployer(request('CREATE', resource, { new: runAs(object, account, field) }))
    expect(refusal(decision)).toMatch(
      /^403 .*may not run pods as canary-deploy, canary-deploy-promote or canary-deploy-diff/
    )
  })
})

describe('the release label of the pods the deploy identity makes', () => {
  const RELEASE_LABEL = 'canary-deploy.dev/release'
  const settings = readSettings(
    name => ({ app: 'shop', image: 'ghcr.io/acme/shop', strategy: 'rainbow' })[name] ?? '',
    { GITHUB_WORKSPACE: process.cwd(), GITHUB_SHA: 'abcdef1234567890' }
  )
  /** shop-web's rainbow release as deploy renders it (nothing of that name there before). */
  const rainbowRelease = (): Json =>
    json(
      rainbowWorkload.render(
        stableDeployment('shop-web'),
        RELEASE,
        settings,
        new Map([['shop-web', { releases: [], takenIsLive: false }]])
      )
    )
  /** `deployment` with its pods (and selector) labelled `release`, named `name`. */
  function withRelease(deployment: Json, release: string, name?: string): Json {
    const out = json(deployment) as unknown as V1Deployment
    if (name) out.metadata!.name = name
    out.spec!.template.metadata!.labels![RELEASE_LABEL] = release
    out.spec!.selector.matchLabels![RELEASE_LABEL] = release
    return out as unknown as Json
  }
  const create = (object: Json) => asDeployer(request('CREATE', 'deployments', { new: object }))
  const update = (old: Json, object: Json) =>
    asDeployer(request('UPDATE', 'deployments', { old, new: object }))

  it('creates a rainbow release as deploy renders it: its pods carry its own name', () => {
    const release = rainbowRelease()
    expect((release.metadata as { name: string }).name).toBe('shop-web-abcdef')
    expect(create(release).allowed).toBe(true)
  })

  it("may not give a canary's pods the release label of another Deployment, the live one", () => {
    const joiner = withRelease(canary(), 'shop-web-123456')
    expect(refusal(create(joiner))).toMatch(
      /^403 .*no canary-deploy\.dev\/release label but the Deployment's own name/
    )
  })

  it('may not take a release id of v0.1.0 (<sha6>) by naming a Deployment after it', () => {
    const impostor = withRelease(rainbowRelease(), 'abc123', 'abc123')
    expect(refusal(create(impostor))).toMatch(/^403 /)
  })

  it("may not change a release's pods to another release label", () => {
    const release = rainbowRelease()
    expect(refusal(update(release, withRelease(release, 'shop-web-123456')))).toMatch(/^403 /)
  })

  it('updates and deletes a release v0.1.0 labelled <sha6>, which keeps its label', () => {
    const before = withRelease(rainbowRelease(), 'abcdef')
    const phased = json(before) as { metadata: { annotations: Record<string, string> } }
    phased.metadata.annotations['canary-deploy.dev/phase'] = 'smoke'
    expect(update(before, phased as unknown as Json).allowed).toBe(true)
    expect(asDeployer(request('DELETE', 'deployments', { old: before })).allowed).toBe(true)
  })
})
