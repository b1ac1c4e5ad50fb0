/**
 * The HTTP face of the test cluster: kube-apiserver's REST paths, bearer-token auth, request
 * recording, faults, and Status errors. The verbs themselves live in api.ts.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { parse as parseYaml } from 'yaml'
import { PATCH_TYPES, type Api } from './api.js'
import { FaultState } from './faults.js'
import { apiGroupList, apiResourceList, groupVersion, type ResourceType } from './resources.js'
import { parseGoJson } from './gojson.js'
import { listPage, validateListOptions } from './listing.js'
import { negotiateOutput } from './negotiation.js'
import { deleteOptions, validateWriteOptions } from './request-options.js'
import { toTable, wantsTable } from './table.js'
import { fieldSelector, labelSelector } from './selectors.js'
import { jsonPatch, mergePatch, strategicMerge } from './patch.js'
import {
  authorizationOf,
  authorize,
  authorizeCreateOnPatch,
  type Authorization,
  type RbacRole,
  type RequestAttributes
} from './rbac.js'
import { decodeAs } from './schema.js'
import {
  badRequest,
  failure,
  invalidAs,
  invalidValue,
  methodNotAllowed,
  pathNotFound,
  StatusError,
  unsupportedMediaType
} from './status.js'
import { isRecord, type KObject, type Pod } from './types.js'
import { WatchStream } from './watch.js'
import { BrokenConnection, forward, podTarget, serviceTarget, type ProxyTarget } from './proxy.js'

export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'proxy'
  | 'log'

export interface RequestRecord {
  method: string
  verb: Verb
  group: string
  version: string
  resource: string
  subresource?: string
  namespace?: string
  name?: string
  dryRun: boolean
  status: number
  contentType?: string
  fieldManager?: string
  /** What a write sent, as sent (tests read what a patch changed). */
  body?: string
}

export const MUTATING: Verb[] = ['create', 'update', 'patch', 'delete', 'deletecollection']

/** What the server asks of the kubelet for the pod subresources it serves. */
export interface PodRuntime {
  /** the text of GET .../log, or a StatusError */
  readLogs(pod: Pod, q: URLSearchParams): string
  /** the local port the server of the pod with this IP listens on for `port`, if it has one */
  proxyPort(pod: Pod, port: string | undefined): number | undefined
}

interface Route {
  group: string
  version: string
  resource?: ResourceType
  resourceName: string
  namespace?: string
  name?: string
  subresource?: string
  /** for proxy: the path after .../proxy */
  rest?: string
  legacyWatch: boolean
}

export interface ServerOptions {
  token: string
  bookmarkIntervalMs: number
}

export class ApiServer {
  readonly requests: RequestRecord[] = []
  readonly faults: FaultState
  private server: http.Server
  private readonly sockets = new Set<Socket>()
  private readonly watches = new Set<WatchStream>()
  private port = 0
  private refuseTimer: NodeJS.Timeout | undefined
  runtime: PodRuntime | undefined
  /** When set, every resource request is authorized against this Role for this user (rbac.ts). */
  rbac: { role: RbacRole; user: string } | undefined
  /** Every request the Role allowed (an apply that creates: its patch and its create), in order. */
  readonly authorized: Authorization[] = []
  /** Called for every request as soon as it is recorded, before latency, auth and faults. */
  readonly listeners = new Set<(record: RequestRecord) => void>()

  constructor(
    private readonly api: Api,
    private readonly opts: ServerOptions
  ) {
    this.faults = new FaultState({
      endWatches: () => this.endWatches(),
      refuseFor: ms => this.refuseFor(ms)
    })
    this.faults.onStallEnd = () => {
      for (const w of this.watches) w.flush()
    }
    this.server = this.createServer()
  }

