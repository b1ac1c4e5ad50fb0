/**
 * The release plan's contract, under every strategy: diff shows exactly the writes deploy and then
 * promote make (per object, each command's verbs in order, against the test cluster's write log),
 * and each object as those commands leave it (the unified diff diff shows is the one between the
 * object before and the object after the commands), for a first release and for the next one, with
 * a migration and a manifest beside the Deployments. A new strategy is one more row of STRATEGIES.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isDeepStrictEqual } from 'node:util'
import { join } from 'node:path'
import type { KubernetesObject } from '@kubernetes/client-node'
import type { CommandResult } from '../../src/commands/types.js'
import { diffObject } from '../../src/k8s/object-diff.js'
import type { RequestRecord } from '../harness/cluster.js'
import { NAMESPACE, NEW_DIGEST, NEW_IMAGE, startShop, type Shop } from './fixture.js'
import { putGateway } from '../gateway/shop.js'
import { CANARY_HOST, putWebIngress, putWebService } from './strategies-fixture.js'

const V3_DIGEST = `sha256:${'3'.repeat(64)}`
const V3_IMAGE = `registry.example.com/shop@${V3_DIGEST}`
/** The kinds a release writes, by the resource name the write log gives them. */
const KINDS: Record<string, string> = {
  deployments: 'Deployment',
  services: 'Service',
  ingresses: 'Ingress',
  jobs: 'Job',
  configmaps: 'ConfigMap',
  httproutes: 'HTTPRoute'
}
const PHASE = 'canary-deploy.dev/phase'
const VERSION = 'canary-deploy.dev/version'
/** What diff shows for what is known only when someone promotes (commands/diff.ts). */
const PROMOTION_PLACEHOLDERS: Record<string, string> = {
  'canary-deploy.dev/approved-by': '<approver on promote>',
  'canary-deploy.dev/released-at': '<time of promotion>',
  'canary-deploy.dev/replaced-at': '<time of promotion>'
}

interface Release {
  version: string
  image: string
  digest: string
  sha: string
}
const RELEASES: Release[] = [
  { version: 'v2', image: NEW_IMAGE, digest: NEW_DIGEST, sha: 'abcdef1234567890' },
  { version: 'v3', image: V3_IMAGE, digest: V3_DIGEST, sha: '1234567890abcdef' }
]

const COMMON = ['ConfigMap shop/shop-config', 'Job shop/shop-migrate-v2']
const IN_PLACE = [
  'Deployment shop/shop-web',
  'Deployment shop/shop-web-canary',
  'Deployment shop/shop-worker',
  'Deployment shop/shop-worker-canary'
]
const CANARY_ROUTE = ['Ingress shop/shop-canary', 'Service shop/shop-canary']

/** Each strategy, and the objects its first release writes (the README's strategy tables). */
const STRATEGIES: [string, Record<string, string>, string[]][] = [
  [
    'gateway',
    { strategy: 'gateway', route: 'shop-web', steps: '10,50', 'step-interval': '1s' },
    [...COMMON, ...IN_PLACE, 'HTTPRoute shop/shop-web', 'Service shop/shop-canary']
  ],
  ['replicas', { strategy: 'replicas' }, [...COMMON, ...IN_PLACE]],
  [
    'ingress-host',
    { strategy: 'ingress-host', 'canary-host': CANARY_HOST },
    [...COMMON, ...IN_PLACE, ...CANARY_ROUTE]
  ],
  [
    'ingress-weight',
    { strategy: 'ingress-weight', steps: '10,50', 'step-interval': '1s' },
    [...COMMON, ...IN_PLACE, ...CANARY_ROUTE]
  ],
  [
    'rainbow',
    { strategy: 'rainbow' },
    [
      ...COMMON,
      'Deployment shop/shop-web-abcdef',
      'Deployment shop/shop-worker-abcdef',
      'Service shop/shop-web'
    ]
  ]
]

type Command = 'deploy' | 'promote'
/** Per object (`Kind namespace/name`): what each command does to it, in order: `deploy applies`. */
type Steps = Record<string, string[]>

/** An object as diff shows it: what each command does to it, and its unified diff ('' unchanged). */
interface Shown {
  steps: string[]
  text: string
}

const STEP = /(deploy|promote) (applies|patches|deletes) it/gi

