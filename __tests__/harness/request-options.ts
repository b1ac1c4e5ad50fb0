/**
 * The options of a request as kube-apiserver reads and validates them before it touches the body
 * or storage: DeleteOptions (handlers/delete.go, ValidateDeleteOptions) and the Create, Update and
 * Patch options (ValidateCreateOptions, ValidateUpdateOptions, ValidatePatchOptions in
 * apimachinery meta/v1/validation), each refusal a 422 `<Kind>Options.meta.k8s.io "" is invalid`
 * with every error at once.
 */
import type { DeleteOptions } from './api.js'
import { parseGoJson } from './gojson.js'
import {
  failure,
  invalidAs,
  invalidValue,
  StatusError,
  type FieldError,
  type Status
} from './status.js'
import { isRecord } from './types.js'

/** A scalar query parameter or body field, as the parameter codec or the JSON decoder reads it. */
type OptionSource = (name: string) => unknown

/**
 * DeleteOptions as handlers/delete.go reads them: from the body when there is one (the query is
 * then not read), else from the query; validated as ValidateDeleteOptions does (422
 * `DeleteOptions.meta.k8s.io "" is invalid`, every error at once).
 */
export function deleteOptions(q: URLSearchParams, body: string): DeleteOptions {
  let get: OptionSource
  let dryRun: unknown[]
  if (body.trim()) {
    const parsed = parseGoJson(body)
    if ('error' in parsed)
      // Not a Status error: the handler passes the decoder's error on, a 500 whose reason is
      // StatusReasonUnknown, the empty string (omitted).
      throw new StatusError(
        withoutReason(
          failure(500, '', `couldn't get version/kind; json parse error: ${parsed.error}`)
        )
      )
    const b = isRecord(parsed.value) ? parsed.value : {}
    get = name => b[name]
    dryRun = Array.isArray(b.dryRun) ? b.dryRun : []
  } else {
    get = name => q.get(name) ?? undefined
    dryRun = q.getAll('dryRun')
  }
  const opts: DeleteOptions = { dryRun: dryRun.includes('All') }
  const errs: FieldError[] = []
  const policy = get('propagationPolicy')
  const orphan = get('orphanDependents')
  if (policy !== undefined && policy !== null) {
    if (orphan !== undefined && orphan !== null)
      errs.push(
        invalidValue(
          'propagationPolicy',
          policy,
          'orphanDependents and deletionPropagation cannot be both set'
        )
      )
    if (policy === 'Foreground' || policy === 'Background' || policy === 'Orphan')
      opts.propagationPolicy = policy
    else
      errs.push(
        notSupportedValue('propagationPolicy', goValue(policy), [
          'Foreground',
          'Background',
          'Orphan',
          'nil'
        ])
      )
  }
  if (dryRun.some(v => v !== 'All'))
    errs.push(notSupportedValue('dryRun', goStringSlice(dryRun), ['All']))
  if (errs.length > 0) throw invalidAs('meta.k8s.io', 'DeleteOptions', '', errs)
  const grace = get('gracePeriodSeconds')
  if (grace !== undefined && grace !== null) opts.gracePeriodSeconds = Number(grace)
  if (orphan === true || orphan === 'true') {
    opts.orphanDependents = true
    opts.propagationPolicy ??= 'Orphan'
  } else if (orphan === false || orphan === 'false') {
    opts.orphanDependents = false
    opts.propagationPolicy ??= 'Foreground'
  }
  const pre = get('preconditions')
  if (isRecord(pre)) {
    opts.preconditions = {
      uid: typeof pre.uid === 'string' ? pre.uid : undefined,
      resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined
    }
  }
  return opts
}

/** How field.Invalid prints a value: strings quoted, numbers and booleans bare. */
function goValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v)
}

/** %#v of a []string, as field.NotSupported prints a dryRun list. */
function goStringSlice(values: unknown[]): string {
  return `[]string{${values.map(v => JSON.stringify(String(v))).join(', ')}}`
}

/** field.NotSupported: `Unsupported value: <value>: supported values: "a", "b"`. */
function notSupportedValue(field: string, printed: string, supported: string[]): FieldError {
  return {
    field,
    reason: 'FieldValueNotSupported',
    detail: `Unsupported value: ${printed}: supported values: ${supported.map(v => JSON.stringify(v)).join(', ')}`
  }
}

/** FieldManagerMaxLength */
const FIELD_MANAGER_MAX = 128
const FIELD_VALIDATION = ['', 'Ignore', 'Strict', 'Warn']

/**
 * Create, update and patch options: fieldManager (at most 128 printable characters; required for
 * an apply), dryRun (only All), fieldValidation (Ignore, Warn, Strict), force (apply only).
 */
export function validateWriteOptions(
  kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions',
  q: URLSearchParams,
  apply: boolean
): void {
  const errs: FieldError[] = []
  const manager = q.get('fieldManager') ?? ''
  if (kind === 'PatchOptions') {
    if (!apply && q.get('force') !== null)
      errs.push({
        field: 'force',
        reason: 'FieldValueForbidden',
        detail: 'Forbidden: may not be specified for non-apply patch'
      })
    if (apply && manager === '')
      errs.push({
        field: 'fieldManager',
        reason: 'FieldValueRequired',
        detail: 'Required value: is required for apply patch'
      })
  }
  if (manager.length > FIELD_MANAGER_MAX)
    errs.push({
      field: 'fieldManager',
      reason: 'FieldValueTooLong',
      detail: `Too long: may not be more than ${FIELD_MANAGER_MAX} bytes`
    })
  const dryRun = q.getAll('dryRun')
  if (dryRun.some(v => v !== 'All'))
    errs.push(notSupportedValue('dryRun', goStringSlice(dryRun), ['All']))
  const fieldValidation = q.get('fieldValidation') ?? ''
  if (!FIELD_VALIDATION.includes(fieldValidation))
    errs.push(
      notSupportedValue('fieldValidation', JSON.stringify(fieldValidation), FIELD_VALIDATION)
    )
  if (errs.length > 0) throw invalidAs('meta.k8s.io', kind, '', errs)
}

function withoutReason(s: Status): Status {
  const { reason: _reason, ...rest } = s
  return rest
}
