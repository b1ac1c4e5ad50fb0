/**
 * The options and metadata kube-apiserver refuses before touching storage: ListOptions and
 * DeleteOptions validation, output negotiation (406), and ObjectMeta validation of generateName,
 * label keys and values, and the annotations' size.
 */
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'

const cms = '/api/v1/namespaces/default/configmaps'

function messageOf(body: unknown): string {
  return (body as { message: string }).message
}

describe('test cluster: request options and metadata refused as kube-apiserver refuses them', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
    await rawRequest(cluster, 'POST', cms, { metadata: { name: 'a' } })
  })
  afterEach(() => cluster.stop())

  it('refuses resourceVersionMatch=Exact with resourceVersion 0', async () => {
    const a = await rawRequest(
      cluster,
      'GET',
      `${cms}?resourceVersion=0&resourceVersionMatch=Exact`
    )
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'
    )
  })

  it('refuses an unknown resourceVersionMatch, naming the supported ones', async () => {
    const a = await rawRequest(
      cluster,
      'GET',
      `${cms}?resourceVersion=1&resourceVersionMatch=Newest`
    )
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'
    )
  })

  it('refuses resourceVersionMatch on a watch that is not a watch-list', async () => {
    const a = await rawRequest(
      cluster,
      'GET',
      `${cms}?watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan`
    )
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'
    )
  })

  it('refuses a continue token with a resourceVersion as a 400, after reading the token', async () => {
    const first = await rawRequest(cluster, 'POST', cms, { metadata: { name: 'b' } })
    expect(first.status).toBe(201)
    const page = await rawRequest(cluster, 'GET', `${cms}?limit=1`)
    const token = (page.body as { metadata: { continue: string } }).metadata.continue
    const a = await rawRequest(cluster, 'GET', `${cms}?limit=1&continue=${token}&resourceVersion=5`)
    expect(a.status).toBe(400)
    expect(messageOf(a.body)).toBe('specifying resource version is not allowed when using continue')
  })

  it('refuses a propagationPolicy it does not know, listing the supported ones', async () => {
    const a = await rawRequest(cluster, 'DELETE', `${cms}/a`, { propagationPolicy: 'Later' })
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Later": supported values: "Foreground", "Background", "Orphan", "nil"'
    )
    expect((await rawRequest(cluster, 'GET', `${cms}/a`)).status).toBe(200)
  })

  it('refuses orphanDependents together with propagationPolicy', async () => {
    const a = await rawRequest(cluster, 'DELETE', `${cms}/a`, {
      propagationPolicy: 'Background',
      orphanDependents: true
    })
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Background": orphanDependents and deletionPropagation cannot be both set'
    )
  })

  it('reads DeleteOptions from the body alone when there is one (the query is not read)', async () => {
    const a = await rawRequest(cluster, 'DELETE', `${cms}/a?dryRun=All`, { kind: 'DeleteOptions' })
    expect(a.status).toBe(200)
    expect((await rawRequest(cluster, 'GET', `${cms}/a`)).status).toBe(404)
  })

  it('answers a malformed DeleteOptions body with the decoder’s 500, without a reason', async () => {
    const a = await rawRequest(cluster, 'DELETE', `${cms}/a`, '{nope')
    expect(a.status).toBe(500)
    expect(a.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        "couldn't get version/kind; json parse error: invalid character 'n' looking for beginning of object key string",
      code: 500
    })
  })

  it('refuses a dryRun value other than All', async () => {
    const a = await rawRequest(cluster, 'DELETE', `${cms}/a?dryRun=Yes`)
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"'
    )
  })

  it('refuses a fieldValidation value it does not know before reading the body', async () => {
    const a = await rawRequest(cluster, 'POST', `${cms}?fieldValidation=Loose`, '{not json')
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"'
    )
  })

  it('reports every PatchOptions error at once: force on a merge patch and a bad dryRun', async () => {
    const a = await rawRequest(
      cluster,
      'PATCH',
      `${cms}/a?force=true&dryRun=Yes`,
      { data: { b: '1' } },
      'application/merge-patch+json'
    )
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: [force: Forbidden: may not be specified for non-apply patch, dryRun: Unsupported value: []string{"Yes"}: supported values: "All"]'
    )
  })

  it('answers 406 to an Accept header it cannot serve, naming what it writes', async () => {
    const res = await fetch(`${cluster.url}${cms}/a`, {
      headers: { authorization: 'Bearer test-token', accept: 'application/xml' }
    })
    expect(res.status).toBe(406)
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      reason: 'NotAcceptable',
      code: 406
    })
  })

  it('names a watch’s stream media types when its Accept cannot be served', async () => {
    const res = await fetch(`${cluster.url}${cms}?watch=1`, {
      headers: { authorization: 'Bearer test-token', accept: 'application/yaml' }
    })
    expect(res.status).toBe(406)
    expect(messageOf(await res.json())).toBe(
      'only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch'
    )
  })

  it('answers 405 to a PUT on a collection, as go-restful has no such route', async () => {
    const a = await rawRequest(cluster, 'PUT', cms, { metadata: { name: 'a' } })
    expect(a.status).toBe(405)
    expect(messageOf(a.body)).toBe(
      'the server does not allow this method on the requested resource'
    )
  })

  it('answers 405 to a DELETE on a status subresource', async () => {
    const a = await rawRequest(cluster, 'DELETE', '/api/v1/namespaces/default/pods/p/status')
    expect(a.status).toBe(405)
  })

  it('validates a generateName as a prefix and the name generated from it', async () => {
    const a = await rawRequest(cluster, 'POST', cms, { metadata: { generateName: 'Bad_' } })
    expect(a.status).toBe(422)
    const causes = (a.body as { details: { causes: { field: string; message: string }[] } }).details
      .causes
    expect(causes.map(c => c.field)).toEqual(['metadata.generateName', 'metadata.name'])
    expect(causes[0].message).toMatch(/^Invalid value: "Bad_": a lowercase RFC 1123 subdomain/)
  })

  it('accepts a generateName ending in a dash', async () => {
    const a = await rawRequest(cluster, 'POST', cms, { metadata: { generateName: 'web-' } })
    expect(a.status).toBe(201)
    expect((a.body as { metadata: { name: string } }).metadata.name).toMatch(/^web-[a-z0-9]{5}$/)
  })

  it('refuses annotations over 256 kB in all as Too long', async () => {
    const a = await rawRequest(cluster, 'POST', cms, {
      metadata: { name: 'big', annotations: { a: 'x'.repeat(256 * 1024) } }
    })
    expect(a.status).toBe(422)
    expect(messageOf(a.body)).toBe(
      'ConfigMap "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes'
    )
    expect((a.body as { details: { causes: { reason: string }[] } }).details.causes[0].reason).toBe(
      'FieldValueTooLong'
    )
  })

  it('refuses a label key with two slashes as a qualified name', async () => {
    const a = await rawRequest(cluster, 'POST', cms, {
      metadata: { name: 'l', labels: { 'a/b/c': 'v' } }
    })
    expect(messageOf(a.body)).toBe(
      `ConfigMap "l" is invalid: metadata.labels: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`
    )
  })

  it('refuses a label value over 63 characters by its length', async () => {
    const long = 'v'.repeat(64)
    const a = await rawRequest(cluster, 'POST', cms, {
      metadata: { name: 'l', labels: { a: long } }
    })
    expect(messageOf(a.body)).toBe(
      `ConfigMap "l" is invalid: metadata.labels: Invalid value: "${long}": must be no more than 63 characters`
    )
  })
})