  private createServer(): http.Server {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch(err => this.fail(res, err))
    })
    server.keepAliveTimeout = 1000
    server.on('connection', s => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    return server
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.port = (this.server.address() as AddressInfo).port
  }

  endWatches(): void {
    for (const w of [...this.watches]) w.end()
  }

  /**
   * How many watch streams are still open once closes in flight have landed: resolves as soon as
   * none is open, or with the count left after waitMs (a client's abort reaches the server as a
   * socket close, a moment after the client returned).
   */
  async openWatches(waitMs = 1000): Promise<number> {
    if (this.watches.size === 0) return 0
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, waitMs)
      const poll = setInterval(() => this.watches.size === 0 && done(), 5)
      function done(): void {
        clearTimeout(timer)
        clearInterval(poll)
        resolve()
      }
    })
    return this.watches.size
  }

  private refuseFor(ms: number): void {
    this.endWatches()
    this.server.close()
    for (const s of this.sockets) s.destroy()
    if (this.refuseTimer) clearTimeout(this.refuseTimer)
    this.refuseTimer = setTimeout(() => {
      this.refuseTimer = undefined
      this.server = this.createServer()
      this.listen(this.port).catch(() => undefined)
    }, ms)
  }

  async close(): Promise<void> {
    if (this.refuseTimer) clearTimeout(this.refuseTimer)
    this.faults.dispose()
    this.endWatches()
    for (const s of this.sockets) s.destroy()
    await new Promise<void>(resolve => {
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
    })
  }

  private send(
    res: ServerResponse,
    code: number,
    body: unknown,
    headers: Record<string, string> = {}
  ): void {
    if (res.headersSent) {
      res.end()
      return
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(code, {
      'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers
    })
    res.end(text)
  }

  /** Go's http.NotFound, as kube-apiserver's mux answers paths nobody serves. */
  private pageNotFound(res: ServerResponse): void {
    const text = '404 page not found\n'
    res.writeHead(404, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Content-Length': Buffer.byteLength(text)
    })
    res.end(text)
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (err instanceof StatusError) {
      this.send(res, err.code, err.status, err.headers)
      return
    }
    const message = err instanceof Error ? err.message : String(err)
    this.send(
      res,
      500,
      failure(500, 'InternalError', `Internal error occurred: ${message}`, {
        causes: [{ message }]
      })
    )
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const q = url.searchParams
    const route = this.route(url.pathname)
    const method = (req.method ?? 'GET').toUpperCase()
    const watch = route?.legacyWatch || q.get('watch') === 'true' || q.get('watch') === '1'
    const verb = verbOf(method, route, watch)
    const record: RequestRecord = {
      method,
      verb,
      group: route?.group ?? '',
      version: route?.version ?? '',
      resource: route?.resourceName ?? '',
      dryRun: q.get('dryRun') === 'All',
      status: 0
    }
    if (route?.subresource) record.subresource = route.subresource
    if (route?.namespace) record.namespace = route.namespace
    if (route?.name) record.name = route.name
    const ct = req.headers['content-type']
    if (ct) record.contentType = ct
    const fm = q.get('fieldManager')
    if (fm) record.fieldManager = fm
    this.requests.push(record)
    for (const listener of [...this.listeners]) listener(record)
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse
    res.writeHead = ((...args: unknown[]) => {
      record.status = Number(args[0])
      return writeHead(...args)
    }) as typeof res.writeHead

    if (this.faults.latencyMs > 0) await new Promise(r => setTimeout(r, this.faults.latencyMs))
    const auth = req.headers.authorization
    // A request without a bearer token is system:anonymous (anonymous auth is on by default), who
    // may read the public info paths (system:public-info-viewer) and is forbidden the rest by RBAC;
    // a bearer token nobody issued is 401 (it is never taken as anonymous).
    const anonymous = auth === undefined || !/^bearer /i.test(auth)
    const publicInfo = ['/version', '/healthz', '/livez', '/readyz'].includes(
      url.pathname.replace(/\/+$/, '')
    )
    if (anonymous && !publicInfo) {
      await drain(req)
      throw anonymousForbidden(url.pathname, method, route, watch)
    }
    if (!anonymous && auth !== `Bearer ${this.opts.token}`) {
      await drain(req)
      this.send(res, 401, failure(401, 'Unauthorized', 'Unauthorized'))
      return
    }
    const fault = this.faults.takeRequestFault()
    if (fault) {
      await drain(req)
      if (fault.kind === 'tooMany') {
        const s = failure(429, 'TooManyRequests', 'Too many requests, please try again later.', {
          retryAfterSeconds: fault.retryAfterSeconds
        })
        this.send(res, 429, s, { 'Retry-After': String(fault.retryAfterSeconds) })
      } else if (fault.code === 503) {
        this.send(
          res,
          503,
          failure(503, 'ServiceUnavailable', 'the server is currently unable to handle the request')
        )
      } else {
        this.send(
          res,
          500,
          failure(500, 'InternalError', 'Internal error occurred: injected fault')
        )
      }
      return
    }
    // Discovery is allowed to every authenticated user (the system:discovery ClusterRole).
    if (await this.discovery(url.pathname, res)) return
    if (!route || !route.resource) {
      await drain(req)
      // A group version nobody serves is the mux's plain 404; an unknown resource of a served
      // one is go-restful's, as a Status (recording 27).
      if (
        !route ||
        !this.api.registry.all().some(t => t.group === route.group && t.version === route.version)
      ) {
        this.pageNotFound(res)
        return
      }
      throw pathNotFound()
    }
    // Every authenticated user may review its own access (system:basic-user).
    const selfReview = route.resource.resource === 'selfsubjectaccessreviews'
    if (this.rbac && !selfReview) {
      const attributes: RequestAttributes = {
        user: this.rbac.user,
        verb: authorizationVerb(method, route, watch),
        group: route.group,
        resource: route.resource,
        subresource: route.subresource,
        // A namespace is addressed as itself: GET /api/v1/namespaces/shop is in namespace shop.
        namespace:
          route.resource.resource === 'namespaces' && route.namespace === undefined
            ? route.name
            : route.namespace,
        name: route.name
      }
      let denied = authorize(this.rbac.role, attributes)
      const allowed = denied ? [] : [authorizationOf(attributes)]
      // An apply that would create the object also needs create (handlers/patch.go withAuthorization).
      const applying = method === 'PATCH' && (ct ?? '').startsWith('application/apply-patch+yaml')
      const t = route.resource
      const ns = t.namespaced ? route.namespace : undefined
      if (
        !denied &&
        applying &&
        !route.subresource &&
        !this.api.store.get(t, ns, route.name ?? '')
      ) {
        const create = { ...attributes, verb: 'create' }
        denied = authorizeCreateOnPatch(this.rbac.role, create)
        allowed.push(authorizationOf(create))
      }
      if (denied) {
        await drain(req)
        throw denied
      }
      this.authorized.push(...allowed)
    }
    if (route.subresource === 'proxy') return this.proxy(req, res, route, q)
    if (route.subresource !== 'log') {
      try {
        negotiateOutput(req.headers.accept, verb === 'watch')
      } catch (e) {
        await drain(req)
        throw e
      }
    }
    const body = await readBody(req, method)
    if (MUTATING.includes(verb) && body) record.body = body
    await this.dispatch(res, route, route.resource, verb, q, body, ct ?? '')
  }

  private async discovery(path: string, res: ServerResponse): Promise<boolean> {
    const p = path.replace(/\/+$/, '') || '/'
    if (p === '/version') {
      this.send(res, 200, {
        major: '1',
        minor: '36',
        gitVersion: 'v1.36.3',
        gitCommit: 'test',
        gitTreeState: 'clean',
        buildDate: '2026-07-15T00:00:00Z',
        goVersion: 'go1.26.4',
        compiler: 'gc',
        platform: 'linux/amd64'
      })
      return true
    }
    if (p === '/healthz' || p === '/readyz' || p === '/livez') {
      this.send(res, 200, 'ok')
      return true
    }
    if (p === '/api') {
      this.send(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }
        ]
      })
      return true
    }
    if (p === '/apis') {
      this.send(res, 200, apiGroupList(this.api.registry.all()))
      return true
    }
    let m = /^\/api\/(v1)$/.exec(p)
    const list = m ? apiResourceList(this.api.registry.all(), '', m[1]) : undefined
    if (list) {
      this.send(res, 200, list)
      return true
    }
    m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p)
    if (m) {
      const l = apiResourceList(this.api.registry.all(), m[1], m[2])
      if (!l) this.pageNotFound(res)
      else this.send(res, 200, l)
      return true
    }
    m = /^\/apis\/([^/]+)$/.exec(p)
    if (m) {
      const g = (apiGroupList(this.api.registry.all()).groups as { name: string }[]).find(
        x => x.name === m?.[1]
      )
      if (!g) this.pageNotFound(res)
      else this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g })
      return true
    }
    return false
  }

  /** /api/v1/... and /apis/{group}/{version}/...; undefined when not an API path. */
  private route(path: string): Route | undefined {
    const segs = path
      .split('/')
      .filter(s => s !== '')
      .map(decodeURIComponent)
    let group: string
    let version: string
    let rest: string[]
    if (segs[0] === 'api' && segs.length >= 2) {
      group = ''
      version = segs[1]
      rest = segs.slice(2)
    } else if (segs[0] === 'apis' && segs.length >= 3) {
      group = segs[1]
      version = segs[2]
      rest = segs.slice(3)
    } else return undefined
    if (rest.length === 0) return undefined
    let legacyWatch = false
    if (rest[0] === 'watch') {
      legacyWatch = true
      rest = rest.slice(1)
    }
    let namespace: string | undefined
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1]
      rest = rest.slice(2)
    }
    const [resourceName, name, subresource, ...more] = rest
    const resource = this.api.registry.find(group, version, resourceName)
    const r: Route = { group, version, resource, resourceName, legacyWatch }
    if (namespace !== undefined) r.namespace = namespace
    if (name !== undefined) r.name = name
    if (subresource !== undefined) r.subresource = subresource
    if (subresource === 'proxy') r.rest = '/' + more.join('/')
    else if (more.length > 0) return { ...r, resource: undefined }
    // Namespaces are addressed as /api/v1/namespaces/{name}[/status].
    if (resourceName === 'namespaces' && namespace === undefined && name !== undefined)
      r.name = name
    return r
  }

  private async dispatch(
    res: ServerResponse,
    route: Route,
    t: ResourceType,
    verb: Verb,
    q: URLSearchParams,
    body: string,
    contentType: string
  ): Promise<void> {
    const ns = t.namespaced ? route.namespace : undefined
    const sub = route.subresource
    if (sub !== undefined && !t.subresources.includes(sub)) throw pathNotFound()
    const dryRun = q.get('dryRun') === 'All'
    const fieldManager = q.get('fieldManager') ?? undefined
    const forceParam = q.get('force')
    const force = forceParam === null ? undefined : forceParam === 'true' || forceParam === '1'
    const name = route.name
    // go-restful has no route for these: a collection takes no PUT or PATCH, a subresource (status,
    // scale) no POST or DELETE (405, recording 27's wording).
    if ((verb === 'update' || verb === 'patch') && name === undefined) throw methodNotAllowed()
    if (sub !== undefined && (verb === 'create' || verb === 'delete')) throw methodNotAllowed()
    const warnings: string[] = []
    // Deprecated kinds say so on every request (v1 Endpoints, recording 33).
    warnings.push(...(t.warnings ?? []))
    const fieldValidation = q.get('fieldValidation') ?? undefined
    const write = { dryRun, fieldValidation, warnings, body }
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse
    res.writeHead = ((...args: unknown[]) => {
      if (warnings.length > 0 && !res.headersSent)
        res.setHeader(
          'Warning',
          warnings.map(w => `299 - ${JSON.stringify(w)}`)
        )
      return writeHead(...args)
    }) as typeof res.writeHead
    // Custom resources are served without go-restful: the patch handler refuses patch types itself.
    if (['create', 'update', 'patch'].includes(verb) && !(t.decode && verb === 'patch'))
      checkContentType(verb, contentType)
    if (verb === 'create' || verb === 'update' || verb === 'patch') {
      const kind =
        verb === 'create' ? 'CreateOptions' : verb === 'update' ? 'UpdateOptions' : 'PatchOptions'
      validateWriteOptions(kind, q, contentType.startsWith('application/apply-patch+yaml'))
    }
    switch (verb) {
      case 'watch':
        return this.watch(res, t, ns, q)
      case 'list': {
        validateListOptions(q, false)
        const byLabel = labelSelector(q.get('labelSelector') ?? undefined)
        const byField = fieldSelector(t, q.get('fieldSelector') ?? undefined)
        const page = listPage(
          this.api.store,
          t,
          t.namespaced ? ns : undefined,
          {
            resourceVersion: q.get('resourceVersion') ?? undefined,
            resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
            limit: Number(q.get('limit') ?? '0') || undefined,
            continue: q.get('continue') ?? undefined
          },
          o => byLabel(o.metadata.labels) && byField(o),
          Boolean(q.get('labelSelector') || q.get('fieldSelector'))
        )
        const metadata: Record<string, unknown> = { resourceVersion: page.resourceVersion }
        if (page.continue) metadata.continue = page.continue
        if (page.remainingItemCount !== undefined)
          metadata.remainingItemCount = page.remainingItemCount
        if (wantsTable(res.req.headers.accept)) {
          const table = toTable(t, page.items, page.resourceVersion, q.get('includeObject'))
          return this.send(res, 200, { ...table, metadata })
        }
        return this.send(res, 200, listOf(t, page.items, metadata))
      }
      case 'log': {
        const pod = this.api.get(t, ns, name ?? '') as Pod
        if (!this.runtime) throw badRequest('no kubelet')
        return this.send(res, 200, this.runtime.readLogs(pod, q))
      }
      case 'get': {
        const obj = this.api.get(t, ns, name ?? '')
        if (sub === undefined && wantsTable(res.req.headers.accept)) {
          const rv = obj.metadata.resourceVersion ?? ''
          return this.send(res, 200, toTable(t, [obj], rv, q.get('includeObject')))
        }
        return this.send(res, 200, sub === 'scale' ? toScale(obj) : obj)
      }
      case 'create': {
        if (name !== undefined) throw methodNotAllowed()
        if (t.resource === 'selfsubjectaccessreviews')
          return this.send(res, 201, this.review(parseBody(body, t, contentType)))
        const created = this.api.create(t, ns, parseBody(body, t, contentType), {
          ...write,
          fieldManager: fieldManager ?? defaultManager(res)
        })
        return this.send(res, 201, created)
      }
      case 'update': {
        if (sub === 'scale')
          return this.send(
            res,
            200,
            this.updateScale(
              t,
              ns,
              name ?? '',
              parseBody(body, t, contentType),
              dryRun,
              fieldManager ?? defaultManager(res)
            )
          )
        const updated = this.api.update(t, ns, name ?? '', parseBody(body, t, contentType), {
          ...write,
          fieldManager: fieldManager ?? defaultManager(res),
          subresource: sub
        })
        return this.send(res, 200, updated)
      }
      case 'patch': {
        const isApply = contentType.startsWith('application/apply-patch+yaml')
        const parsed = isApply ? parseApplyBody(body) : parsePatch(body)
        if (sub === 'scale') {
          const current = toScale(this.api.get(t, ns, name ?? ''))
          const type = contentType.split(';')[0]
          const patched =
            type === 'application/json-patch+json'
              ? jsonPatch(current, parsed)
              : type === 'application/merge-patch+json'
                ? mergePatch(current, parsed)
                : strategicMerge(current, parsed)
          return this.send(
            res,
            200,
            this.updateScale(
              t,
              ns,
              name ?? '',
              patched,
              dryRun,
              fieldManager ?? defaultManager(res)
            )
          )
        }
        const out = this.api.patch(t, ns, name ?? '', contentType, parsed, {
          ...write,
          fieldManager: isApply ? fieldManager : (fieldManager ?? defaultManager(res)),
          force,
          subresource: sub
        })
        return this.send(res, out.created ? 201 : 200, out.object)
      }
      case 'delete': {
        const out = this.api.delete(t, ns, name ?? '', deleteOptions(q, body))
        return this.send(res, out.code, out.body)
      }
      case 'deletecollection': {
        // The answer is the list as read before the deletions, at that revision.
        const listedAt = String(this.api.store.currentRV())
        const items = this.api.deleteCollection(
          t,
          ns,
          {
            labelSelector: q.get('labelSelector') ?? undefined,
            fieldSelector: q.get('fieldSelector') ?? undefined
          },
          deleteOptions(q, body)
        )
        return this.send(res, 200, listOf(t, items, { resourceVersion: listedAt }))
      }
      default:
        throw methodNotAllowed()
    }
  }

  /** SelfSubjectAccessReview: the requesting user's access, as the RBAC authorizer decides it. */
  private review(body: unknown): Record<string, unknown> {
    const spec = isRecord(body) && isRecord(body.spec) ? body.spec : {}
    const ra = isRecord(spec.resourceAttributes) ? spec.resourceAttributes : {}
    const str = (v: unknown): string => (typeof v === 'string' ? v : '')
    let allowed = true
    let reason: string | undefined
    if (this.rbac) {
      const t =
        this.api.registry
          .all()
          .find(x => x.group === str(ra.group) && x.resource === str(ra.resource)) ??
        this.api.registry.findKind(str(ra.resource))
      const denied = !t
        ? true
        : authorize(this.rbac.role, {
            user: this.rbac.user,
            verb: str(ra.verb),
            group: str(ra.group),
            resource: t,
            ...(str(ra.subresource) ? { subresource: str(ra.subresource) } : {}),
            ...(str(ra.namespace) ? { namespace: str(ra.namespace) } : {}),
            ...(str(ra.name) ? { name: str(ra.name) } : {})
          })
      allowed = !denied
      const role = this.rbac.role.metadata
      // roleBindingDescriber: the subject is described by its kind (the docs bind each Role to a
      // same-named ServiceAccount through a same-named RoleBinding).
      const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(this.rbac.user)
      const subject = sa ? `ServiceAccount "${sa[2]}/${sa[1]}"` : `User "${this.rbac.user}"`
      if (allowed)
        reason = `RBAC: allowed by RoleBinding "${role?.name ?? ''}/${role?.namespace ?? ''}" of Role "${role?.name ?? ''}" to ${subject}`
    }
    return {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: {},
      spec,
      status: { allowed, ...(reason ? { reason } : {}) }
    }
  }

  private updateScale(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    body: unknown,
    dryRun: boolean,
    fieldManager: string
  ): unknown {
    const obj = this.api.get(t, ns, name)
    const decoded = decodeAs('V1Scale', body)
    if (decoded.error)
      throw badRequest(`Scale in version "v1" cannot be handled as a Scale: ${decoded.error}`)
    const scale = isRecord(decoded.value) ? decoded.value : {}
    // Scale's spec.replicas is omitempty: absent is 0.
    const replicas =
      isRecord(scale.spec) && typeof scale.spec.replicas === 'number' ? scale.spec.replicas : 0
    if (replicas < 0)
      // ScaleREST validates the Scale itself (autoscaling validation.ValidateScale).
      throw invalidAs('autoscaling', 'Scale', name, [
        invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0')
      ])
    const meta = isRecord(scale.metadata) ? scale.metadata : {}
    const rv =
      typeof meta.resourceVersion === 'string' && meta.resourceVersion
        ? meta.resourceVersion
        : obj.metadata.resourceVersion
    const spec = isRecord(obj.spec) ? obj.spec : {}
    const next = {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: rv },
      spec: { ...spec, replicas }
    }
    return toScale(
      this.api.update(t, ns, name, next, { dryRun, fieldManager, subresource: 'scale' })
    )
  }

  private watch(
    res: ServerResponse,
    t: ResourceType,
    ns: string | undefined,
    q: URLSearchParams
  ): void {
    const byLabel = labelSelector(q.get('labelSelector') ?? undefined)
    const byField = fieldSelector(t, q.get('fieldSelector') ?? undefined)
    validateListOptions(q, true)
    const sendInitialEvents = q.get('sendInitialEvents') === 'true'
    const gone = this.faults.takeGone()
    if (gone) {
      const status = failure(
        410,
        'Expired',
        `too old resource version: ${q.get('resourceVersion') ?? ''} (${this.api.store.currentRV()})`
      )
      if (!gone.inStream) return this.send(res, 410, status)
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n')
      return
    }
    const w = new WatchStream(res, this.api.store, this.faults, s => this.watches.delete(s))
    this.watches.add(w)
    const timeout = q.get('timeoutSeconds')
    w.start({
      resource: t,
      namespace: ns,
      matches: o => byLabel(o.metadata.labels) && byField(o),
      resourceVersion: q.get('resourceVersion') ?? undefined,
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      sendInitialEvents,
      bookmarkIntervalMs: this.opts.bookmarkIntervalMs,
      timeoutSeconds: timeout ? Number(timeout) : undefined
    })
  }

  /** .../pods|services/{id}/proxy/{path}: forwarded to the pod or to a ready endpoint (proxy.ts). */
  private async proxy(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    q: URLSearchParams
  ): Promise<void> {
    const t = route.resource
    if (!t || (t.resource !== 'pods' && t.resource !== 'services')) {
      await drain(req)
      throw pathNotFound()
    }
    let target: ProxyTarget
    try {
      target =
        t.resource === 'pods'
          ? podTarget(this.api, t, route.namespace, route.name ?? '')
          : serviceTarget(this.api, route.namespace ?? '', route.name ?? '')
    } catch (e) {
      if (e instanceof BrokenConnection) {
        // kube-apiserver v1.36 joins the pod IP with a port name as given and the dial fails: the
        // client sees a broken connection, no HTTP answer (recording 49: HTTP/2 INTERNAL_ERROR).
        req.socket.destroy()
        return
      }
      await drain(req)
      throw e
    }
    await forward(req, res, target, route.rest ?? '/', q, this.api, this.runtime, e =>
      this.fail(res, e)
    )
  }
}

