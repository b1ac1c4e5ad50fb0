/**
 * managedFields of Update managers (create, update, patch, /status, /scale), as the apiserver's
 * field manager records them: the fields a write sets or changes, and the maps and associative
 * lists it brings into being (`.`), computed on the decoded object before PrepareForCreate and
 * admission add theirs.
 */
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'
import type { KObject, ManagedFieldsEntry } from '../harness/types.js'

const ns = '/api/v1/namespaces/default'
const deployments = '/apis/apps/v1/namespaces/default/deployments'

function entries(o: unknown): ManagedFieldsEntry[] {
  return (o as KObject).metadata.managedFields ?? []
}

function entryOf(o: unknown, manager: string): ManagedFieldsEntry | undefined {
  return entries(o).find(e => e.manager === manager)
}

const web = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }] }
    }
  }
}

describe('test cluster: managedFields of Update managers', () => {
  let cluster: TestCluster
  afterEach(() => cluster.stop())

  describe('without controllers', () => {
    beforeEach(async () => {
      cluster = await startTestCluster({ controllers: false })
    })

    it('records a create as an Update entry owning the maps it adds with "."', async () => {
      const a = await rawRequest(cluster, 'POST', `${ns}/configmaps?fieldManager=kubectl-create`, {
        metadata: { name: 'a', labels: { x: 'y' } },
        data: { k: 'v' }
      })
      expect(entries(a.body).map(e => [e.manager, e.operation, e.subresource])).toEqual([
        ['kubectl-create', 'Update', undefined]
      ])
      expect(entryOf(a.body, 'kubectl-create')?.fieldsV1).toEqual({
        'f:data': { '.': {}, 'f:k': {} },
        'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } }
      })
    })

    it('gives a created Deployment’s structs no "." and its defaulted fields to the creator', async () => {
      const a = await rawRequest(cluster, 'POST', `${deployments}?fieldManager=kubectl-create`, web)
      expect(entryOf(a.body, 'kubectl-create')?.fieldsV1).toEqual({
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:progressDeadlineSeconds': {},
          'f:replicas': {},
          'f:revisionHistoryLimit': {},
          'f:selector': {},
          'f:strategy': {
            'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} },
            'f:type': {}
          },
          'f:template': {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"web"}': {
                  '.': {},
                  'f:image': {},
                  'f:imagePullPolicy': {},
                  'f:name': {},
                  'f:ports': {
                    '.': {},
                    'k:{"containerPort":80,"protocol":"TCP"}': {
                      '.': {},
                      'f:containerPort': {},
                      'f:protocol': {}
                    }
                  },
                  'f:resources': {},
                  'f:terminationMessagePath': {},
                  'f:terminationMessagePolicy': {}
                }
              },
              'f:dnsPolicy': {},
              'f:restartPolicy': {},
              'f:schedulerName': {},
              'f:securityContext': {},
              'f:terminationGracePeriodSeconds': {}
            }
          }
        }
      })
    })

    it('does not give the creator an empty struct the Go zero value already has', async () => {
      const a = await rawRequest(
        cluster,
        'POST',
        '/apis/batch/v1/namespaces/default/jobs?fieldManager=kubectl-create',
        {
          metadata: { name: 'migrate' },
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'm:1' }] }
            }
          }
        }
      )
      const fields = entryOf(a.body, 'kubectl-create')?.fieldsV1 as {
        'f:spec': { 'f:template': Record<string, unknown> }
      }
      expect(Object.keys(fields['f:spec']['f:template'])).toEqual(['f:spec'])
    })

    it('leaves what a namespace’s PrepareForCreate sets (spec.finalizers) to no manager', async () => {
      const a = await rawRequest(
        cluster,
        'POST',
        '/api/v1/namespaces?fieldManager=kubectl-create',
        {
          metadata: { name: 'shop' }
        }
      )
      expect((a.body as { spec: unknown }).spec).toEqual({ finalizers: ['kubernetes'] })
      expect(entryOf(a.body, 'kubectl-create')?.fieldsV1).toEqual({
        'f:metadata': { 'f:labels': { '.': {}, 'f:kubernetes.io/metadata.name': {} } }
      })
    })

    it('gives a later writer only the field it added to an existing map', async () => {
      await rawRequest(cluster, 'POST', `${ns}/configmaps?fieldManager=kubectl-create`, {
        metadata: { name: 'a', labels: { x: 'y' } }
      })
      const a = await rawRequest(
        cluster,
        'PATCH',
        `${ns}/configmaps/a?fieldManager=kubectl-label`,
        { metadata: { labels: { z: '1' } } },
        'application/merge-patch+json'
      )
      expect(entryOf(a.body, 'kubectl-label')?.fieldsV1).toEqual({
        'f:metadata': { 'f:labels': { 'f:z': {} } }
      })
      expect(entryOf(a.body, 'kubectl-create')?.fieldsV1).toEqual({
        'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } }
      })
    })

    it('starts from the managedFields a write sets, as kubectl hands client-side apply fields to an applier', async () => {
      const cm = `${ns}/configmaps/csa`
      await rawRequest(cluster, 'POST', `${ns}/configmaps?fieldManager=kubectl-client-side-apply`, {
        metadata: { name: 'csa' },
        data: { a: '1' }
      })
      const applyA2 = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'csa' },
        data: { a: '2' }
      }
      const before = await rawRequest(
        cluster,
        'PATCH',
        `${cm}?fieldManager=kubectl&dryRun=All`,
        applyA2,
        'application/apply-patch+yaml'
      )
      expect(before.status).toBe(409)
      const handOver = [
        {
          manager: 'kubectl',
          operation: 'Apply',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { 'f:a': {} } }
        }
      ]
      await rawRequest(
        cluster,
        'PATCH',
        cm,
        [{ op: 'replace', path: '/metadata/managedFields', value: handOver }],
        'application/json-patch+json'
      )
      const after = await rawRequest(
        cluster,
        'PATCH',
        `${cm}?fieldManager=kubectl`,
        applyA2,
        'application/apply-patch+yaml'
      )
      expect(after.status).toBe(200)
      expect(entries(after.body).map(e => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply'])
    })

    it('records a write through /scale as an Update of subresource scale owning spec.replicas', async () => {
      await rawRequest(cluster, 'POST', `${deployments}?fieldManager=kubectl-create`, web)
      await rawRequest(
        cluster,
        'PATCH',
        `${deployments}/web/scale?fieldManager=kubectl-scale`,
        { spec: { replicas: 3 } },
        'application/merge-patch+json'
      )
      const d = (await rawRequest(cluster, 'GET', `${deployments}/web`)).body
      const scale = entryOf(d, 'kubectl-scale')
      expect([scale?.operation, scale?.subresource, scale?.apiVersion]).toEqual([
        'Update',
        'scale',
        'apps/v1'
      ])
      expect(scale?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } })
      expect(JSON.stringify(entryOf(d, 'kubectl-create')?.fieldsV1)).not.toContain('f:replicas')
    })
  })

  describe('with controllers', () => {
    beforeEach(async () => {
      cluster = await startTestCluster({ controllers: true })
    })

    it('owns a pod’s whole owner reference as one field and not what admission added', async () => {
      await rawRequest(cluster, 'POST', deployments, web)
      await cluster.settle()
      const pods = (await rawRequest(cluster, 'GET', `${ns}/pods`)).body as { items: KObject[] }
      const pod = pods.items[0]
      const kcm = entryOf(pod, 'kube-controller-manager')?.fieldsV1 as Record<
        string,
        Record<string, Record<string, unknown>>
      >
      const uid = pod.metadata.ownerReferences?.[0].uid ?? ''
      expect(kcm['f:metadata']['f:ownerReferences']).toEqual({
        '.': {},
        [`k:{"uid":"${uid}"}`]: {}
      })
      expect(Object.keys(kcm['f:spec'])).toContain('f:enableServiceLinks')
      for (const added of ['f:volumes', 'f:tolerations', 'f:priority', 'f:serviceAccountName'])
        expect(Object.keys(kcm['f:spec'])).not.toContain(added)
    })

    it('gives the status writer of a Deployment the revision annotation it adds', async () => {
      await rawRequest(cluster, 'POST', deployments, web)
      await cluster.settle()
      const d = (await rawRequest(cluster, 'GET', `${deployments}/web`)).body
      const status = entries(d).find(e => e.subresource === 'status')
      expect(status?.manager).toBe('kube-controller-manager')
      expect((status?.fieldsV1 as Record<string, unknown>)['f:metadata']).toEqual({
        'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} }
      })
    })
  })
})
