/**
 * metav1.Status failures, worded as k8s.io/apimachinery/pkg/api/errors words them.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#responses
 */
import { qualifiedKind, qualifiedResource, type ResourceType } from './resources.js'
import { isRecord } from './types.js'

export interface StatusCause {
  reason?: string
  message?: string
  field?: string
  type?: string
}

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  uid?: string
  causes?: StatusCause[]
  retryAfterSeconds?: number
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message?: string
  reason?: string
  details?: StatusDetails
  /** omitted on Success, as Go's omitempty does */
  code?: number
}

/** A failure the HTTP layer turns into a Status response. */
export class StatusError extends Error {
  constructor(
    readonly status: Status,
    readonly headers: Record<string, string> = {}
  ) {
    super(status.message)
  }
  get code(): number {
    return this.status.code ?? 500
  }
}

function details(d: StatusDetails): StatusDetails | undefined {
  // Go's omitempty: empty strings and empty lists are not sent.
  const out: StatusDetails = {}
  if (d.name) out.name = d.name
  if (d.group) out.group = d.group
  if (d.kind) out.kind = d.kind
  if (d.uid) out.uid = d.uid
  if (d.causes && d.causes.length > 0) out.causes = d.causes
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds
  return Object.keys(out).length > 0 ? out : undefined
}

export function failure(
  code: number,
  reason: string,
  message: string,
  d: StatusDetails = {}
): Status {
  const s: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code
  }
  const dd = details(d)
  if (dd) s.details = dd
  return s
}

export function success(d: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' }
  const dd = details(d)
  if (dd) s.details = dd
  return s
}

export function notFound(t: ResourceType, name: string): StatusError {
  return new StatusError(
    failure(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, {
      name,
      group: t.group,
      kind: t.resource
    })
  )
}

export function alreadyExists(t: ResourceType, name: string): StatusError {
  return new StatusError(
    failure(409, 'AlreadyExists', `${qualifiedResource(t)} "${name}" already exists`, {
      name,
      group: t.group,
      kind: t.resource
    })
  )
}

/**
 * rest.BeforeDelete's precondition refusal: the resource named by its Kind
 * (`Lease.coordination.k8s.io "x"`, details.kind `Lease`), recording 50.
 */
export function preconditionConflict(t: ResourceType, name: string, why: string): StatusError {
  return conflictNamed(qualifiedKind(t), t.group, t.kind, name, why)
}

/** errors.NewForbidden: `configmaps "x" is forbidden: <why>` (no name: `configmaps is forbidden: ...`). */
export function forbiddenError(t: ResourceType, name: string, why: string): StatusError {
  const what = qualifiedResource(t)
  const message = name ? `${what} "${name}" is forbidden: ${why}` : `${what} is forbidden: ${why}`
  return new StatusError(
    failure(403, 'Forbidden', message, { name, group: t.group, kind: t.resource })
  )
}

export function conflict(t: ResourceType, name: string, why: string): StatusError {
  return conflictNamed(qualifiedResource(t), t.group, t.resource, name, why)
}