function verbOf(method: string, route: Route | undefined, watch: boolean): Verb {
  const sub = route?.subresource
  if (sub === 'proxy') return 'proxy'
  switch (method) {
    case 'GET':
      if (sub === 'log') return 'log'
      if (route?.name !== undefined) return 'get'
      return watch ? 'watch' : 'list'
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return route?.name !== undefined ? 'delete' : 'deletecollection'
    default:
      return 'get'
  }
}

/**
 * The verb RBAC sees: from the HTTP method, the same for subresources (GET pods/x/log is get,
 * GET pods/x/proxy is get), and a dry run is the write it would be.
 * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
 */
function authorizationVerb(method: string, route: Route, watch: boolean): string {
  const named = route.name !== undefined
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (named || route.subresource !== undefined) return 'get'
      return watch ? 'watch' : 'list'
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return named ? 'delete' : 'deletecollection'
    default:
      return method.toLowerCase()
  }
}

/**
 * RBAC's denial of system:anonymous, as responsewriters.Forbidden words it: a resource request
 * names the resource and namespace, any other path the path (`forbidden: User "system:anonymous"
 * cannot get path "/apis"`, details `{}`).
 */
function anonymousForbidden(
  path: string,
  method: string,
  route: Route | undefined,
  watch: boolean
): StatusError {
  const user = 'User "system:anonymous"'
  if (!route) {
    const message = `forbidden: ${user} cannot ${method.toLowerCase()} path ${JSON.stringify(path)}`
    return new StatusError({ ...failure(403, 'Forbidden', message), details: {} })
  }
  const resource = route.subresource
    ? `${route.resourceName}/${route.subresource}`
    : route.resourceName
  const ns =
    route.resourceName === 'namespaces' && route.namespace === undefined
      ? route.name
      : route.namespace
  const where = ns ? `in the namespace ${JSON.stringify(ns)}` : 'at the cluster scope'
  const verb = authorizationVerb(method, route, watch)
  const why = `${user} cannot ${verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(route.group)} ${where}`
  const what = route.group ? `${route.resourceName}.${route.group}` : route.resourceName
  const message = route.name
    ? `${what} ${JSON.stringify(route.name)} is forbidden: ${why}`
    : `${what} is forbidden: ${why}`
  return new StatusError(
    failure(403, 'Forbidden', message, {
      name: route.name,
      group: route.group,
      kind: route.resourceName
    })
  )
}

