/**
 * The API server's proxy subresources, as pkg/registry/core/{pod,service} locate their target:
 * - pods/[scheme:]NAME[:PORT]/proxy: the pod IP and the port as given (a number; no port: the
 *   first declared container port); a port name is not resolved and the connection breaks
 *   (recording 49); a pod IP that is not global unicast is `address not allowed`.
 * - services/[scheme:]NAME[:PORT]/proxy: a port number is first mapped to the Service port's name;
 *   the Endpoints are searched for a subset with a ready address and a port of that name; only
 *   addresses that are pods of the namespace holding that IP are used (isValidAddress); none:
 *   503 `no endpoints available for service "x"`.
 * The dial: a pod run by the test kubelet is reached at its server's local port, a loopback
 * address as itself (a real local process, e.g. Prometheus), anything else is refused.
 * https://kubernetes.io/docs/tasks/access-application-cluster/access-cluster-services/#manually-constructing-apiserver-proxy-urls
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import type { Api } from './api.js'
import type { ResourceType } from './resources.js'
import type { PodRuntime } from './server.js'
import { badRequest, failure, StatusError } from './status.js'
import { isRecord, type Pod } from './types.js'

export interface ProxyTarget {
  scheme: 'http' | 'https'
  ip: string
  port: string
}

/** The dial cannot be made and the client sees a dropped connection, no HTTP answer. */
export class BrokenConnection extends Error {}

/** utilnet.SplitSchemeNamePort */
function splitSchemeNamePort(
  id: string
): { scheme: 'http' | 'https'; name: string; port: string } | undefined {
  const parts = id.split(':')
  let scheme = ''
  let name: string
  let port = ''
  if (parts.length === 1) name = parts[0]
  else if (parts.length === 2) [name, port] = parts
  else if (parts.length === 3) [scheme, name, port] = parts
  else return undefined
  if (!name || !['', 'http', 'https'].includes(scheme)) return undefined
  return { scheme: scheme === 'https' ? 'https' : 'http', name, port }
}

function unavailable(message: string): StatusError {
  return new StatusError(failure(503, 'ServiceUnavailable', message))
}

function podIPs(pod: Pod): string[] {
  const listed = (isRecord(pod.status) && Array.isArray(pod.status.podIPs) ? pod.status.podIPs : [])
    .map(p => (isRecord(p) && typeof p.ip === 'string' ? p.ip : ''))
    .filter(Boolean)
  if (listed.length === 0 && pod.status?.podIP) listed.push(pod.status.podIP)
  return listed
}

/** net.IP.IsGlobalUnicast for IPv4: not loopback, link-local, multicast, broadcast or unspecified. */
function globalUnicast(ip: string): boolean {
  if (isIP(ip) !== 4) return isIP(ip) === 6 && !/^(::1?|fe80:|ff)/i.test(ip)
  const [a, b] = ip.split('.').map(Number)
  return !(a === 0 || a === 127 || (a === 169 && b === 254) || a >= 224)
}

export function podTarget(
  api: Api,
  t: ResourceType,
  ns: string | undefined,
  id: string
): ProxyTarget {
  const parts = splitSchemeNamePort(id)
  if (!parts) throw badRequest(`invalid pod request ${JSON.stringify(id)}`)
  const pod = api.get(t, ns, parts.name) as Pod
  let port = parts.port
  if (port === '') {
    const first = pod.spec.containers.find(c => (c.ports ?? []).length > 0)?.ports?.[0]
    if (first) port = String(first.containerPort)
  }
  const ip = podIPs(pod)[0] ?? ''
  if (!globalUnicast(ip)) throw badRequest('address not allowed')
  if (port !== '' && !/^[0-9]+$/.test(port)) throw new BrokenConnection()
  return { scheme: parts.scheme, ip, port: port || '80' }
}

