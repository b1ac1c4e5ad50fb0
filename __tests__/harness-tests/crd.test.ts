import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'

interface Answer {
  status: number
  warning: string | null
  body: Record<string, unknown> & {
    message?: string
    metadata?: Record<string, unknown> & { generation?: number; resourceVersion?: string }
    spec?: Record<string, unknown>
    status?: Record<string, unknown>
  }
}

const G = '/apis/gateway.networking.k8s.io/v1'
const ROUTES = `${G}/namespaces/shop/httproutes`

function route(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name },
    spec: {
      parentRefs: [{ name: 'gw' }],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
      ...spec
    }
  }
}

describe('test cluster: custom resources from the Gateway API CRDs', () => {
  let cluster: TestCluster
  const call = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const a = await rawRequest(cluster, method, path, body, contentType)
    return { ...a, warning: a.warnings?.join(', ') ?? null, body: a.body as Answer['body'] }
  }

  beforeEach(async () => {
    cluster = await startTestCluster({
      gatewayApi: { controller: false },
      namespace: 'shop',
      controllers: false
    })
  })
  afterEach(() => cluster.stop())

  it('serves the CRDs kinds in discovery, with their status subresource', async () => {
    const list = await call('GET', G)
    const names = (list.body.resources as { name: string }[]).map(r => r.name)
    expect(names).toEqual(expect.arrayContaining(['httproutes', 'httproutes/status', 'gateways']))
    const group = await call('GET', '/apis/gateway.networking.k8s.io')
    expect(group.body.preferredVersion).toEqual({
      groupVersion: 'gateway.networking.k8s.io/v1',
      version: 'v1'
    })
    const crd = await call(
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/httproutes.gateway.networking.k8s.io'
    )
    expect(crd.status).toBe(200)
  })

  it('applies the schema defaults and prunes unknown fields with a warning', async () => {
    const created = await call('POST', ROUTES, route('web', { extra: true }))
    expect(created.status).toBe(201)
    expect(created.warning).toBe('299 - "unknown field \\"spec.extra\\""')
    expect(created.body.spec).toEqual({
      parentRefs: [{ name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' }],
      rules: [
        {
          backendRefs: [{ name: 'web', port: 80, group: '', kind: 'Service', weight: 1 }],
          matches: [{ path: { type: 'PathPrefix', value: '/' } }]
        }
      ]
    })
    expect(created.body.metadata?.generation).toBe(1)
  })

  it('refuses a wrong type, a pattern mismatch and a failed CEL rule in apiextensions words', async () => {
    const bad = await call(
      'POST',
      ROUTES,
      route('bad', {
        parentRefs: [{ name: 'gw', port: '80' }],
        hostnames: ['Bad_Host'],
        rules: [{ backendRefs: [{ name: 'web' }] }]
      })
    )
    expect(bad.status).toBe(422)
    expect(bad.body.message).toBe(
      'HTTPRoute.gateway.networking.k8s.io "bad" is invalid: [' +
        'spec.parentRefs[0].port: Invalid value: "string": spec.parentRefs[0].port in body must be of type integer: "string", ' +
        'spec.hostnames[0]: Invalid value: "Bad_Host": spec.hostnames[0] in body should match \'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$\', ' +
        'spec.rules[0].backendRefs[0]: Invalid value: "object": Must have port for Service reference]'
    )
    expect((await call('GET', `${ROUTES}/bad`)).status).toBe(404)
  })

  it('evaluates the CEL rules of parentRefs (unique parents) and path matches', async () => {
    const bad = await call(
      'POST',
      ROUTES,
      route('bad', {
        parentRefs: [{ name: 'gw' }, { name: 'gw' }],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: 'no-slash' } }],
            backendRefs: [{ name: 'web', port: 80 }]
          }
        ]
      })
    )
    const causes = (bad.body.details as { causes: Record<string, string>[] }).causes
    expect(causes).toEqual(
      expect.arrayContaining([
        {
          reason: 'FieldValueInvalid',
          message:
            'Invalid value: "array": sectionName must be unique when parentRefs includes 2 or more references to the same parent',
          field: 'spec.parentRefs'
        },
        {
          reason: 'FieldValueInvalid',
          message:
            "Invalid value: \"object\": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
          field: 'spec.rules[0].matches[0].path'
        }
      ])
    )
  })

  it('refuses an enum value, too many items and a missing required field', async () => {
    const bad = await call(
      'POST',
      ROUTES,
      route('bad', {
        parentRefs: Array.from({ length: 33 }, (_, i) => ({ name: `gw-${i}` })),
        rules: [
          {
            matches: [{ path: { type: 'Glob', value: '/' } }],
            backendRefs: [{ port: 80 }]
          }
        ]
      })
    )
    const causes = (bad.body.details as { causes: Record<string, string>[] }).causes
    expect(causes).toEqual(
      expect.arrayContaining([
        {
          reason: 'FieldValueTooMany',
          message: 'Too many: 33: must have at most 32 items',
          field: 'spec.parentRefs'
        },
        {
          reason: 'FieldValueNotSupported',
          message:
            'Unsupported value: "Glob": supported values: "Exact", "PathPrefix", "RegularExpression"',
          field: 'spec.rules[0].matches[0].path.type'
        },
        {
          reason: 'FieldValueRequired',
          message: 'Required value',
          field: 'spec.rules[0].backendRefs[0].name'
        }
      ])
    )
  })

  it('refuses a PUT without resourceVersion, as for every custom resource', async () => {
    await call('POST', ROUTES, route('web'))
    const put = await call('PUT', `${ROUTES}/web`, route('web'))
    expect(put.status).toBe(422)
    expect(put.body.message).toBe(
      'httproutes.gateway.networking.k8s.io "web" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update'
    )
  })

  it('bumps the generation on spec changes only, and splits spec from status', async () => {
    await call('POST', ROUTES, route('web'))
    const MERGE = 'application/merge-patch+json'
    const labelled = await call(
      'PATCH',
      `${ROUTES}/web`,
      { metadata: { labels: { a: 'b' } } },
      MERGE
    )
    expect(labelled.body.metadata?.generation).toBe(1)
    const parents = [
      {
        parentRef: { name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' },
        controllerName: 'example.com/other',
        conditions: [
          {
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'ok',
            lastTransitionTime: '2026-01-01T00:00:00Z'
          }
        ]
      }
    ]
    const viaMain = await call('PATCH', `${ROUTES}/web`, { status: { parents } }, MERGE)
    expect(viaMain.body.status).toBeUndefined()
    const viaStatus = await call(
      'PATCH',
      `${ROUTES}/web/status`,
      { status: { parents }, spec: { hostnames: ['x.example.com'] } },
      MERGE
    )
    expect(viaStatus.body.status).toEqual({ parents })
    expect(viaStatus.body.spec?.hostnames).toBeUndefined()
    expect(viaStatus.body.metadata?.generation).toBe(1)
    const changed = await call(
      'PATCH',
      `${ROUTES}/web`,
      { spec: { hostnames: ['x.example.com'] } },
      MERGE
    )
    expect(changed.body.metadata?.generation).toBe(2)
  })

  it('treats a list without x-kubernetes-list-type as atomic for server-side apply', async () => {
    const APPLY = 'application/apply-patch+yaml'
    const mine = await call('PATCH', `${ROUTES}/web?fieldManager=user`, route('web'), APPLY)
    expect(mine.status).toBe(201)
    const fields = (mine.body.metadata?.managedFields as { fieldsV1: Record<string, unknown> }[])[0]
    expect(fields.fieldsV1).toEqual({ 'f:spec': { 'f:parentRefs': {}, 'f:rules': {} } })
    const theirs = await call(
      'PATCH',
      `${ROUTES}/web?fieldManager=canary-deploy`,
      route('web', { rules: [{ backendRefs: [{ name: 'web', port: 80, weight: 90 }] }] }),
      APPLY
    )
    expect(theirs.status).toBe(409)
    expect(theirs.body.message).toBe(
      'Apply failed with 1 conflict: conflict with "user": .spec.rules'
    )
  })

  it('refuses an applied route with a field the schema does not declare', async () => {
    const applied = await call(
      'PATCH',
      `${ROUTES}/web?fieldManager=user`,
      route('web', { rules: [{ backendRefs: [{ name: 'web', port: 80, wieght: 5 }] }] }),
      'application/apply-patch+yaml'
    )
    expect(applied.status).toBe(500)
    expect(applied.body.message).toBe(
      'failed to create typed patch object (shop/web; gateway.networking.k8s.io/v1, Kind=HTTPRoute): .spec.rules[0].backendRefs[0].wieght: field not declared in schema'
    )
  })

  it('refuses a strategic merge patch of a custom resource, as apiextensions does', async () => {
    await call('POST', ROUTES, route('web'))
    const smp = await call(
      'PATCH',
      `${ROUTES}/web`,
      { spec: { hostnames: ['x.example.com'] } },
      'application/strategic-merge-patch+json'
    )
    expect(smp.status).toBe(415)
    expect(smp.body.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml'
    )
  })

  it('serves the kind of a CRD created through the API', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { size: { type: 'integer', minimum: 1, default: 3 } }
                  }
                }
              }
            }
          }
        ]
      }
    }
    expect(
      (await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status
    ).toBe(201)
    const w = await call('POST', '/apis/example.com/v1/namespaces/shop/widgets', {
      metadata: { name: 'w' },
      spec: {}
    })
    expect(w.body.spec).toEqual({ size: 3 })
    const small = await call('POST', '/apis/example.com/v1/namespaces/shop/widgets', {
      metadata: { name: 's' },
      spec: { size: 0 }
    })
    expect(small.body.message).toBe(
      'Widget.example.com "s" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1'
    )
  })
})
