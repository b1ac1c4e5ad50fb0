/**
 * metav1.Status failures, worded as k8s.io/apimachinery/pkg/api/errors words them.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#responses
 */
import { qualifiedKind, qualifiedResource, type ResourceType } from './resources.js'

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

export function conflict(t: ResourceType, name: string, why: string): StatusError {
  return new StatusError(
    failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": ${why}`,
      {
        name,
        group: t.group,
        kind: t.resource
      }
    )
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
  const parts = errors.map(e => `${e.field}: ${e.detail}`)
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`
  return new StatusError(
    failure(422, 'Invalid', `${qualifiedKind(t)} "${name}" is invalid: ${list}`, {
      name,
      group: t.group,
      kind: t.kind,
      causes: errors.map(e => ({ reason: e.reason, message: e.detail, field: e.field }))
    })
  )
}

export function badRequest(message: string): StatusError {
  return new StatusError(failure(400, 'BadRequest', message))
}

export function methodNotAllowed(): StatusError {
  return new StatusError(
    failure(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource'
    )
  )
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format (${contentType}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`
    )
  )
}

/** An unknown path: kube-apiserver answers a bare 404 Status. */
export function pathNotFound(): StatusError {
  return new StatusError(
    failure(404, 'NotFound', 'the server could not find the requested resource')
  )
}
