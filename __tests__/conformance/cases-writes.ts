/** Conformance cases. Writes: server-side apply, create refusals, the Lease, merge/JSON/strategic patches, typed decoding. */
import { readManifest } from './recording.js'
import {
  applyManifest,
  applyObject,
  bodyOf,
  call,
  inNamespace,
  manifestObjects,
  objectPath,
  recordedJson,
  rvOf,
  type Answer,
  type Entry
} from './scenario.js'

interface Obj {
  metadata: {
    name: string
    resourceVersion: string
    generation?: number
    labels?: Record<string, string>
    annotations?: Record<string, string>
    managedFields?: Record<string, unknown>[]
  }
  spec: Record<string, unknown> & {
    replicas?: number
    holderIdentity?: string
    template?: { spec: { containers: Record<string, unknown>[] } }
  }
}

const deployPath = (ns: string, name = 'web') =>
  `/apis/apps/v1/namespaces/${ns}/deployments/${name}`
const MERGE = 'application/merge-patch+json'
const JSON_PATCH = 'application/json-patch+json'
const STRATEGIC = 'application/strategic-merge-patch+json'

export const writesCases: Record<string, Entry> = {
  // An identical re-apply changes nothing (no resourceVersion bump); a new namespace gets its CA
  // bundle and default ServiceAccount.
  '13-apply-ssa.txt': {
    controllers: true,
    check: async (c, ns, recording) => {
      expect(recording).toContain('identical re-apply changed the ConfigMap resourceVersion: no')
      const first = await applyManifest(c, 'base.yaml', ns)
      expect(first.map(a => a.status)).toEqual([201, 201, 201])
      await c.settle()
      const paths = manifestObjects('base.yaml', ns).map(o => objectPath(o, ns))
      const before = await Promise.all(paths.map(async p => rvOf(await call(c, 'GET', p))))
      const again = await applyManifest(c, 'base.yaml', ns)
      expect(again.map(a => a.status)).toEqual([200, 200, 200])
      expect(again.map(rvOf)).toEqual(before)
      await c.settle()
      expect(c.get('ConfigMap', ns, 'kube-root-ca.crt')).toBeDefined()
      expect(c.get('ServiceAccount', ns, 'default')).toBeDefined()
    }
  },

  '14-ssa-managed-fields.txt': {
    check: async (c, ns, recording) => {
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      const live = bodyOf<Obj>(await call(c, 'GET', deployPath(ns))).metadata.managedFields ?? []
      const summary = live
        .map(e => ({
          apiVersion: e.apiVersion,
          fieldsType: e.fieldsType,
          manager: e.manager,
          operation: e.operation,
          subresource: e.subresource ?? null
        }))
        .sort((a, b) => `${a.manager}${a.operation}`.localeCompare(`${b.manager}${b.operation}`))
      expect(summary).toEqual(recordedJson(recording, '[.metadata.managedFields[]'))
      const mine = (o: Obj) =>
        o.metadata.managedFields?.find(e => e.manager === 'k8sdiff')?.fieldsV1
      expect(mine({ metadata: { managedFields: live } } as Obj)).toEqual(
        recordedJson(recording, 'get deploy web -o json --show-managed-fields | jq -S ".metadata')
      )
      const svc = bodyOf<Obj>(await call(c, 'GET', `/api/v1/namespaces/${ns}/services/web`))
      expect(mine(svc)).toEqual(recordedJson(recording, 'get svc web'))
    }
  },

  '15-ssa-conflict.txt': async (c, ns) => {
    await applyManifest(c, 'base.yaml', ns)
    const [conflict] = await applyManifest(c, 'conflict.yaml', ns, 'other')
    const [obj] = manifestObjects('conflict.yaml', ns)
    const noManager = await call(c, 'PATCH', deployPath(ns), obj, 'application/apply-patch+yaml')
    return [conflict, noManager]
  },

  '17-ssa-dry-run.txt': {
    controllers: true,
    check: async (c, ns) => {
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      const live = bodyOf<Obj>(await call(c, 'GET', deployPath(ns)))
      const [dry] = manifestObjects('dryrun.yaml', ns)
      const answer = bodyOf<Obj>(await applyObject(c, dry, ns, 'k8sdiff', '&dryRun=All'))
      expect(answer.spec.template?.spec.containers[0].image).toBe(
        'registry.example.com/k8sdiff/web:v9'
      )
      expect(answer.metadata.generation).toBe((live.metadata.generation ?? 0) + 1)
      const after = bodyOf<Obj>(await call(c, 'GET', deployPath(ns)))
      expect(after.spec.template?.spec.containers[0].image).toBe(
        'registry.example.com/k8sdiff/web:v1'
      )
      expect(after.metadata.resourceVersion).toBe(live.metadata.resourceVersion)
      const cms = `/api/v1/namespaces/${ns}/configmaps`
      const created = await call(c, 'POST', `${cms}?dryRun=All`, {
        metadata: { name: 'dry-cm' },
        data: { a: 'b' }
      })
      expect(created.status).toBe(201)
      const [csa] = manifestObjects('csa.yaml', ns)
      expect((await call(c, 'POST', `${cms}?dryRun=All`, csa)).status).toBe(201)
      expect((await call(c, 'GET', `${cms}/csa`)).status).toBe(404)
      expect((await call(c, 'DELETE', `${cms}/web-config?dryRun=All`)).status).toBe(200)
      expect((await call(c, 'GET', `${cms}/web-config`)).status).toBe(200)
    }
  },

  '21-create-existing.txt': async (c, ns) => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: ns },
      data: { greeting: 'again' }
    }
    await call(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm)
    return [await call(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm)]
  },

  '22-invalid-name.txt': async (c, ns) => [
    await call(
      c,
      'POST',
      `/api/v1/namespaces/${ns}/configmaps`,
      inNamespace(readManifest('cm-badname.json'), ns)
    )
  ],

  '23-invalid-no-containers.txt': async (c, ns) => [
    await call(
      c,
      'POST',
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      inNamespace(readManifest('deploy-nocontainers.json'), ns)
    )
  ],

  '50-lease.txt': async (c, ns) => {
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`
    const [lease] = manifestObjects('lease.yaml', ns)
    expect((await call(c, 'POST', leases, lease)).status).toBe(201)
    const live = bodyOf<Obj>(await call(c, 'GET', `${leases}/k8sdiff-lock`))
    const holder = (a: Answer): Answer => {
      const b = bodyOf<Obj & { code?: number; message?: string; reason?: string }>(a)
      return {
        ...a,
        body: {
          code: b.code ?? null,
          holder: b.spec?.holderIdentity ?? null,
          message: b.message ?? null,
          reason: b.reason ?? null
        }
      }
    }
    const put = (metadata: Record<string, unknown>, who: string) =>
      call(c, 'PUT', `${leases}/k8sdiff-lock`, {
        ...live,
        metadata: { ...live.metadata, ...metadata },
        spec: { ...live.spec, holderIdentity: who }
      })
    const current = await put({}, 'run-2')
    const stale = await put({}, 'run-3')
    const unconditional = await put({ resourceVersion: undefined }, 'run-4')
    const staleDelete = await call(c, 'DELETE', `${leases}/k8sdiff-lock`, {
      preconditions: { resourceVersion: live.metadata.resourceVersion }
    })
    const now = bodyOf<Obj>(await call(c, 'GET', `${leases}/k8sdiff-lock`))
    expect(now.spec.holderIdentity).toBe('run-2')
    return [holder(current), stale, holder(unconditional), staleDelete]
  },

  '51-patch-merge.txt': async (c, ns) => {
    await applyManifest(c, 'base.yaml', ns)
    const labels = { metadata: { labels: { patched: 'merge' } } }
    const first = await call(c, 'PATCH', deployPath(ns), labels, MERGE)
    expect(first.status).toBe(200)
    // The same patch again changes nothing: kubectl prints "(no change)".
    const again = await call(c, 'PATCH', deployPath(ns), labels, MERGE)
    expect(rvOf(again)).toBe(rvOf(first))
    expect(bodyOf<Obj>(again).metadata.labels?.patched).toBe('merge')
    const stale = await call(
      c,
      'PATCH',
      deployPath(ns),
      { metadata: { resourceVersion: '1', labels: { stale: 'yes' } } },
      MERGE
    )
    const cm = `/api/v1/namespaces/${ns}/configmaps/web-config`
    const data = { data: { merged: '1' } }
    const cm1 = await call(c, 'PATCH', cm, data, MERGE)
    expect(rvOf(await call(c, 'PATCH', cm, data, MERGE))).toBe(rvOf(cm1))
    const missing = await call(c, 'PATCH', deployPath(ns, 'nosuch'), labels, MERGE)
    expect(missing.status).toBe(404)
    expect(bodyOf(missing).message).toBe('deployments.apps "nosuch" not found')
    return [stale]
  },

  '52-patch-json.txt': {
    replay: async (c, ns) => {
      await applyManifest(c, 'base.yaml', ns)
      // The controller's revision annotation gives the annotations map the patch adds to.
      await c.settle()
      const add = await call(
        c,
        'PATCH',
        deployPath(ns),
        [{ op: 'add', path: '/metadata/annotations/k8sdiff~1json', value: '1' }],
        JSON_PATCH
      )
      expect(add.status).toBe(200)
      expect(bodyOf<Obj>(add).metadata.annotations?.['k8sdiff/json']).toBe('1')
      const failedTest = await call(
        c,
        'PATCH',
        deployPath(ns),
        [{ op: 'test', path: '/spec/replicas', value: 42 }],
        JSON_PATCH
      )
      const removeMissing = await call(
        c,
        'PATCH',
        deployPath(ns),
        [{ op: 'remove', path: '/metadata/labels/nosuch' }],
        JSON_PATCH
      )
      expect(removeMissing.status).toBe(422)
      expect(bodyOf(removeMissing).message).toBe(
        'the server rejected our request due to an error in our request'
      )
      const notList = await call(c, 'PATCH', deployPath(ns), { not: 'a list' }, JSON_PATCH)
      expect(notList.status).toBe(400)
      expect(bodyOf(notList).message).toBe(
        'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp'
      )
      return [failedTest]
    }
  },

  '53-patch-strategic.txt': {
    check: async (c, ns, recording) => {
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      const rsCount = () => c.list('ReplicaSet', ns, 'app=web').length
      const patch = async (body: unknown) => {
        const a = await call(c, 'PATCH', deployPath(ns), body, STRATEGIC)
        expect(a.status).toBe(200)
        await c.settle()
        return bodyOf<Obj>(a)
      }
      const containers = (o: Obj) =>
        (o.spec.template?.spec.containers ?? []).map(x => ({
          env: x.env ?? null,
          image: x.image,
          name: x.name
        }))
      const before = rsCount()
      const withEnv = await patch({
        spec: {
          template: { spec: { containers: [{ name: 'web', env: [{ name: 'A', value: '1' }] }] } }
        }
      })
      const image = 'registry.example.com/k8sdiff/web:v1'
      const recordedWith = recordedJson(recording, 'jq -S "[.spec.template') as { env: unknown }[]
      expect(containers(withEnv)).toEqual([{ ...recordedWith[0], image }])
      expect(rsCount()).toBe(before + 1)
      const without = await patch({
        spec: {
          template: {
            spec: { containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }] }] }
          }
        }
      })
      // The emptied env list is gone, so the template equals the first one and its ReplicaSet is reused.
      expect(containers(without)).toEqual([{ env: null, image, name: 'web' }])
      expect(rsCount()).toBe(before + 1)
      const side = await patch({
        spec: {
          template: {
            spec: {
              containers: [{ name: 'side', image: 'registry.example.com/k8sdiff/web:side' }]
            }
          }
        }
      })
      expect(containers(side).map(x => x.name)).toEqual(['side', 'web'])
      const back = await patch({
        spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } }
      })
      expect(containers(back).map(x => x.name)).toEqual(['web'])
      const d = bodyOf<Obj & { status: Record<string, number> }>(
        await call(c, 'GET', deployPath(ns))
      )
      expect(d.status.updatedReplicas).toBe(d.spec.replicas)
      expect(d.status.availableReplicas).toBe(d.spec.replicas)
    }
  },

  '63-wrong-field-type.txt': async (c, ns) => {
    await applyManifest(c, 'typo.yaml', ns)
    const typo = deployPath(ns, 'typo')
    const refused = await call(c, 'PATCH', typo, { spec: { replicas: 'three' } }, MERGE)
    // kubectl: "The request is invalid: patch: Invalid value: "<object>": json: ..."
    expect(refused.status).toBe(422)
    const s = bodyOf<{ message: string; details: { causes: Record<string, string>[] } }>(refused)
    const why =
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'
    expect(s.details.causes).toHaveLength(1)
    const cause = s.details.causes[0]
    expect(cause.field).toBe('patch')
    expect(cause.reason).toBe('FieldValueInvalid')
    expect(cause.message.endsWith(`: ${why}`)).toBe(true)
    const shown = JSON.parse(
      JSON.parse(cause.message.slice('Invalid value: '.length, -`: ${why}`.length)) as string
    ) as Obj
    expect(shown.metadata.name).toBe('typo')
    expect(shown.spec.replicas).toBe('three')
    expect(s.message).toBe(` "" is invalid: patch: ${cause.message}`)
    expect(bodyOf<Obj>(await call(c, 'GET', typo)).spec.replicas).toBe(1)
    const cms = `/api/v1/namespaces/${ns}/configmaps`
    const number = await call(c, 'POST', cms, { metadata: { name: 'n' }, data: { a: 1 } })
    const labels = await call(c, 'POST', cms, { metadata: { name: 'l', labels: 'x' } })
    const unknown = await call(c, 'POST', cms, { metadata: { name: 'unk' }, unknown: 'x' })
    const u = bodyOf<Record<string, unknown> & { metadata: { name: string } }>(unknown)
    // Dropped with a warning (fieldValidation defaults to Warn).
    expect(unknown.warnings).toEqual(['299 - "unknown field \\"unknown\\""'])
    expect((await call(c, 'DELETE', typo)).status).toBe(200)
    return [
      number,
      labels,
      {
        ...unknown,
        body: {
          code: u.code ?? null,
          message: u.message ?? null,
          name: u.metadata.name,
          unknown: u.unknown ?? null
        }
      }
    ]
  }
}