async function readBody(req: IncomingMessage, method: string): Promise<string> {
  if (method === 'GET') {
    await drain(req)
    return ''
  }
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // discard
  }
}

/** Media types the create and update routes consume (go-restful answers 415 to others). */
const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']

function checkContentType(verb: Verb, contentType: string): void {
  const type = contentType.split(';')[0].trim().toLowerCase()
  if (type === '' || type === '*/*') return
  const accepted = verb === 'patch' ? PATCH_TYPES : BODY_TYPES
  if (!accepted.includes(type)) throw unsupportedMediaType()
}

/** serializer's summarizeData: what a decode error quotes of the body. */
function summarize(body: string): string {
  if (body.length === 0) return '<empty>'
  return body.length > 30 ? `${body.slice(0, 30)} ...` : body
}

/**
 * A create or update body as kube-apiserver reads it: JSON (or YAML), with Go's words for a
 * malformed one (recording 27).
 */
function parseBody(body: string, t: ResourceType, contentType: string): unknown {
  if (contentType.split(';')[0].trim() === 'application/yaml') return parseApplyBody(body)
  const parsed = parseGoJson(body)
  if ('value' in parsed) return parsed.value
  throw badRequest(
    `the object provided is unrecognized (must be of type ${t.kind}): couldn't get version/kind; json parse error: ${parsed.error} (${summarize(body)})`
  )
}

