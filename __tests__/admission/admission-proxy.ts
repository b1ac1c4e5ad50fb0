/**
 * The ValidatingAdmissionPolicies of docs/rbac.yaml in front of the test cluster, for one identity:
 * an HTTP proxy that judges each write as kube-apiserver's admission chain would, then forwards it or
 * answers the denial. `object` is what the write would store (the same request sent first with
 * dryRun=All), `oldObject` what is stored now; a collection DELETE is judged object by object.
 * The test cluster itself does not evaluate CEL (issue 16); this is the test's stand-in.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestCluster } from '../harness/cluster.js'
import {
  admit,
  documented,
  type Operation,
  type ValidatingAdmissionPolicy,
  type ValidatingAdmissionPolicyBinding
} from './policy.js'

export interface Denial {
  method: string
  path: string
  message: string
}

export interface AdmissionProxy {
  /** The test cluster's kubeconfig, pointed at the proxy. */
  kubeconfig: string
  /** Writes a policy judged (matched), allowed or not. */
  judged: { method: string; path: string; operation: Operation }[]
  denials: Denial[]
  stop(): Promise<void>
}

const RESOURCE_PATH =
  /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/

interface Upstream {
  status: number
  headers: IncomingMessage['headers']
  body: Buffer
}

type Json = Record<string, unknown>

function parseJson(body: Buffer): Json | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    return typeof value === 'object' && value !== null ? (value as Json) : null
  } catch {
    return null
  }
}

export async function startAdmissionProxy(
  cluster: TestCluster,
  username: string
): Promise<AdmissionProxy> {
  const upstream = new URL(cluster.url)
  const policies = documented<ValidatingAdmissionPolicy>('ValidatingAdmissionPolicy')
  const bindings = documented<ValidatingAdmissionPolicyBinding>('ValidatingAdmissionPolicyBinding')
  const judged: AdmissionProxy['judged'] = []
  const denials: Denial[] = []

  const send = (
    method: string,
    path: string,
    headers: IncomingMessage['headers'],
    body?: Buffer
  ): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: upstream.hostname, port: upstream.port, method, path, headers },
        res => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks)
            })
          )
          res.on('error', reject)
        }
      )
      req.on('error', reject)
      req.end(body)
    })

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const url = new URL(req.url ?? '/', upstream)
      const headers = { ...req.headers, host: upstream.host }
      const forward = () => {
        // Streamed, so watches stay open as long as the cluster keeps them.
        const out = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers
          },
          answer => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          }
        )
        out.on('error', () => res.destroy())
        res.on('close', () => out.destroy())
        out.end(body)
      }
      const match = RESOURCE_PATH.exec(url.pathname)
      const method = req.method ?? 'GET'
      if (!match || !['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) return forward()
      const [, coreVersion, group = '', groupVersion, namespace, resource, pathName, subResource] =
        match
      const version = coreVersion ?? groupVersion
      judge({
        method,
        url,
        headers,
        body,
        group,
        version,
        namespace,
        resource,
        pathName,
        subResource
      })
        .then(denial => {
          if (!denial) return forward()
          denials.push({ method, path: url.pathname, message: denial.message })
          res.writeHead(denial.status, { 'Content-Type': 'application/json' })
          res.end(JSON.stringify(denial.body))
        })
        .catch(() => forward())
    })
  })

  interface Write {
    method: string
    url: URL
    headers: IncomingMessage['headers']
    body: Buffer
    group: string
    version: string
    namespace: string
    resource: string
    pathName?: string
    subResource?: string
  }

  /** The denial to answer with, or undefined to let the write through. */
  async function judge(
    w: Write
  ): Promise<{ status: number; message: string; body: Json } | undefined> {
    const readHeaders = { authorization: w.headers.authorization ?? '', accept: 'application/json' }
    const dryRun = w.url.searchParams.get('dryRun') === 'All'
    const decide = (
      operation: Operation,
      name: string,
      object: Json | null,
      oldObject: Json | null
    ) => {
      for (const policy of policies) {
        const binding = bindings.find(b => b.spec.policyName === policy.metadata.name)
        if (!binding) continue
        const decision = admit(policy, binding, {
          operation,
          group: w.group,
          version: w.version,
          resource: w.resource,
          subResource: w.subResource ?? '',
          name,
          namespace: w.namespace,
          username,
          dryRun,
          object,
          oldObject
        })
        if (decision.matched) judged.push({ method: w.method, path: w.url.pathname, operation })
        if (!decision.allowed) {
          const qualified = w.group ? `${w.resource}.${w.group}` : w.resource
          const message = `${qualified} "${name}" is forbidden: ${decision.message}`
          return {
            status: decision.status,
            message,
            body: {
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Failure',
              message,
              reason: decision.status === 403 ? 'Forbidden' : 'Invalid',
              details: { name, group: w.group, kind: w.resource, causes: [{ message }] },
              code: decision.status
            }
          }
        }
      }
      return undefined
    }

    if (w.method === 'DELETE' && !w.pathName) {
      const list = parseJson(
        (await send('GET', `${w.url.pathname}${w.url.search}`, readHeaders)).body
      )
      const items = Array.isArray(list?.items) ? (list.items as Json[]) : []
      for (const item of items) {
        const name = (item.metadata as { name?: string } | undefined)?.name ?? ''
        const denial = decide('DELETE', name, null, item)
        if (denial) return denial
      }
      return undefined
    }
    const objectPath = w.url.pathname
    const current = w.pathName ? await send('GET', objectPath, readHeaders) : undefined
    const oldObject = current && current.status === 200 ? parseJson(current.body) : null
    if (w.method === 'DELETE') {
      return oldObject ? decide('DELETE', w.pathName ?? '', null, oldObject) : undefined
    }
    const probe = new URL(w.url)
    probe.searchParams.set('dryRun', 'All')
    const dry = await send(w.method, `${probe.pathname}${probe.search}`, w.headers, w.body)
    // The cluster refuses it anyway (invalid, forbidden): let the real request get that answer.
    if (dry.status >= 300) return undefined
    const object = parseJson(dry.body)
    const name = (object?.metadata as { name?: string } | undefined)?.name ?? w.pathName ?? ''
    return decide(oldObject ? 'UPDATE' : 'CREATE', name, object, oldObject)
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    kubeconfig: cluster.kubeconfig.replace(cluster.url, `http://127.0.0.1:${port}`),
    judged,
    denials,
    stop: () =>
      new Promise(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
