import { deployment } from '../harness/objects.js'
import { apply, mergePatch, modify, read, remove, removeAll } from '../../src/k8s/objects.js'
import { connect } from '../../src/k8s/client.js'
import { KubeError } from '../../src/k8s/errors.js'
import { requestJson } from '../../src/k8s/rest.js'
import { MemoryLogger } from '../../src/logger.js'
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node'
import { NS, fixture, rejection, type Fixture } from './helpers.js'

describe('the object verbs against the test cluster', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture()
  })
  afterEach(async () => {
    await f.stop()
  })

  const web = (replicas = 2): V1Deployment =>
    deployment('web-canary', { namespace: NS, replicas, track: 'canary' })

  it('creates with server-side apply under the canary-deploy field manager', async () => {
    const stored = await apply(f.cluster, web())
    expect(stored.metadata?.uid).toBeDefined()
    const write = f.tc.writes()[0]
    expect([write.method, write.contentType, write.fieldManager]).toEqual([
      'PATCH',
      'application/apply-patch+yaml',
      'canary-deploy'
    ])
  })

  it('applies an object read back from the cluster as it is (server fields stripped)', async () => {
    await apply(f.cluster, web())
    const live = await read<V1Deployment>(f.cluster, { kind: 'Deployment', name: 'web-canary' })
    expect(live?.metadata?.resourceVersion).toBeDefined()
    const again = await apply(f.cluster, { ...live!, spec: { ...live!.spec!, replicas: 3 } })
    expect(again.spec?.replicas).toBe(3)
  })

  it('writes nothing on a dry run, and returns what the server would store', async () => {
    const result = await apply(f.cluster, web(), { dryRun: true })
    expect(result.metadata?.name).toBe('web-canary')
    expect(f.tc.writes()).toEqual([])
    expect(f.tc.get('Deployment', NS, 'web-canary')).toBeUndefined()
  })

  it('reports a conflict naming the manager that owns the field, and takes it over with force', async () => {
    await requestJson(
      f.cluster,
      {
        method: 'PATCH',
        path: `/apis/apps/v1/namespaces/${NS}/deployments/web-canary`,
        query: { fieldManager: 'helm' },
        contentType: 'application/apply-patch+yaml',
        body: web(5)
      },
      { verb: 'apply', resource: 'deployments' }
    )
    const err = await rejection(apply(f.cluster, web(2)))
    expect(err).toBeInstanceOf(KubeError)
    expect((err as KubeError).status).toBe(409)
    expect(err.message).toMatch(
      /^cannot apply deployments web-canary in namespace prod: fields are managed by someone else: .*spec\.replicas is owned by "helm"/
    )
    const forced = await apply(f.cluster, web(2), { force: true })
    expect(forced.spec?.replicas).toBe(2)
  })

  it('lists the causes when the object is invalid', async () => {
    const bad = web()
    bad.spec!.template.spec!.containers[0].image = undefined
    const err = await rejection(apply(f.cluster, bad))
    expect((err as KubeError).status).toBe(422)
    expect(err.message).toMatch(
      /^deployments web-canary in namespace prod is invalid: spec\.template\.spec\.containers\[0\]\.image: Required value/
    )
  })

  it('deletes in the background, and treats a missing object as already gone', async () => {
    await apply(f.cluster, web())
    expect(await remove(f.cluster, { kind: 'Deployment', name: 'web-canary' })).toBe(true)
    const del = f.tc.writes().find(w => w.verb === 'delete')
    expect(del?.name).toBe('web-canary')
    expect(f.tc.get('Deployment', NS, 'web-canary')).toBeUndefined()
    expect(await remove(f.cluster, { kind: 'Deployment', name: 'web-canary' })).toBe(false)
  })

  it('merge-patches only the keys given, null removing one, under the canary-deploy manager', async () => {
    await apply(f.cluster, web())
    const ref = { kind: 'Deployment', name: 'web-canary' }
    await mergePatch(f.cluster, ref, { metadata: { annotations: { a: '1', b: '2' } } })
    const patched = await mergePatch<V1Deployment>(f.cluster, ref, {
      metadata: { annotations: { a: null } }
    })
    expect(patched.metadata?.annotations).not.toHaveProperty('a')
    expect(patched.metadata?.annotations).toHaveProperty('b', '2')
    expect(patched.spec?.replicas).toBe(2)
    const write = f.tc.writes().at(-1)
    expect([write?.contentType, write?.fieldManager]).toEqual([
      'application/merge-patch+json',
      'canary-deploy'
    ])
  })

  describe('modify: a merge patch computed from the object as read', () => {
    // A ConfigMap: no controller writes it, so every conflict here is the test's own doing.
    const ref = { kind: 'ConfigMap', name: 'routes' }
    const create = () =>
      apply(f.cluster, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'routes', namespace: NS },
        data: { weight: '1' }
      } as KubernetesObject)
    const labelled = (labels: Record<string, string>) => {
      const live = f.tc.get<KubernetesObject>('ConfigMap', NS, 'routes')!
      f.tc.put({ ...live, metadata: { ...live.metadata, labels } })
    }
    type ConfigMap = KubernetesObject & { data?: Record<string, string> }

    it('patches what it computed under the canary-deploy manager', async () => {
      await create()
      const done = await modify<ConfigMap>(f.cluster, ref, current => ({
        data: { weight: String(Number(current?.data?.weight) + 1) }
      }))
      expect([done.changed, done.object?.data?.weight]).toEqual([true, '2'])
      const write = f.tc.writes().at(-1)
      expect([write?.contentType, write?.fieldManager]).toEqual([
        'application/merge-patch+json',
        'canary-deploy'
      ])
    })

    it('reads and computes again when someone wrote in between, keeping their change', async () => {
      await create()
      f.tc.resetRequests()
      const seen: (string | undefined)[] = []
      const done = await modify<ConfigMap>(f.cluster, ref, current => {
        seen.push(current?.metadata?.labels?.other)
        // The first time, another writer changes the object after our read: our patch conflicts.
        if (seen.length === 1) labelled({ other: 'writer' })
        return { data: { saw: current?.metadata?.labels?.other ?? 'none' } }
      })
      expect(seen).toEqual([undefined, 'writer'])
      expect(done.object?.data?.saw).toBe('writer')
      expect(done.object?.metadata?.labels).toEqual({ other: 'writer' })
      expect(f.tc.requests.filter(r => r.verb === 'patch').map(r => r.status)).toEqual([409, 200])
    })

    it("gives up after 5 conflicts with the API server's answer", async () => {
      await create()
      let tries = 0
      const err = await rejection(
        modify(f.cluster, ref, () => {
          labelled({ other: String(++tries) })
          return { data: { weight: '2' } }
        })
      )
      expect(tries).toBe(5)
      expect(String(err)).toContain('the object has been modified')
    })

    it('writes nothing when the change asks nothing', async () => {
      await create()
      f.tc.resetRequests()
      const done = await modify(f.cluster, ref, () => undefined)
      expect(done.changed).toBe(false)
      expect(f.tc.writes()).toEqual([])
    })

    it('refuses to patch an object that does not exist, naming it', async () => {
      const err = await rejection(modify(f.cluster, ref, () => ({ data: {} })))
      expect(String(err)).toContain(`ConfigMap routes not found in namespace ${NS}`)
    })
  })

  it('deletes every object matching a selector in one request', async () => {
    await apply(f.cluster, web())
    await apply(f.cluster, { ...web(), metadata: { ...web().metadata, name: 'web-canary-2' } })
    await removeAll(f.cluster, { kind: 'Deployment' }, 'canary-deploy.dev/track=canary')
    expect(f.tc.writes().filter(w => w.verb === 'deletecollection')).toHaveLength(1)
    expect(f.tc.list('Deployment', NS)).toEqual([])
  })

  it('deletes one by one where deletecollection is not granted', async () => {
    await apply(f.cluster, web())
    await apply(f.cluster, { ...web(), metadata: { ...web().metadata, name: 'web-canary-2' } })
    f.tc.enforceRole({
      metadata: { name: 'no-collections', namespace: NS },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'delete'] }]
    })
    await removeAll(f.cluster, { kind: 'Deployment' }, 'canary-deploy.dev/track=canary')
    expect(f.tc.writes().map(w => `${w.verb} ${w.name ?? ''} ${w.status}`)).toEqual(
      expect.arrayContaining(['delete web-canary 200', 'delete web-canary-2 200'])
    )
    expect(f.tc.list('Deployment', NS)).toEqual([])
  })

  it('reads undefined for an object that does not exist', async () => {
    expect(await read(f.cluster, { kind: 'Service', name: 'nope' })).toBeUndefined()
  })

  it('retries a 503 and a 429 (honouring Retry-After) before applying', async () => {
    f.tc.faults.errorNext(1, 503)
    f.tc.faults.tooManyNext(1, 1)
    const started = f.tc.requests.length
    await apply(f.cluster, web())
    const statuses = f.tc.requests.slice(started).map(r => r.status)
    expect(statuses).toEqual([429, 503, 201])
  })

  it('says the credentials were rejected, without printing them', async () => {
    const wrong = f.tc.kubeconfig.replace('token: test-token', 'token: stolen-token-value')
    const cluster = await connect({ kubeconfig: wrong, namespace: NS, logger: new MemoryLogger() })
    const err = await rejection(apply(cluster, web()))
    expect(err.message).toMatch(
      /^credentials rejected by http:\/\/127\.0\.0\.1:\d+ \(401 Unauthorized\) while trying to apply deployments web-canary/
    )
    expect(err.message).not.toContain('stolen-token-value')
  })

  it('says the connection was refused when nothing listens, after retrying within its budget', async () => {
    const url = f.tc.url
    await f.tc.stop()
    const cluster = await connect({
      kubeconfig: f.tc.kubeconfig,
      namespace: NS,
      logger: new MemoryLogger()
    })
    const err = await rejection(apply(cluster, web(), { retryForMs: 300 }))
    expect(err.message).toBe(
      `connection refused by ${url} while trying to apply deployments web-canary in namespace prod: is the API server running and reachable from this runner?`
    )
  })

  it('says it cannot resolve a host that does not exist', async () => {
    const cluster = await connect({
      kubeconfig: f.tc.kubeconfig.replace(/server: .*/, 'server: http://no-such-host.invalid:6443'),
      namespace: NS,
      logger: new MemoryLogger()
    })
    const err = await rejection(apply(cluster, web(), { retryForMs: 300 }))
    expect(err.message).toMatch(/^cannot resolve no-such-host\.invalid /)
  })
})