/** Every object a diff report shows, changed or unchanged, with its steps and its diff. */
function shownBy(result: CommandResult): Record<string, Shown> {
  const shown: Record<string, Shown> = {}
  const steps = (text: string) => [...text.matchAll(STEP)].map(m => `${m[1].toLowerCase()} ${m[2]}`)
  for (const { title, body } of result.report.sections) {
    const changed = /^(\w+ [\w.-]+\/[\w.-]+): /.exec(title)
    if (changed) {
      const text = /^(`{3,})diff\n([\s\S]*)\n\1$/m.exec(body)?.[2] ?? ''
      shown[changed[1]] = { steps: steps(body.replace(/`{3,}diff[\s\S]*/, '')), text }
    }
    if (title.startsWith('Unchanged (')) {
      for (const line of body.split('\n')) {
        const [, label, rest] = /^- (\w+ [\w.-]+\/[\w.-]+)(.*)$/.exec(line) ?? []
        if (label) shown[label] = { steps: steps(rest), text: '' }
      }
    }
  }
  return shown
}

const VERB: Record<string, string> = {
  'application/apply-patch+yaml': 'applies',
  'application/merge-patch+json': 'patches'
}

/** A run's own bookkeeping, not a write of the plan: the phase annotation on a release. */
function isPhase(write: RequestRecord): boolean {
  if (write.contentType !== 'application/merge-patch+json') return false
  const patch = JSON.parse(write.body ?? '{}') as { metadata?: { annotations?: object } }
  const phase = (patch.metadata?.annotations as Record<string, string> | undefined)?.[PHASE]
  return isDeepStrictEqual(patch, { metadata: { annotations: { [PHASE]: phase } } })
}

/** What the command since the last reset wrote, per object (its lock aside). */
function writtenBy(shop: Shop, command: Command, into: Steps): void {
  for (const write of shop.cluster.writes()) {
    if (write.resource === 'leases' || isPhase(write)) continue
    const label = `${KINDS[write.resource] ?? write.resource} ${write.namespace}/${write.name}`
    const verb = write.verb === 'delete' ? 'deletes' : (VERB[write.contentType ?? ''] ?? write.verb)
    ;(into[label] ??= []).push(`${command} ${verb}`)
  }
}

/** Every object of the kinds a release writes, by `Kind namespace/name`. */
function objects(shop: Shop): Map<string, KubernetesObject> {
  const found = new Map<string, KubernetesObject>()
  for (const kind of Object.values(KINDS)) {
    // HTTPRoute is served only where the Gateway API CRDs are installed (the gateway plan).
    if (kind === 'HTTPRoute' && !shop.cluster.gateway) continue
    for (const object of shop.cluster.list<KubernetesObject>(kind, NAMESPACE))
      found.set(`${kind} ${NAMESPACE}/${object.metadata?.name}`, object)
  }
  return found
}

/**
 * The object as the commands left it, as diff can know it: the run's phase annotation as before
 * (bookkeeping, not the plan), and what only a promotion knows (who, when) as diff shows it
 * wherever this release's promotion wrote it.
 */
function asPlanned(
  after: KubernetesObject,
  before: KubernetesObject | undefined
): KubernetesObject {
  const annotations = { ...after.metadata?.annotations }
  const was = before?.metadata?.annotations ?? {}
  if (was[PHASE] === undefined) delete annotations[PHASE]
  else annotations[PHASE] = was[PHASE]
  const promotedAgain = annotations[VERSION] !== was[VERSION]
  for (const [key, placeholder] of Object.entries(PROMOTION_PLACEHOLDERS)) {
    const written = annotations[key] !== was[key] || promotedAgain
    if (annotations[key] !== undefined && written) annotations[key] = placeholder
  }
  return { ...after, metadata: { ...after.metadata, annotations } }
}

/**
 * What the server allocates when it creates an object, which its dry run allocates afresh: a Job's
 * uid (in its selector and pod labels), a Service's cluster IPs.
 */
const withoutAllocated = (text: string) =>
  text
    .replace(/(controller-uid: )[0-9a-f-]{36}/g, '$1<uid>')
    .replace(/(clusterIP: |- )\d+\.\d+\.\d+\.\d+/g, '$1<ip>')

