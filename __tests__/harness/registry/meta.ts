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

export function nameErrors(t: ResourceType, name: string, field = 'metadata.name'): FieldError[] {
  if (t.resource === 'namespaces') {
    if (name.length > 63) return [invalidValue(field, name, 'must be no more than 63 characters')]
    return DNS1123_LABEL.test(name) ? [] : [invalidValue(field, name, MSG_LABEL)]
  }
  if (t.resource === 'services') {
    if (name.length > 63) return [invalidValue(field, name, 'must be no more than 63 characters')]
    return DNS1035_LABEL.test(name) ? [] : [invalidValue(field, name, MSG_1035)]
  }
  if (name.length > 253) return [invalidValue(field, name, 'must be no more than 253 characters')]
  return DNS1123_SUBDOMAIN.test(name) ? [] : [invalidValue(field, name, MSG_SUBDOMAIN)]
}

export function labelErrors(labels: unknown, field: string): FieldError[] {
  if (!isRecord(labels)) return []
  const errs: FieldError[] = []
  for (const [k, v] of Object.entries(labels)) {
    const name = k.includes('/') ? k.slice(k.indexOf('/') + 1) : k
    if (!QUALIFIED_NAME.test(name) || name.length > 63) {
      errs.push(
        invalidValue(
          field,
          k,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        )
      )
    }
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
      errs.push(
        invalidValue(
          `${field}`,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        )
      )
    }
  }
  return errs
}

/** What every object must satisfy, whatever its kind. */
export function metaErrors(t: ResourceType, obj: KObject, old?: KObject): FieldError[] {
  const errs: FieldError[] = []
  const name = obj.metadata.name ?? ''
  if (!name) errs.push(required('metadata.name', 'name or generateName is required'))
  else if (!old) errs.push(...nameErrors(t, name))
  errs.push(...labelErrors(obj.metadata.labels, 'metadata.labels'))
  return errs
}
