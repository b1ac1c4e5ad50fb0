import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'
import { readManifest } from '../conformance/recording.js'

describe('test cluster: validation in kube-apiserver words and order', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false, namespace: 'k8sdiff' })
  })
  afterEach(() => cluster.stop())

  it('reports every error of a Deployment, metadata first, then replicas, selector, template', async () => {
    const a = await rawRequest(
      cluster,
      'POST',
      '/apis/apps/v1/namespaces/k8sdiff/deployments',
      readManifest('deploy-multi.json')
    )
    expect(a.status).toBe(422)
    const causes = (a.body as { details: { causes: { field: string; message: string }[] } }).details
      .causes
    expect(causes.map(c => c.field)).toEqual([
      'metadata.labels',
      'spec.replicas',
      'spec.template.metadata.labels',
      'spec.template.spec.containers[0].image'
    ])
    expect(causes[2].message).toBe(
      'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`'
    )
    expect(causes[1].message).toBe('Invalid value: -1: must be greater than or equal to 0')
  })

  it('refuses a changed Deployment selector, printing it as Go prints the struct (%#v)', async () => {
    const path = '/apis/apps/v1/namespaces/k8sdiff/deployments'
    const web = (app: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app } },
          spec: { containers: [{ name: 'web', image: 'web:1' }] }
        }
      }
    })
    await rawRequest(cluster, 'POST', path, web('web'))
    const a = await rawRequest(
      cluster,
      'PATCH',
      `${path}/web?fieldManager=k8sdiff&force=true`,
      web('web2'),
      'application/apply-patch+yaml'
    )
    expect(a.status).toBe(422)
    expect((a.body as { message: string }).message).toBe(
      'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'
    )
  })
})
