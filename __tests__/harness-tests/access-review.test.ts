import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'
import { readManifest } from '../conformance/recording.js'

const REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'

describe('test cluster: SelfSubjectAccessReview (kubectl auth can-i)', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false, namespace: 'k8sdiff' })
  })
  afterEach(() => cluster.stop())

  const review = async () => {
    const a = await rawRequest(cluster, 'POST', REVIEWS, readManifest('ssar.json'))
    expect(a.status).toBe(201)
    return (a.body as { status: { allowed: boolean } }).status.allowed
  }

  it('answers allowed when no Role is enforced', async () => {
    expect(await review()).toBe(true)
  })

  it("answers with the enforced Role's decision, and is itself always allowed", async () => {
    cluster.enforceRole({
      metadata: { name: 'deployer', namespace: 'k8sdiff' },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }]
    })
    expect(await review()).toBe(false)
    cluster.enforceRole({
      metadata: { name: 'deployer', namespace: 'k8sdiff' },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] }]
    })
    expect(await review()).toBe(true)
  })

  it('names the RoleBinding, Role and ServiceAccount that allow, as RBAC describes them', async () => {
    cluster.enforceRole({
      metadata: { name: 'deployer', namespace: 'k8sdiff' },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] }]
    })
    const a = await rawRequest(cluster, 'POST', REVIEWS, readManifest('ssar.json'))
    expect((a.body as { status: Record<string, unknown> }).status).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "deployer/k8sdiff" of Role "deployer" to ServiceAccount "deployer/k8sdiff"'
    })
  })
})
