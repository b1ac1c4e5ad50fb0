/**
 * Object metadata validation every kind shares (apimachinery's ValidateObjectMeta): names by the
 * kind's naming rule, label keys and values, in kube's words.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 */
import { invalidValue, required, type FieldError } from '../status.js'
import { isRecord, type KObject } from '../types.js'
import type { ResourceType } from './strategy.js'

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/

const MSG_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
export const MSG_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
const MSG_1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"

const REGEX_QUALIFIED = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'
const QUALIFIED_PART = `must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${REGEX_QUALIFIED}')`
const MSG_LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
/** apimachinery's TotalAnnotationSizeLimitB: 256 kB of keys and values together. */
const ANNOTATIONS_LIMIT = 256 * 1024

/**
 * A name's errors by the kind's naming rule; `prefix` (a generateName) may end in '-', as
 * maskTrailingDash allows.
 */
export function nameErrors(
  t: ResourceType,
  name: string,
  field = 'metadata.name',
  prefix = false
): FieldError[] {
  // maskTrailingDash, quirk included: it drops the character before the dash as well.
  const checked = prefix && name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name
  if (t.resource === 'namespaces') {
    if (checked.length > 63)
      return [invalidValue(field, name, 'must be no more than 63 characters')]
    return DNS1123_LABEL.test(checked) ? [] : [invalidValue(field, name, MSG_LABEL)]
  }
  if (t.resource === 'services') {
    if (checked.length > 63)
      return [invalidValue(field, name, 'must be no more than 63 characters')]
    return DNS1035_LABEL.test(checked) ? [] : [invalidValue(field, name, MSG_1035)]
  }
  if (checked.length > 253)
    return [invalidValue(field, name, 'must be no more than 253 characters')]
  return DNS1123_SUBDOMAIN.test(checked) ? [] : [invalidValue(field, name, MSG_SUBDOMAIN)]
}

/** validation.IsQualifiedName: a label or annotation key, `[prefix/]name`. */
function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/')
  if (parts.length > 2)
    return [
      `a qualified name ${QUALIFIED_PART} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`
    ]
  const errs: string[] = []
  const name = parts[parts.length - 1]
  if (parts.length === 2) {
    const prefix = parts[0]
    if (prefix === '') errs.push('prefix part must be non-empty')
    else {
      if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters')
      if (!DNS1123_SUBDOMAIN.test(prefix)) errs.push(`prefix part ${MSG_SUBDOMAIN}`)
    }
  }
  if (name === '') errs.push('name part must be non-empty')
  else if (name.length > 63) errs.push('name part must be no more than 63 characters')
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${QUALIFIED_PART}`)
  return errs
}

/** v1validation.ValidateLabels: each key (IsQualifiedName), then its value (IsValidLabelValue). */
export function labelErrors(labels: unknown, field: string): FieldError[] {
  if (!isRecord(labels)) return []
  const errs: FieldError[] = []
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of qualifiedNameErrors(k)) errs.push(invalidValue(field, k, msg))
    const value = typeof v === 'string' ? v : ''
    if (value.length > 63)
      errs.push(invalidValue(field, value, 'must be no more than 63 characters'))
    if (!LABEL_VALUE.test(value)) errs.push(invalidValue(field, value, MSG_LABEL_VALUE))
  }
  return errs
}

/** ValidateAnnotations: keys as qualified names (case aside), and 256 kB in all. */
function annotationErrors(annotations: unknown, field: string): FieldError[] {
  if (!isRecord(annotations)) return []
  const errs: FieldError[] = []
  let size = 0
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of qualifiedNameErrors(k.toLowerCase())) errs.push(invalidValue(field, k, msg))
    size += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '')
  }
  if (size > ANNOTATIONS_LIMIT)
    errs.push({
      field,
      reason: 'FieldValueTooLong',
      detail: `Too long: may not be more than ${ANNOTATIONS_LIMIT} bytes`
    })
  return errs
}

/**
 * What every object must satisfy, whatever its kind, in ValidateObjectMeta's order:
 * generateName (as a prefix), name, labels, annotations.
 */
export function metaErrors(t: ResourceType, obj: KObject, old?: KObject): FieldError[] {
  const errs: FieldError[] = []
  const name = obj.metadata.name ?? ''
  const generateName = obj.metadata.generateName
  if (!old && generateName) errs.push(...nameErrors(t, generateName, 'metadata.generateName', true))
  if (!name) errs.push(required('metadata.name', 'name or generateName is required'))
  else if (!old) errs.push(...nameErrors(t, name))
  errs.push(...labelErrors(obj.metadata.labels, 'metadata.labels'))
  errs.push(...annotationErrors(obj.metadata.annotations, 'metadata.annotations'))
  return errs
}
