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
})
