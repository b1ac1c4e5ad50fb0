/**
 * The pod spec every workload kind carries: its defaulting (pkg/apis/core/v1/defaults.go) and
 * validation (ValidatePodSpec, ValidatePodTemplateSpec), shared by pods, Deployments, ReplicaSets
 * and Jobs.
 */
import { matchesLabelSelector } from '../selectors.js'
import { invalidValue, required, type FieldError } from '../status.js'
import { AGE, NAME, TEMPLATE_COLUMNS, age, type Column, type TablePrinter } from '../table.js'
import { isRecord, type KObject } from '../types.js'
import { DNS1123_LABEL, labelErrors, MSG_LABEL } from './meta.js'

type Rec = Record<string, unknown>

export function rec(parent: Rec, key: string): Rec {
  const v = parent[key]
  if (isRecord(v)) return v
  const created: Rec = {}
  parent[key] = created
  return created
}

export function setDefault(o: Rec, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value
}

function imagePullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent'
  if (image.includes('@')) return 'IfNotPresent'
  const last = image.split('/').pop() ?? ''
  const tag = last.includes(':') ? last.split(':').pop() : undefined
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent'
}

function defaultProbe(p: unknown): void {
  if (!isRecord(p)) return
  setDefault(p, 'timeoutSeconds', 1)
  setDefault(p, 'periodSeconds', 10)
  setDefault(p, 'successThreshold', 1)
  setDefault(p, 'failureThreshold', 3)
  if (isRecord(p.httpGet)) setDefault(p.httpGet, 'scheme', 'HTTP')
}

function defaultContainer(c: unknown): void {
  if (!isRecord(c)) return
  setDefault(c, 'imagePullPolicy', imagePullPolicy(c.image))
  setDefault(c, 'terminationMessagePath', '/dev/termination-log')
  setDefault(c, 'terminationMessagePolicy', 'File')
  setDefault(c, 'resources', {})
  if (Array.isArray(c.ports))
    for (const p of c.ports) if (isRecord(p)) setDefault(p, 'protocol', 'TCP')
  defaultProbe(c.readinessProbe)
  defaultProbe(c.livenessProbe)
  defaultProbe(c.startupProbe)
}

export function defaultPodSpec(spec: Rec, restartPolicy: boolean): void {
  if (restartPolicy) setDefault(spec, 'restartPolicy', 'Always')
  setDefault(spec, 'terminationGracePeriodSeconds', 30)
  setDefault(spec, 'dnsPolicy', 'ClusterFirst')
  setDefault(spec, 'securityContext', {})
  setDefault(spec, 'schedulerName', 'default-scheduler')
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list]
    if (Array.isArray(cs)) cs.forEach(defaultContainer)
  }
}

/** An empty PodTemplateSpec as Go writes it (containers has no omitempty). */
export const ZERO_TEMPLATE = { metadata: {}, spec: { containers: null } }

export function defaultTemplate(spec: Rec, restartPolicy: boolean): void {
  const template = rec(spec, 'template')
  rec(template, 'metadata')
  defaultPodSpec(rec(template, 'spec'), restartPolicy)
}

export function podSpecErrors(spec: unknown, field: string): FieldError[] {
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

/** Go's %#v of a map[string]string, as field errors print label maps. */
export function goStringMap(m: unknown): string {
  const entries = Object.entries(isRecord(m) ? m : {}).sort(([a], [b]) => (a < b ? -1 : 1))
  return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`
}

/**
 * ValidatePodTemplateSpecFor{ReplicaSet,Job} after the selector checks of the kind's spec, in
 * kube's order: selector, template labels match, template metadata, pod spec, restartPolicy.
 */
export function templateErrors(spec: Record<string, unknown>, kind: string): FieldError[] {
  const errs: FieldError[] = []
  const selector = spec.selector
  const checksSelector = kind !== 'Job' || spec.manualSelector === true
  if (checksSelector && !isRecord(selector)) errs.push(required('spec.selector'))
  const template = isRecord(spec.template) ? spec.template : undefined
  if (!template) return [...errs, required('spec.template')]
  const tmeta = isRecord(template.metadata) ? template.metadata : {}
  const labels = isRecord(tmeta.labels) ? (tmeta.labels as Record<string, string>) : {}
  if (checksSelector && isRecord(selector) && !matchesLabelSelector(selector, labels)) {
    errs.push({
      field: 'spec.template.metadata.labels',
      reason: 'FieldValueInvalid',
      detail: `Invalid value: ${goStringMap(labels)}: \`selector\` does not match template \`labels\``
    })
  }
  errs.push(...labelErrors(tmeta.labels, 'spec.template.metadata.labels'))
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
  return errs
}

/** The Containers, Images and Selector cells of a workload (TEMPLATE_COLUMNS). */
export function templateCells(spec: Record<string, unknown>): string[] {
  const template = isRecord(spec.template) ? spec.template : {}
  const podSpec = isRecord(template.spec) ? template.spec : {}
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers.filter(isRecord) : []
  return [
    containers.map(c => String(c.name ?? '')).join(','),
    containers.map(c => String(c.image ?? '')).join(','),
    selectorString(spec.selector)
  ]
}

/** metav1.LabelSelectorAsSelector(...).String(): `app=web,tier in (a,b)`. */
export function selectorString(sel: unknown): string {
  if (!isRecord(sel)) return '<none>'
  const parts: string[] = []
  const labels = isRecord(sel.matchLabels) ? sel.matchLabels : {}
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}=${String(v)}`)
  for (const e of Array.isArray(sel.matchExpressions)
    ? sel.matchExpressions.filter(isRecord)
    : []) {
    const values = Array.isArray(e.values) ? [...e.values].map(String).sort() : []
    const op = String(e.operator ?? '')
    if (op === 'In') parts.push(`${String(e.key)} in (${values.join(',')})`)
    else if (op === 'NotIn') parts.push(`${String(e.key)} notin (${values.join(',')})`)
    else if (op === 'Exists') parts.push(String(e.key))
    else if (op === 'DoesNotExist') parts.push(`!${String(e.key)}`)
  }
  return parts.length > 0 ? parts.sort().join(',') : '<none>'
}

/**
 * The printer of a workload kind: Name, its own columns, Age, then Containers, Images and Selector
 * for `-o wide`.
 */
export function workloadTable(
  own: Column[],
  cells: (
    spec: Record<string, unknown>,
    status: Record<string, unknown>,
    o: KObject,
    now: number
  ) => unknown[]
): TablePrinter {
  return {
    columns: [NAME, ...own, AGE, ...TEMPLATE_COLUMNS],
    cells(o: KObject, now: number) {
      const spec = isRecord(o.spec) ? o.spec : {}
      const status = isRecord(o.status) ? o.status : {}
      return [o.metadata.name, ...cells(spec, status, o, now), age(o, now), ...templateCells(spec)]
    }
  }
}
