/**
 * Who a request is when it carries no bearer token: kube-apiserver's anonymous authenticator makes
 * it system:anonymous (a bad token is 401 and never anonymous), and RBAC forbids it everything but
 * the public info paths (system:public-info-viewer), in responsewriters.Forbidden's words.
 */
import { startTestCluster, type TestCluster } from '../harness/cluster.js'

describe('test cluster: requests without credentials', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
  })
  afterEach(() => cluster.stop())

  const anonymous = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(cluster.url + path, { headers })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('forbids system:anonymous a resource, naming it and the namespace', async () => {
    const a = await anonymous('/api/v1/namespaces/default/configmaps')
    expect(a.status).toBe(403)
    expect(a.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "default"',
      reason: 'Forbidden',
      details: { kind: 'configmaps' },
      code: 403
    })
  })

  it('forbids system:anonymous a path that is no resource, naming the path', async () => {
    const a = await anonymous('/apis')
    expect(a.status).toBe(403)
    expect(a.body).toMatchObject({
      message: 'forbidden: User "system:anonymous" cannot get path "/apis"',
      details: {}
    })
  })

  it('takes a credential that is not a bearer token as anonymous', async () => {
    const a = await anonymous('/apis/apps/v1/namespaces/default/deployments/web', {
      authorization: 'Basic dXNlcjpwYXNz'
    })
    expect(a.status).toBe(403)
    expect(a.body.message).toBe(
      'deployments.apps "web" is forbidden: User "system:anonymous" cannot get resource "deployments" in API group "apps" in the namespace "default"'
    )
  })

  it('lets system:anonymous read the version', async () => {
    const a = await anonymous('/version')
    expect(a.status).toBe(200)
    expect(a.body.gitVersion).toBe('v1.36.3')
  })
})
