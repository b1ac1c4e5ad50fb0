/**
 * fieldValidation (Strict, Warn by default, Ignore) as kube-apiserver applies it to unknown and
 * repeated fields, worded as test/integration/apiserver/field_validation_test.go expects them.
 */
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest, type RawAnswer } from '../harness/raw.js'

const deployments = '/apis/apps/v1/namespaces/default/deployments'

/** A Deployment with unknown fields and repeated keys, as the upstream test sends it. */
const INVALID = `{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {"name": "dupename", "name": "web", "labels": {"app": "nginx"}, "unknownMeta": "x"},
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:1", "unknownNested": "v",
        "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}
    }
  }
}`

const IN_DOCUMENT_ORDER = [
  'duplicate field "metadata.name"',
  'unknown field "metadata.unknownMeta"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"',
  'duplicate field "spec.paused"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'duplicate field "spec.template.spec.containers[0].imagePullPolicy"'
]

/** The upstream merge patch: the patch's own repeats first, then what the result does not know. */
const PATCH = `{"spec": {"unknown1": "val1", "unknownDupe": "a", "unknownDupe": "b",
  "paused": true, "paused": false,
  "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1",
    "unknownNested": "v", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}}}`

const PATCH_ERRORS = [
  'duplicate field "spec.unknownDupe"',
  'duplicate field "spec.paused"',
  'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"'
]

const warningsOf = (a: RawAnswer): string[] =>
  (a.warnings ?? []).map(w => JSON.parse(w.replace(/^299 - /, '')) as string)

describe('test cluster: field validation of request bodies', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
  })
  afterEach(() => cluster.stop())

  const valid = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1' }] }
      }
    }
  })

  it('refuses a create with Strict, naming unknown and repeated fields in document order', async () => {
    const a = await rawRequest(cluster, 'POST', `${deployments}?fieldValidation=Strict`, INVALID)
    expect(a.status).toBe(400)
    expect(a.body).toMatchObject({
      reason: 'BadRequest',
      message: `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ${IN_DOCUMENT_ORDER.join(', ')}`
    })
  })

  it('creates by default, with one warning per unknown or repeated field', async () => {
    const a = await rawRequest(cluster, 'POST', deployments, INVALID)
    expect(a.status).toBe(201)
    expect(warningsOf(a)).toEqual(IN_DOCUMENT_ORDER)
  })

  it('keeps the last of repeated values, as Go decodes them', async () => {
    const a = await rawRequest(cluster, 'POST', deployments, INVALID)
    const d = a.body as { metadata: { name: string }; spec: { paused: boolean } }
    expect([d.metadata.name, d.spec.paused]).toEqual(['web', false])
  })

  it('says nothing with fieldValidation=Ignore', async () => {
    const a = await rawRequest(cluster, 'POST', `${deployments}?fieldValidation=Ignore`, INVALID)
    expect(a.status).toBe(201)
    expect(a.warnings).toBeUndefined()
  })

  it('refuses a Strict merge patch with 422 on `patch`, the patch’s repeats before the unknown fields', async () => {
    await rawRequest(cluster, 'POST', deployments, valid('web'))
    const a = await rawRequest(
      cluster,
      'PATCH',
      `${deployments}/web?fieldValidation=Strict`,
      PATCH,
      'application/merge-patch+json'
    )
    expect(a.status).toBe(422)
    const s = a.body as { message: string; details: { causes: Record<string, string>[] } }
    expect(s.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'patch',
        message: expect.stringMatching(/^Invalid value: "\{.*\}": strict decoding error: /)
      }
    ])
    expect(s.message.endsWith(`strict decoding error: ${PATCH_ERRORS.join(', ')}`)).toBe(true)
    expect(s.message.startsWith(' "" is invalid: patch: Invalid value: ')).toBe(true)
  })

  it('warns of a merge patch’s repeated and unknown fields by default and applies it', async () => {
    await rawRequest(cluster, 'POST', deployments, valid('web'))
    const a = await rawRequest(
      cluster,
      'PATCH',
      `${deployments}/web`,
      PATCH,
      'application/merge-patch+json'
    )
    expect(a.status).toBe(200)
    expect(warningsOf(a)).toEqual(PATCH_ERRORS)
  })

  it('quotes a strategic merge patch as Go prints a map when Strict refuses it', async () => {
    await rawRequest(cluster, 'POST', deployments, valid('web'))
    const a = await rawRequest(
      cluster,
      'PATCH',
      `${deployments}/web?fieldValidation=Strict`,
      { spec: { foo: 1 } },
      'application/strategic-merge-patch+json'
    )
    expect(a.status).toBe(422)
    expect((a.body as { message: string }).message).toBe(
      ' "" is invalid: patch: Invalid value: "map[spec:map[foo:1]]": strict decoding error: unknown field "spec.foo"'
    )
  })

  it('warns of a JSON patch operation’s unknown and repeated keys before the result’s', async () => {
    await rawRequest(cluster, 'POST', deployments, valid('web'))
    const ops = `[{"op": "add", "path": "/spec/unknown1", "value": "v", "foo": "bar"},
      {"op": "add", "path": "/spec/unknown2", "path": "/spec/unknown3", "value": "v"}]`
    const a = await rawRequest(
      cluster,
      'PATCH',
      `${deployments}/web`,
      ops,
      'application/json-patch+json'
    )
    expect(warningsOf(a)).toEqual([
      'json patch unknown field "[0].foo"',
      'json patch duplicate field "[1].path"',
      'unknown field "spec.unknown1"',
      'unknown field "spec.unknown3"'
    ])
  })

  const applyBody = `{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "web"
  },
  "spec": {
    "paused": false,
    "paused": true,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {"metadata": {"labels": {"app": "nginx"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:1"}]}}
  }
}`

  it('refuses a Strict apply whose body repeats a key, in go-yaml’s words with its line', async () => {
    const a = await rawRequest(
      cluster,
      'PATCH',
      `${deployments}/web?fieldManager=m&fieldValidation=Strict`,
      applyBody,
      'application/apply-patch+yaml'
    )
    expect(a.status).toBe(400)
    expect((a.body as { message: string }).message).toBe(
      'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 9: key "paused" already set in map'
    )
  })

  it('applies a YAML body with a repeated key by default, warning with its line', async () => {
    const yaml =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  a: "1"\n  a: "2"\n'
    const a = await rawRequest(
      cluster,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/y?fieldManager=m',
      yaml,
      'application/apply-patch+yaml'
    )
    expect(a.status).toBe(201)
    expect(warningsOf(a)).toEqual(['line 7: key "a" already set in map'])
    expect((a.body as { data: Record<string, string> }).data).toEqual({ a: '2' })
  })
})
