/**
 * Validation that answers 422 Invalid, in kube-apiserver's words (pkg/apis/*\/validation).
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 */
import { deepEqual } from './patch.js'
import type { ResourceType } from './resources.js'
import { matchesLabelSelector } from './selectors.js'
import { forbidden, invalidValue, required, type FieldError } from './status.js'
import { isRecord, type KObject } from './types.js'

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/

const MSG_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const MSG_LABEL =
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

function labelErrors(labels: unknown, field: string): FieldError[] {
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

function podSpecErrors(spec: unknown, field: string): FieldError[] {
  if (!isRecord(spec)) return [required(`${field}.containers`)]
  const errs: FieldError[] = []
  const containers = spec.containers
  if (!Array.isArray(containers) || containers.length === 0) {
    errs.push(required(`${field}.containers`))
    return errs
  }
  const seen = new Set<string>()
  containers.forEach((c, i) => {
    const f = `${field}.containers[${i}]`
    if (!isRecord(c)) return
    if (typeof c.name !== 'string' || c.name === '') errs.push(required(`${f}.name`))
    else if (!DNS1123_LABEL.test(c.name)) errs.push(invalidValue(`${f}.name`, c.name, MSG_LABEL))
    else if (seen.has(c.name))
      errs.push({
        field: `${f}.name`,
        reason: 'FieldValueDuplicate',
        detail: `Duplicate value: ${JSON.stringify(c.name)}`
      })
    if (typeof c.name === 'string') seen.add(c.name)
    if (typeof c.image !== 'string' || c.image.trim() === '') errs.push(required(`${f}.image`))
  })
  return errs
}

function templateErrors(spec: Record<string, unknown>, kind: string): FieldError[] {
  const errs: FieldError[] = []
  const template = isRecord(spec.template) ? spec.template : undefined
  if (!template) return [required('spec.template')]
  const tmeta = isRecord(template.metadata) ? template.metadata : {}
  errs.push(...labelErrors(tmeta.labels, 'spec.template.labels'))
  errs.push(...podSpecErrors(template.spec, 'spec.template.spec'))
  const podSpec = isRecord(template.spec) ? template.spec : {}
  if (kind === 'Job') {
    const rp = podSpec.restartPolicy
    if (rp === undefined)
      errs.push(required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'))
    else if (rp !== 'OnFailure' && rp !== 'Never') {
      errs.push({
        field: 'spec.template.spec.restartPolicy',
        reason: 'FieldValueNotSupported',
        detail: `Unsupported value: ${JSON.stringify(rp)}: supported values: "OnFailure", "Never"`
      })
    }
  } else if (podSpec.restartPolicy !== undefined && podSpec.restartPolicy !== 'Always') {
    errs.push({
      field: 'spec.template.spec.restartPolicy',
      reason: 'FieldValueNotSupported',
      detail: `Unsupported value: ${JSON.stringify(podSpec.restartPolicy)}: supported values: "Always"`
    })
  }
  const selector = spec.selector
  if (kind !== 'Job' || spec.manualSelector === true) {
    if (!isRecord(selector)) errs.push(required('spec.selector'))
    else if (
      !matchesLabelSelector(
        selector,
        isRecord(tmeta.labels) ? (tmeta.labels as Record<string, string>) : {}
      )
    ) {
      errs.push(
        invalidValue(
          'spec.template.metadata.labels',
          tmeta.labels ?? {},
          '`selector` does not match template `labels`'
        )
      )
    }
  }
  return errs
}

/** Errors of an object about to be stored; `old` is the stored object on update. */
export function validate(
  t: ResourceType,
  obj: KObject,
  old?: KObject,
  subresource?: string
): FieldError[] {
  const errs: FieldError[] = []
  if (subresource === 'status') errs.push(...statusErrors(t, obj))
  const name = obj.metadata.name ?? ''
  if (!name) errs.push(required('metadata.name', 'name or generateName is required'))
  else if (!old) errs.push(...nameErrors(t, name))
  errs.push(...labelErrors(obj.metadata.labels, 'metadata.labels'))
  const spec = isRecord(obj.spec) ? obj.spec : undefined
  switch (t.kind) {
    case 'Pod':
      errs.push(...podSpecErrors(spec, 'spec'))
      break
    case 'Deployment':
    case 'ReplicaSet':
    case 'Job':
      if (!spec) errs.push(required('spec.template'))
      else {
        errs.push(...templateErrors(spec, t.kind))
        if (typeof spec.replicas === 'number' && spec.replicas < 0) {
          errs.push(
            invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0')
          )
        }
      }
      break
    case 'Service':
      if (spec && Array.isArray(spec.ports)) {
        spec.ports.forEach((p, i) => {
          if (isRecord(p) && typeof p.port !== 'number')
            errs.push(required(`spec.ports[${i}].port`))
        })
      }
      break
  }
  if (old && spec) errs.push(...immutableErrors(t, spec, isRecord(old.spec) ? old.spec : {}))
  return errs
}

const IMMUTABLE = 'field is immutable'

function immutableErrors(
  t: ResourceType,
  spec: Record<string, unknown>,
  oldSpec: Record<string, unknown>
): FieldError[] {
  const errs: FieldError[] = []
  if (t.kind === 'Deployment' || t.kind === 'ReplicaSet') {
    if (!deepEqual(spec.selector, oldSpec.selector))
      errs.push(invalidValue('spec.selector', spec.selector, IMMUTABLE))
  }
  if (t.kind === 'Job') {
    if (!deepEqual(spec.selector, oldSpec.selector))
      errs.push(invalidValue('spec.selector', spec.selector, IMMUTABLE))
    if (!deepEqual(spec.completions, oldSpec.completions))
      errs.push(invalidValue('spec.completions', spec.completions, IMMUTABLE))
    if (!deepEqual(spec.template, oldSpec.template))
      errs.push(invalidValue('spec.template', spec.template, IMMUTABLE))
  }
  if (t.kind === 'Pod') {
    // Only images (and a few scheduling fields) of a pod may change.
    const strip = (s: Record<string, unknown>): unknown => {
      const c = structuredClone(s)
      for (const list of ['containers', 'initContainers']) {
        const cs = c[list]
        if (Array.isArray(cs)) for (const x of cs) if (isRecord(x)) delete x.image
      }
      delete c.activeDeadlineSeconds
      delete c.tolerations
      delete c.nodeName
      return c
    }
    if (!deepEqual(strip(spec), strip(oldSpec))) {
      errs.push(
        forbidden(
          'spec',
          'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'
        )
      )
    }
  }
  if (
    t.kind === 'Service' &&
    oldSpec.clusterIP &&
    spec.clusterIP !== undefined &&
    spec.clusterIP !== oldSpec.clusterIP
  ) {
    errs.push(invalidValue('spec.clusterIPs[0]', spec.clusterIP, 'may not change once set'))
  }
  return errs
}

/** ValidateXStatusUpdate: what a status write may not say. */
function statusErrors(t: ResourceType, obj: KObject): FieldError[] {
  const errs: FieldError[] = []
  if (t.kind === 'Service') {
    const spec = isRecord(obj.spec) ? obj.spec : {}
    const status = isRecord(obj.status) ? obj.status : {}
    const lb = isRecord(status.loadBalancer) ? status.loadBalancer : {}
    if (Array.isArray(lb.ingress) && lb.ingress.length > 0 && spec.type !== 'LoadBalancer') {
      // Recording 54.
      errs.push(
        forbidden(
          'status.loadBalancer.ingress',
          "may only be used when `spec.type` is 'LoadBalancer'"
        )
      )
    }
  }
  return errs
}