describe.each(STRATEGIES)('the %s plan', (name, strategy, firstRelease) => {
  let shop: Shop
  let workspace: string

  beforeEach(async () => {
    shop = await startShop(undefined, undefined, { gatewayApi: name === 'gateway' })
    // Narrowed to the stable track: every strategy can take it (rainbow needs it).
    putWebService(shop)
    putWebIngress(shop)
    if (name === 'gateway') await putGateway(shop)
    workspace = mkdtempSync(join(tmpdir(), 'plan-contract-'))
    writeFileSync(
      join(workspace, 'config.yaml'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shop-config', namespace: NAMESPACE },
        data: { GREETING: 'hello' }
      })
    )
    await shop.cluster.settle()
  })
  afterEach(async () => {
    await shop.stop()
    rmSync(workspace, { recursive: true, force: true })
  })

  it('shows in diff each write deploy and promote then make, and each object as they leave it', async () => {
    const objectsWritten: string[][] = []
    for (const release of RELEASES) {
      const inputs = {
        ...strategy,
        version: release.version,
        image: release.image,
        manifests: 'config.yaml',
        'migrate-command': 'bin/migrate'
      }
      const env = {
        GITHUB_SHA: release.sha,
        GITHUB_REPOSITORY: 'acme/shop',
        GITHUB_WORKSPACE: workspace
      }
      const before = objects(shop)
      shop.cluster.resetRequests()
      const diff = await shop.run('diff', { ...inputs, comment: 'false' }, env)
      expect(diff.report.reason).toBeUndefined()
      expect(shop.cluster.writes()).toEqual([])

      const written: Steps = {}
      const deployed = await shop.run('deploy', inputs, env)
      expect(deployed.report.reason).toBeUndefined()
      writtenBy(shop, 'deploy', written)
      const afterDeploy = objects(shop)
      shop.cluster.resetRequests()
      const promoted = await shop.run(
        'promote',
        { ...inputs, approve: 'true', digest: release.digest },
        env
      )
      expect(promoted.report.reason).toBeUndefined()
      writtenBy(shop, 'promote', written)
      const afterPromote = objects(shop)

      const shown = shownBy(diff)
      const steps = Object.fromEntries(Object.entries(shown).map(([label, s]) => [label, s.steps]))
      expect({ release: release.version, steps }).toEqual({
        release: release.version,
        steps: written
      })
      for (const [label, { text }] of Object.entries(shown)) {
        // Deleted by promote (a canary): shown as it lives until then.
        const last = afterPromote.get(label) ?? afterDeploy.get(label)
        const was = before.get(label)
        let planned = last && asPlanned(last, was)
        // Put back as it was by promote (the user's route): diff shows it as deploy leaves it.
        const deployed = afterDeploy.get(label)
        if (diffObject(label, was, planned).kind === 'unchanged' && deployed)
          planned = asPlanned(deployed, was)
        expect({ object: label, diff: withoutAllocated(text) }).toEqual({
          object: label,
          diff: withoutAllocated(diffObject(label, was, planned).text.trimEnd())
        })
      }
      objectsWritten.push(Object.keys(written).sort())
    }
    expect(objectsWritten[0]).toEqual([...firstRelease].sort())
  }, 90_000)
})

describe('the migration in the plan', () => {
  const MIGRATE = { 'migrate-command': 'bin/migrate' }
  let shop: Shop
  beforeEach(async () => {
    shop = await startShop()
  })
  afterEach(() => shop.stop())

  /** The Jobs a diff shows, and then the Jobs the deploy after it writes. */
  async function diffThenDeploy(): Promise<{ shown: string[]; written: string[] }> {
    shop.cluster.resetRequests()
    const diff = await shop.run('diff', { ...MIGRATE, comment: 'false' })
    expect(diff.report.reason).toBeUndefined()
    const deployed = await shop.run('deploy', MIGRATE)
    expect(deployed.report.reason).toBeUndefined()
    const written: Steps = {}
    writtenBy(shop, 'deploy', written)
    const jobs = (labels: string[]) => labels.filter(label => label.startsWith('Job '))
    return { shown: jobs(Object.keys(shownBy(diff))), written: jobs(Object.keys(written)) }
  }

  it('shows no Job, and deploy writes none, once stable runs the version and its Job is gone', async () => {
    expect((await shop.run('deploy', MIGRATE)).report.status).toBe('success')
    const promoted = await shop.run('promote', { approve: 'true', digest: NEW_DIGEST })
    expect(promoted.report.status).toBe('success')
    shop.cluster.remove('Job', NAMESPACE, 'shop-migrate-v2')
    expect(await diffThenDeploy()).toEqual({ shown: [], written: [] })
  })

  it('shows the retry that deploy then creates, after the first attempt failed', async () => {
    shop.cluster.kubelet.behave({ pod: /migrate-v2-/ }, { kind: 'fail', logs: ['boom'] })
    expect((await shop.run('deploy', MIGRATE)).report.status).toBe('failure')
    shop.cluster.kubelet.behave({ pod: /migrate-v2-2-/ }, { kind: 'succeed' })
    expect(await diffThenDeploy()).toEqual({
      shown: ['Job shop/shop-migrate-v2-2'],
      written: ['Job shop/shop-migrate-v2-2']
    })
  })
})