export function serviceTarget(api: Api, ns: string, id: string): ProxyTarget {
  const parts = splitSchemeNamePort(id)
  if (!parts) throw badRequest(`invalid service request ${JSON.stringify(id)}`)
  const { name } = parts
  let portName = parts.port
  if (/^[0-9]+$/.test(portName)) {
    const svc = api.get(api.kindOf('Service'), ns, name)
    const ports = isRecord(svc.spec) && Array.isArray(svc.spec.ports) ? svc.spec.ports : []
    const found = ports.find(p => isRecord(p) && String(p.port) === portName)
    if (!isRecord(found))
      throw unavailable(`no service port ${portName} found for service ${JSON.stringify(name)}`)
    portName = typeof found.name === 'string' ? found.name : ''
  }
  const eps = api.get(api.kindOf('Endpoints'), ns, name)
  const subsets = Array.isArray(eps.subsets) ? eps.subsets.filter(isRecord) : []
  if (subsets.length === 0)
    throw unavailable(`no endpoints available for service ${JSON.stringify(name)}`)
  const podType = api.kindOf('Pod')
  for (const ss of subsets) {
    const addresses = Array.isArray(ss.addresses) ? ss.addresses.filter(isRecord) : []
    const ports = Array.isArray(ss.ports) ? ss.ports.filter(isRecord) : []
    const port = ports.find(p => (typeof p.name === 'string' ? p.name : '') === portName)
    if (!port || addresses.length === 0) continue
    for (const addr of addresses) {
      // isValidAddress: only addresses that are this namespace's pods, by IP.
      const ref = isRecord(addr.targetRef) ? addr.targetRef : undefined
      if (!ref || ref.namespace !== ns || typeof ref.name !== 'string') continue
      const pod = api.store.get(podType, ns, ref.name) as Pod | undefined
      if (!pod || !podIPs(pod).includes(String(addr.ip))) continue
      return { scheme: parts.scheme, ip: String(addr.ip), port: String(port.port) }
    }
  }
  throw unavailable(`no endpoints available for service ${JSON.stringify(id)}`)
}

/** Where the test cluster dials ip:port: a test kubelet pod's server, or a loopback process. */
function dialPort(
  api: Api,
  runtime: PodRuntime | undefined,
  target: ProxyTarget
): number | undefined {
  const pod = (api.store.list(api.kindOf('Pod')) as Pod[]).find(
    p => podIPs(p).includes(target.ip) && p.spec.nodeName
  )
  if (pod && !target.ip.startsWith('127.')) return runtime?.proxyPort(pod, target.port)
  if (target.ip.startsWith('127.')) return Number(target.port)
  return undefined
}

/** Go's dial error text for a Node socket error. */
function dialError(target: ProxyTarget, err: NodeJS.ErrnoException): string {
  const where = `dial tcp ${target.ip}:${target.port}`
  if (err.code === 'ECONNREFUSED') return `${where}: connect: connection refused`
  if (err.code === 'ETIMEDOUT') return `${where}: i/o timeout`
  return `${where}: ${err.message}`
}

/** Forwards method, path, query, headers and body; streams status, headers and body back. */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: ProxyTarget,
  path: string,
  q: URLSearchParams,
  api: Api,
  runtime: PodRuntime | undefined,
  fail: (e: StatusError) => void
): Promise<void> {
  const port = dialPort(api, runtime, target)
  if (port === undefined) {
    for await (const _ of req) {
      // discard
    }
    throw unavailable(
      `error trying to reach service: dial tcp ${target.ip}:${target.port}: connect: connection refused`
    )
  }
  const query = q.toString()
  const headers = { ...req.headers }
  delete headers.authorization
  delete headers.host
  const client = target.scheme === 'https' ? https : http
  await new Promise<void>(resolve => {
    const out = client.request(
      {
        host: target.ip.startsWith('127.') ? target.ip : '127.0.0.1',
        port,
        method: req.method,
        path: `${path}${query ? `?${query}` : ''}`,
        headers,
        // The apiserver's proxy transport does not verify backends' certificates.
        ...(target.scheme === 'https' ? { rejectUnauthorized: false } : {})
      },
      upstream => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers)
        upstream.pipe(res)
        upstream.on('end', resolve)
        upstream.on('error', () => resolve())
      }
    )
    out.on('error', (err: NodeJS.ErrnoException) => {
      fail(unavailable(`error trying to reach service: ${dialError(target, err)}`))
      resolve()
    })
    req.pipe(out)
  })
}
