/** Conformance cases. Reads and refusals: missing objects, selectors, HTTP errors, watch and list versions, the pod proxy. */
import { readManifestText } from './recording.js'
import { applyManifest, bodyOf, call, inNamespace, type Answer, type Entry } from './scenario.js'
import { readManifest } from './recording.js'

interface List {
  kind?: string
  metadata: { continue?: string; resourceVersion?: string; remainingItemCount?: number }
  items: { metadata: { name: string } }[]
}

/** What the recordings' jq shows of a list: item names, without the CA bundles every namespace gets. */
function names(a: Answer): string[] {
  return bodyOf<List>(a)
    .items.map(i => i.metadata.name)
    .filter(n => n !== 'kube-root-ca.crt' && n !== 'openshift-service-ca.crt')
}

function pod(ns: string, name: string, labels: Record<string, string>): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'registry.example.com/k8sdiff/web:v1' }] }
  }
}

export const readsCases: Record<string, Entry> = {
  '20-get-missing.txt': async (c, ns) => {
    const deploy = await call(c, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/nosuch`)
    const cm = await call(c, 'GET', `/api/v1/namespaces/${ns}/configmaps/nosuch`)
    // kubectl get deploy -n nosuchns: an empty list, not an error.
    const list = await call(c, 'GET', '/apis/apps/v1/namespaces/nosuchns/deployments')
    expect(list.status).toBe(200)
    expect(bodyOf<List>(list).items).toEqual([])
    const inMissing = await call(c, 'GET', '/apis/apps/v1/namespaces/nosuchns/deployments/x')
    return [deploy, cm, inMissing]
  },

  '25-bad-label-selector.txt': async (c, ns) => {
    for (const [name, labels] of [
      ['web-a', { app: 'web' }],
      ['web-b', { app: 'web', tier: 'front' }],
      ['web-db', { app: 'web', tier: 'db' }]
    ] as const)
      await call(c, 'POST', `/api/v1/namespaces/${ns}/pods`, pod(ns, name, labels))
    const sel = (s: string) =>
      call(c, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(s)}`)
    const unclosed = await sel('app in (web')
    const doubled = await sel('!!app')
    const good = await sel('app=web,tier notin (db)')
    expect(names(good)).toHaveLength(2)
    return [unclosed, doubled]
  },

  '26-bad-field-selector.txt': async (c, ns) => [
    await call(c, 'GET', `/api/v1/namespaces/${ns}/pods?fieldSelector=spec.foo%3Dbar`),
    await call(
      c,
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments?fieldSelector=status.replicas%3D2`
    )
  ],

  '27-http-errors.txt': async (c, ns) => {
    const cms = `/api/v1/namespaces/${ns}/configmaps`
    await call(c, 'POST', cms, { metadata: { name: 'web-config' }, data: { a: 'b' } })
    const answers = [
      await call(c, 'GET', cms, undefined, 'application/json', 'wrong-token'),
      await call(c, 'GET', `/api/v1/namespaces/${ns}/nosuchthings`),
      await call(c, 'GET', `/apis/nosuch.example.com/v1/namespaces/${ns}/things`),
      await call(c, 'POST', `${cms}/web-config`, { metadata: { name: 'web-config' } }),
      await call(c, 'PATCH', `${cms}/web-config`, '{"data":{"a":"c"}}', 'text/plain'),
      await call(c, 'POST', cms, '{not json\n'),
      await call(c, 'POST', cms, inNamespace(readManifest('cm-rv.json'), ns))
    ]
    const generated = await call(c, 'POST', cms, readManifestText('cm-gen.json'))
    const meta = bodyOf<{ metadata: { name: string; generateName: string } }>(generated).metadata
    answers.push({
      ...generated,
      body: { generateName: meta.generateName, name: meta.name }
    })
    return answers
  },

  '42-watch-too-old.txt': async (c, ns) => {
    await applyManifest(c, 'base.yaml', ns)
    // A watch from a compacted revision: 200, then one ERROR event with the 410 Status.
    const watch = await fetch(
      `${c.url}/api/v1/namespaces/${ns}/pods?watch=1&resourceVersion=1&timeoutSeconds=2`,
      { headers: { authorization: 'Bearer test-token' } }
    )
    expect(watch.status).toBe(200)
    const events = (await watch.text())
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as { type: string; object: Record<string, unknown> })
    expect(events).toHaveLength(1)
    expect(events[0].type).toBe('ERROR')
    expect(events[0].object).toEqual({
      apiVersion: 'v1',
      code: 410,
      kind: 'Status',
      message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/),
      metadata: {},
      reason: 'Expired',
      status: 'Failure'
    })
    const cms = `/api/v1/namespaces/${ns}/configmaps`
    const old = await call(c, 'GET', `${cms}?resourceVersion=1&resourceVersionMatch=Exact`)
    const s = bodyOf<{ items?: unknown[] } & Record<string, unknown>>(old)
    const exact = {
      ...old,
      body: {
        code: s.code,
        items: (s.items ?? []).length,
        kind: s.kind,
        message: s.message,
        reason: s.reason
      }
    }
    const cached = await call(c, 'GET', `${cms}?resourceVersion=0`)
    const fromCache = {
      ...cached,
      body: { items: names(cached), kind: bodyOf<List>(cached).kind }
    }
    // A watch from resourceVersion 0 starts with the current objects.
    const ctl = new AbortController()
    const w0 = await fetch(`${c.url}${cms}?watch=1&resourceVersion=0`, {
      headers: { authorization: 'Bearer test-token' },
      signal: ctl.signal
    })
    const reader = w0.body?.getReader()
    const first = await reader?.read()
    ctl.abort()
    expect(new TextDecoder().decode(first?.value)).toMatch(/^\{"type":"ADDED"/)
    return [exact, fromCache]
  },

  '44-list-chunking.txt': async (c, ns) => {
    const cms = `/api/v1/namespaces/${ns}/configmaps`
    await call(c, 'POST', cms, { metadata: { name: 'web-config' }, data: { greeting: 'hello' } })
    for (const name of ['page-1', 'page-2', 'page-3'])
      await call(c, 'POST', cms, { metadata: { name, labels: { page: 'yes' } } })
    const pages: Answer[] = []
    let token: string | undefined
    do {
      const q = `limit=1&labelSelector=page%3Dyes${token ? `&continue=${token}` : ''}`
      const a = await call(c, 'GET', `${cms}?${q}`)
      const l = bodyOf<List>(a)
      pages.push({ ...a, body: { kind: l.kind, items: names(a), metadata: l.metadata } })
      token = l.metadata.continue
    } while (token)
    expect(pages.flatMap(p => (p.body as { items: string[] }).items)).toEqual([
      'page-1',
      'page-2',
      'page-3'
    ])
    // Every page is read at the first page's revision.
    const revisions = new Set(pages.map(p => (p.body as List).metadata.resourceVersion))
    expect(revisions.size).toBe(1)
    const bad = await call(c, 'GET', `${cms}?limit=1&continue=bm9wZQ`)
    return [...pages, bad]
  },

  '49-pod-proxy.txt': {
    replay: async (c, ns) => {
      await applyManifest(c, 'base.yaml', ns)
      await c.settle()
      const pods = bodyOf<List>(await call(c, 'GET', `/api/v1/namespaces/${ns}/pods`)).items
      const name = pods[0].metadata.name
      const proxy = (id: string, rest: string, method = 'GET', body?: string) =>
        call(c, method, `/api/v1/namespaces/${ns}/pods/${id}/proxy/${rest}`, body, 'text/plain')
      const refused =
        /^error trying to reach service: dial tcp [\d.]+:18080: connect: connection refused$/
      for (const id of [`${name}:18080`, name, `http:${name}:18080`]) {
        const a = await proxy(id, 'health')
        expect(a.status).toBe(503)
        expect(bodyOf(a).message).toMatch(refused)
      }
      const echo = await proxy(`${name}:18080`, 'echo/a?x=1&y=2')
      expect(echo.status).toBe(503)
      const one = await proxy(`${name}:1`, 'health')
      expect(bodyOf(one).message).toMatch(/dial tcp [\d.]+:1: connect: connection refused$/)
      // A port name is not resolved: the connection breaks, no HTTP answer.
      await expect(proxy(`${name}:http`, 'health')).rejects.toThrow()
      const missing = await proxy('nosuch:18080', 'health')
      expect(missing.status).toBe(404)
      expect(bodyOf(missing).message).toBe('pods "nosuch" not found')
      // The service proxy resolves the named port through the Endpoints.
      const svc = await call(c, 'GET', `/api/v1/namespaces/${ns}/services/web:http/proxy/health`)
      expect(svc.status).toBe(503)
      expect(bodyOf(svc).message).toMatch(refused)
      const posted = await proxy(`${name}:18080`, 'echo', 'POST', 'hello')
      return [{ ...posted, contentType: '' }, await proxy(`${name}:18080`, 'health')]
    }
  }
}