function parsePatch(body: string): unknown {
  const parsed = parseGoJson(body)
  if ('value' in parsed) return parsed.value
  throw badRequest(`error decoding patch: ${parsed.error}`)
}

/** A List: items carry no kind/apiVersion on the wire; the List does. */
function listOf(t: ResourceType, items: KObject[], metadata: Record<string, unknown>): unknown {
  const bare = items.map(o => {
    const { kind: _k, apiVersion: _a, ...restOfObject } = o
    return restOfObject
  })
  return { kind: `${t.kind}List`, apiVersion: groupVersion(t), metadata, items: bare }
}

function parseApplyBody(body: string): unknown {
  try {
    // Repeated keys are not an error here: field validation reports them (strict.ts).
    return parseYaml(body, { uniqueKeys: false })
  } catch (e) {
    throw badRequest(`error decoding YAML: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** Without ?fieldManager the manager is the user agent's product name. */
function defaultManager(res: ServerResponse): string {
  const ua = res.req.headers['user-agent'] ?? ''
  return ua.split('/')[0] || 'unknown'
}

function toScale(obj: KObject): Record<string, unknown> {
  const spec = isRecord(obj.spec) ? obj.spec : {}
  const status = isRecord(obj.status) ? obj.status : {}
  const sel =
    isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : {}
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp
    },
    // omitempty: a Scale of 0 replicas has an empty spec.
    spec: spec.replicas ? { replicas: spec.replicas } : {},
    status: {
      replicas: status.replicas ?? 0,
      selector: Object.entries(sel)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',')
    }
  }
}
