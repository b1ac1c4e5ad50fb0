/** Conformance cases. Lifecycle: rollouts, object shapes after defaulting, Jobs, status, deletion, Terminating namespaces. */
import type { TestCluster } from '../harness/cluster.js'
import {
  applyManifest,
  bodyOf,
  call,
  manifestObjects,
  kubectlTable,
  normalise,
  recordedJson,
  recordedTable,
  rvOf,
  type Answer,
  type Entry
} from './scenario.js'

type Rec = Record<string, unknown>

interface Obj {
  metadata: Rec & {
    name: string
    generation?: number
    finalizers?: string[]
    deletionTimestamp?: string
    deletionGracePeriodSeconds?: number
    ownerReferences?: { kind: string }[]
  }
  spec: Rec & { replicas?: number; template?: { spec: { containers: Rec[] } } }
  status: Rec & { conditions?: Rec[]; phase?: string; containerStatuses?: Rec[] }
}

interface List {
  items: Obj[]
}

const deploy = (ns: string, name = 'web') => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`
const get = async (c: TestCluster, path: string) => bodyOf<Obj>(await call(c, 'GET', path))
const list = async (c: TestCluster, path: string) => bodyOf<List>(await call(c, 'GET', path)).items
const MERGE = 'application/merge-patch+json'

/** kubectl rollout status: done once the controller saw this generation and every replica is new and available. */
function rolledOut(d: Obj): boolean {
  const s = d.status as Rec & Record<string, number>
  const want = d.spec.replicas ?? 1
  return (
    s.observedGeneration >= (d.metadata.generation ?? 0) &&
    s.updatedReplicas === want &&
    s.replicas === want &&
    s.availableReplicas === want
  )
}

/** The pod-template hash in a ReplicaSet or pod name is random here and there: shown as the recording shows it. */
function withHashes(v: unknown, name: string): unknown {
  return JSON.parse(
    JSON.stringify(v)
      .replace(
        new RegExp(`${name}-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}`, 'g'),
        `${name}-<HASH>-<RAND>`
      )
      .replace(new RegExp(`${name}-[bcdfghjklmnpqrstvwxz2456789]{6,}`, 'g'), `${name}-<HASH>`)
      .replace(/kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}/g, 'kube-api-access-84wjk')
  ) as unknown
}

async function jobFacts(c: TestCluster, ns: string, name: string): Promise<Rec> {
  const job = await get(c, `/apis/batch/v1/namespaces/${ns}/jobs/${name}`)
  const s = job.status as Rec
  return {
    succeeded: s.succeeded ?? null,
    active: s.active ?? null,
    failed: s.failed ?? null,
    hasStart: s.startTime != null,
    hasCompletion: s.completionTime != null,
    conditions: ((s.conditions as Rec[] | undefined) ?? []).map(x => ({
      type: x.type,
      status: x.status,
      reason: x.reason,
      message: x.message
    })),
    selector: job.spec.selector,
    templateLabels: (job.spec.template as unknown as { metadata: Rec }).metadata.labels
  }
}

async function createJob(c: TestCluster, ns: string, manifest: string): Promise<void> {
  const [job] = manifestObjects(manifest, ns)
  expect((await call(c, 'POST', `/apis/batch/v1/namespaces/${ns}/jobs`, job)).status).toBe(201)
  await c.settle()
}

export const lifecycleCases: Record<string, Entry> = {
  '30-rollout-status.txt': {
    check: async (c, ns, recording) => {
      expect(recording).toContain('deployment "web" successfully rolled out')
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      const d = await get(c, deploy(ns))
      expect(rolledOut(d)).toBe(true)
      // kubectl get deploy -o wide: READY 2/2, UP-TO-DATE 2, AVAILABLE 2, CONTAINERS web, IMAGES, SELECTOR app=web.
      expect(d.status).toMatchObject({ readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 })
      expect(d.spec.template?.spec.containers.map(x => [x.name, x.image])).toEqual([
        ['web', 'registry.example.com/k8sdiff/web:v1']
      ])
      expect(d.spec.selector).toEqual({ matchLabels: { app: 'web' } })
      for (const [command, wide] of [
        ['kn get deploy web', false],
        ['kn get deploy web -o wide', true]
      ] as const) {
        const recorded = recordedTable(recording, command)
        const ours = await kubectlTable(c, deploy(ns), wide)
        expect(normalise(ours, recorded)).toEqual(recorded)
      }
    }
  },

  '31-deployment-shape.txt': {
    check: async (c, ns, recording) => {
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      // Generation 3 at revision 1: two spec changes that leave the template as it was.
      for (const replicas of [3, 2]) {
        await call(c, 'PATCH', deploy(ns), { spec: { replicas } }, MERGE)
        await c.settle()
      }
      const d = await get(c, deploy(ns))
      const shown = {
        metadata: {
          annotations: d.metadata.annotations,
          generation: d.metadata.generation,
          labels: d.metadata.labels
        },
        spec: d.spec,
        status: d.status
      }
      const recorded = recordedJson(recording, 'get deploy web -o json')
      expect(normalise(withHashes(shown, 'web'), recorded)).toEqual(recorded)
    }
  },

  '33-pod-shape.txt': {
    check: async (c, ns, recording) => {
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      const pods = await list(c, `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`)
      expect(pods).toHaveLength(2)
      const p = pods[0]
      const { containers, ...spec } = p.spec as Rec & { containers: Rec[] }
      const { containerStatuses, ...status } = p.status
      const shown = {
        metadata: {
          generateName: p.metadata.generateName,
          labels: p.metadata.labels,
          ownerReferences: p.metadata.ownerReferences
        },
        spec,
        container: containers[0],
        status,
        containerStatus: containerStatuses?.[0]
      }
      const recorded = recordedJson(recording, 'get pod web-<HASH>-<RAND> -o json')
      expect(normalise(withHashes(shown, 'web'), recorded)).toEqual(recorded)
      // kubectl get pods [-o wide]: both 1/1 Running, no restarts.
      for (const [command, wide] of [
        ['kn get pods -l app=web', false],
        ['kn get pods -l app=web -o wide', true]
      ] as const) {
        const recorded = recordedTable(recording, command)
        const ours = await kubectlTable(
          c,
          `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`,
          wide
        )
        expect(normalise(withHashes(ours, 'web'), recorded)).toEqual(recorded)
      }
      const ep = await call(c, 'GET', `/api/v1/namespaces/${ns}/endpoints/web`)
      expect(ep.warnings).toEqual([
        '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"'
      ])
      const subsets = (bodyOf<{ subsets: Rec[] }>(ep).subsets ?? []).map(s => ({
        addresses: ((s.addresses as Rec[]) ?? []).map(a => ({
          ip: a.ip,
          nodeName: a.nodeName,
          targetRef: { kind: (a.targetRef as Rec).kind }
        })),
        ports: s.ports
      }))
      const recordedEp = recordedJson(recording, 'get endpoints web')
      expect(normalise({ subsets }, recordedEp)).toEqual(recordedEp)
      const svc = await get(c, `/api/v1/namespaces/${ns}/services/web`)
      const recordedSvc = recordedJson(recording, 'get svc web')
      expect(normalise({ spec: svc.spec, status: svc.status }, recordedSvc)).toEqual(recordedSvc)
    }
  },

  '46-job-complete.txt': {
    check: async (c, ns, recording) => {
      c.kubelet.behave({ image: 'registry.example.com/k8sdiff/job:ok' }, { kind: 'succeed' })
      await createJob(c, ns, 'job-ok.yaml')
      const recorded = recordedJson(recording, 'get job ok -o json')
      expect(normalise(await jobFacts(c, ns, 'ok'), recorded)).toEqual(recorded)
      const pods = (await list(c, `/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3Dok`)).map(
        p => {
          const terminated = (p.status.containerStatuses?.[0].state as Rec).terminated as Rec
          return {
            phase: p.status.phase,
            reason: terminated.reason,
            exitCode: terminated.exitCode,
            owner: p.metadata.ownerReferences?.[0].kind,
            conditions: (p.status.conditions ?? []).map(x => ({
              type: x.type,
              status: x.status,
              reason: x.reason ?? null
            }))
          }
        }
      )
      expect(pods).toEqual(recordedJson(recording, 'get pods -l job-name=ok'))
      const recordedRow = recordedTable(recording, 'kn get job ok')
      const ours = await kubectlTable(c, `/apis/batch/v1/namespaces/${ns}/jobs/ok`)
      expect(normalise(ours, recordedRow)).toEqual(recordedRow)
    }
  },

  '47-job-failed.txt': {
    check: async (c, ns, recording) => {
      c.kubelet.behave({ image: /job-migfail/ }, { kind: 'fail', exitCode: 1 })
      await createJob(c, ns, 'job-fail.yaml')
      const { succeeded, active, failed, conditions } = await jobFacts(c, ns, 'fail')
      expect({ succeeded, active, failed, conditions }).toEqual(
        recordedJson(recording, 'get job fail -o json')
      )
      const pods = await list(c, `/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3Dfail`)
      expect(pods.map(p => p.status.phase)).toEqual(['Failed'])
      // kubectl wait --for=condition=complete times out: there is no Complete condition.
      expect(conditions).not.toContainEqual(expect.objectContaining({ type: 'Complete' }))
    }
  },

  '54-status-subresource.txt': {
    controllers: false,
    check: async (c, ns, recording) => {
      await applyManifest(c, 'base.yaml', ns)
      const svc = `/api/v1/namespaces/${ns}/services/web`
      const ingress = { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } }
      const refused = await call(c, 'PATCH', `${svc}/status`, ingress, MERGE)
      expect(refused.status).toBe(422)
      const message = bodyOf(refused).message as string
      expect(recording).toContain(`The ${message}`)
      expect(message).toBe(
        'Service "web" is invalid: status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is \'LoadBalancer\''
      )
      const before = await call(c, 'GET', svc)
      // Status sent to the main resource, and spec sent to /status, change nothing.
      const main = await call(c, 'PATCH', svc, ingress, MERGE)
      expect(rvOf(main)).toBe(rvOf(before))
      expect((bodyOf<Obj>(main).status.loadBalancer as Rec).ingress).toBeUndefined()
      const status = await call(c, 'PATCH', `${svc}/status`, { spec: { type: 'NodePort' } }, MERGE)
      expect(rvOf(status)).toBe(rvOf(before))
      expect(bodyOf<Obj>(status).spec.type).toBe('ClusterIP')
    }
  },

  '56-delete-foreground.txt': {
    check: async (c, ns, recording) => {
      await applyManifest(c, 'fg.yaml', ns)
      await c.settle()
      c.kubelet.holdTermination({ label: { app: 'fg' } })
      const del = await call(c, 'DELETE', deploy(ns, 'fg'), { propagationPolicy: 'Foreground' })
      expect(del.status).toBe(200)
      await c.settle()
      const d = await get(c, deploy(ns, 'fg'))
      expect({
        deleting: d.metadata.deletionTimestamp != null,
        finalizers: d.metadata.finalizers
      }).toEqual(recordedJson(recording, 'get deploy fg -o json'))
      c.kubelet.release({ label: { app: 'fg' } })
      await c.settle()
      expect((await call(c, 'GET', deploy(ns, 'fg'))).status).toBe(404)
      expect(c.list('ReplicaSet', ns, 'app=fg')).toHaveLength(0)
      expect(c.list('Pod', ns, 'app=fg')).toHaveLength(0)
      // A pod deleted through the API with a 5 s grace period stays, Terminating, until its kubelet is done.
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      c.kubelet.holdTermination({ label: { app: 'web' } })
      const [pod] = await list(c, `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`)
      const podPath = `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`
      expect((await call(c, 'DELETE', podPath)).status).toBe(200)
      const p = await get(c, podPath)
      expect({
        deleting: p.metadata.deletionTimestamp != null,
        grace: p.metadata.deletionGracePeriodSeconds,
        phase: p.status.phase
      }).toEqual(recordedJson(recording, 'get pod web-<HASH>-<RAND> -o json'))
      c.kubelet.release({ label: { app: 'web' } })
    }
  },

  '57-delete-background.txt': {
    replay: async (c, ns, recording) => {
      await applyManifest(c, 'bg.yaml', ns)
      await c.settle()
      expect(
        (await call(c, 'DELETE', deploy(ns, 'bg'), { propagationPolicy: 'Background' })).status
      ).toBe(200)
      await c.settle()
      expect(c.list('ReplicaSet', ns, 'app=bg')).toHaveLength(0)
      expect(c.list('Pod', ns, 'app=bg')).toHaveLength(0)

      await applyManifest(c, 'orph.yaml', ns)
      await c.settle()
      expect(
        (await call(c, 'DELETE', deploy(ns, 'orph'), { propagationPolicy: 'Orphan' })).status
      ).toBe(200)
      await c.settle()
      expect((await call(c, 'GET', deploy(ns, 'orph'))).status).toBe(404)
      const rs = (
        await list(c, `/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=app%3Dorph`)
      ).map(r => ({ owners: r.metadata.ownerReferences ?? [], replicas: r.spec.replicas }))
      expect(rs).toEqual(recordedJson(recording, 'get rs -l app=orph -o json'))
      const orphPods = await list(c, `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dorph`)
      expect(
        orphPods.map(p => ({ owner: (p.metadata.ownerReferences ?? []).map(o => o.kind) }))
      ).toEqual(recordedJson(recording, 'get pods -l app=orph'))
      for (const r of c.list<Obj>('ReplicaSet', ns, 'app=orph'))
        await call(c, 'DELETE', `/apis/apps/v1/namespaces/${ns}/replicasets/${r.metadata.name}`, {
          propagationPolicy: 'Background'
        })
      await c.settle()
      expect(c.list('Pod', ns, 'app=orph')).toHaveLength(0)

      // kubectl delete job sends Background: the pods go too.
      c.kubelet.behave({ image: 'registry.example.com/k8sdiff/job:ok' }, { kind: 'succeed' })
      await createJob(c, ns, 'job-ok.yaml')
      await call(c, 'DELETE', `/apis/batch/v1/namespaces/${ns}/jobs/ok`, {
        propagationPolicy: 'Background'
      })
      await c.settle()
      expect(c.list('Pod', ns, 'job-name=ok')).toHaveLength(0)

      // A raw DELETE of a batch/v1 Job orphans its pods: answered with the Job, finalizer orphan.
      c.kubelet.behave({ image: /job-migfail/ }, { kind: 'fail', exitCode: 1 })
      await createJob(c, ns, 'job-fail.yaml')
      const raw = await call(c, 'DELETE', `/apis/batch/v1/namespaces/${ns}/jobs/fail`)
      const job = bodyOf<Obj & { details?: unknown; kind: string }>(raw)
      expect(job.metadata.finalizers).toEqual(['orphan'])
      await c.settle()
      const failPods = await list(c, `/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3Dfail`)
      expect(
        failPods.map(p => ({ owner: (p.metadata.ownerReferences ?? []).map(o => o.kind) }))
      ).toEqual(recordedJson(recording, 'get pods -l job-name=fail'))
      const answer: Answer = {
        ...raw,
        body: { details: job.details ?? null, kind: job.kind, status: job.status }
      }
      return [answer]
    }
  },

  '70-namespace-terminating.txt': {
    check: async (c, ns, recording) => {
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      c.kubelet.holdTermination({ label: { app: 'web' } })
      const pods = `/api/v1/namespaces/${ns}/pods`
      await call(c, 'DELETE', `${pods}?labelSelector=app%3Dweb&gracePeriodSeconds=30`)
      const del = await call(c, 'DELETE', `/api/v1/namespaces/${ns}`)
      expect(del.status).toBe(200)
      await c.settle()
      const live = await get(c, `/api/v1/namespaces/${ns}`)
      expect(live.status.phase).toBe('Terminating')
      const cms = `/api/v1/namespaces/${ns}/configmaps`
      const late = await call(c, 'POST', cms, { metadata: { name: 'late' }, data: { a: 'b' } })
      expect(late.status).toBe(403)
      expect(bodyOf(late)).toMatchObject({
        reason: 'Forbidden',
        details: { name: 'late', kind: 'configmaps' }
      })
      expect(recording).toContain(String(bodyOf(late).message))
      const [existing] = manifestObjects('cm-existing.yaml', ns)
      const again = await call(c, 'POST', cms, existing)
      // Deleting it again while it empties is a conflict (namespace storage).
      const twice = await call(c, 'DELETE', `/api/v1/namespaces/${ns}`)
      expect(twice.status).toBe(409)
      expect(String(bodyOf(twice).message)).toMatch(
        /ensuring all content is removed from this namespace/
      )
      expect(String(bodyOf(again).message).replace('web-config', 'X')).toBe(
        `configmaps "X" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`
      )
      c.kubelet.release({ label: { app: 'web' } })
      await c.settle()
      const gone = await call(c, 'GET', `/api/v1/namespaces/${ns}`)
      expect(gone.status).toBe(404)
      expect(bodyOf(gone).message).toBe(`namespaces "${ns}" not found`)
    }
  }
}