/** errors.NewConflict for a resource spelled `what` (details.kind: `kind`). */
function conflictNamed(
  what: string,
  group: string,
  kind: string,
  name: string,
  why: string
): StatusError {
  return new StatusError(
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${what} "${name}": ${why}`, {
      name,
      group,
      kind
    })
  )
}

export const STALE =
  'the object has been modified; please apply your changes to the latest version and try again'

export interface FieldError {
  field: string
  /** FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueForbidden, FieldValueDuplicate */
  reason: string
  /** the text after `field: ` */
  detail: string
}

export function invalidValue(field: string, value: unknown, detail: string): FieldError {
  return {
    field,
    reason: 'FieldValueInvalid',
    detail: `Invalid value: ${goValue(value)}: ${detail}`
  }
}

/** A Go value field.Invalid prints with %#v, already spelled (a struct such as a LabelSelector). */
export function invalidGoValue(field: string, printed: string, detail: string): FieldError {
  return { field, reason: 'FieldValueInvalid', detail: `Invalid value: ${printed}: ${detail}` }
}

const goStrings = (v: unknown): string =>
  Array.isArray(v)
    ? `[]string{${v.map(x => JSON.stringify(String(x))).join(', ')}}`
    : '[]string(nil)'

/**
 * %#v of a metav1.LabelSelector, as an immutable selector's refusal prints it:
 * `v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`.
 */
export function goLabelSelector(selector: unknown): string {
  if (!isRecord(selector)) return '(*v1.LabelSelector)(nil)'
  const labels = isRecord(selector.matchLabels) ? selector.matchLabels : undefined
  const matchLabels = labels
    ? `map[string]string{${Object.keys(labels)
        .sort()
        .map(k => `${JSON.stringify(k)}:${JSON.stringify(String(labels[k]))}`)
        .join(', ')}}`
    : 'map[string]string(nil)'
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : undefined
  const matchExpressions = exprs
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map(e => {
          const r = isRecord(e) ? e : {}
          return `v1.LabelSelectorRequirement{Key:${JSON.stringify(String(r.key ?? ''))}, Operator:${JSON.stringify(String(r.operator ?? ''))}, Values:${goStrings(r.values)}}`
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)'
  return `v1.LabelSelector{MatchLabels:${matchLabels}, MatchExpressions:${matchExpressions}}`
}

export function required(field: string, detail = ''): FieldError {
  return {
    field,
    reason: 'FieldValueRequired',
    detail: detail ? `Required value: ${detail}` : 'Required value'
  }
}

export function forbidden(field: string, detail: string): FieldError {
  return { field, reason: 'FieldValueForbidden', detail: `Forbidden: ${detail}` }
}

function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

/** 422 Invalid: `Deployment.apps "x" is invalid: <field>: <detail>` (several errors in brackets). */
export function invalid(t: ResourceType, name: string, errors: FieldError[]): StatusError {
  return invalidAs(t.group, t.kind, name, errors)
}

/**
 * errors.NewInvalid for any GroupKind: the generic store names some refusals by resource
 * (`leases.coordination.k8s.io "x" is invalid`), the patch handler by nothing (` "" is invalid`).
 */
export function invalidAs(
  group: string,
  kind: string,
  name: string,
  errors: FieldError[]
): StatusError {
  const parts = errors.map(e => `${e.field}: ${e.detail}`)
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`
  const qualified = group ? `${kind}.${group}` : kind
  const s = failure(422, 'Invalid', `${qualified} "${name}" is invalid: ${list}`, {
    name,
    group,
    kind,
    causes: errors.map(e => ({ reason: e.reason, message: e.detail, field: e.field }))
  })
  return new StatusError(s)
}

export function badRequest(message: string): StatusError {
  return new StatusError(failure(400, 'BadRequest', message))
}

/**
 * apimachinery's NewGenericServerResponse, as go-restful's refusals reach the client through
 * kube-apiserver's service error handler: empty details are still sent (`details: {}`,
 * recording 27), the message is the code's standard one.
 */
export function genericServerResponse(code: number, reason: string, message: string): StatusError {
  return new StatusError({ ...failure(code, reason, message), details: {} })
}

export function methodNotAllowed(): StatusError {
  return genericServerResponse(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource'
  )
}

/** go-restful refuses a Content-Type the route does not consume (recording 27). */
export function unsupportedMediaType(): StatusError {
  return genericServerResponse(415, 'UnsupportedMediaType', '415: Unsupported Media Type')
}

/**
 * The patch handler's own refusal (negotiation.NewUnsupportedMediaTypeError): custom resources
 * are served without go-restful and take no strategic merge patch.
 */
export function unsupportedPatchType(accepted: string[]): StatusError {
  return new StatusError(
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`
    )
  )
}

/** An unknown resource of a served group version (recording 27). */
export function pathNotFound(): StatusError {
  return genericServerResponse(404, 'NotFound', 'the server could not find the requested resource')
}

/** A patch the patch library could not apply (JSON patch `test` failed, missing path): 422, no details. */
export function patchNotApplied(): StatusError {
  return genericServerResponse(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request'
  )
}
