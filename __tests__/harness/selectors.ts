/**
 * Label and field selectors, as the list and watch verbs take them.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/
 */
import { badRequest } from './status.js'
import type { ResourceType } from './resources.js'
import { isRecord, type KObject, type LabelSelector } from './types.js'

export type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string }

export type Selector = (labels: Record<string, string> | undefined) => boolean

/** Splits on commas that are not inside a `( ... )` value set. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
    } else cur += ch
  }
  parts.push(cur)
  return parts.map(p => p.trim()).filter(p => p !== '')
}

export function parseLabelSelector(s: string): Requirement[] {
  return splitTopLevel(s).map(part => {
    let m = /^([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part)
    if (m) {
      const values = m[3]
        .split(',')
        .map(v => v.trim())
        .filter(v => v !== '')
      return { op: m[2] as 'in' | 'notin', key: m[1], values }
    }
    m = /^([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)$/.exec(part)
    if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] }
    m = /^(!?)\s*([A-Za-z0-9_./-]+)$/.exec(part)
    if (m) return { op: m[1] ? 'notexists' : 'exists', key: m[2] }
    throw badRequest(`unable to parse requirement: found '${part}', expected: identifier`)
  })
}

export function matchRequirements(
  reqs: Requirement[],
  labels: Record<string, string> | undefined
): boolean {
  const l = labels ?? {}
  return reqs.every(r => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key)
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value
      case 'neq':
        return !has || l[r.key] !== r.value
      case 'in':
        return has && r.values.includes(l[r.key])
      case 'notin':
        return !has || !r.values.includes(l[r.key])
      case 'exists':
        return has
      case 'notexists':
        return !has
    }
  })
}

export function labelSelector(s: string | undefined): Selector {
  if (!s) return () => true
  const reqs = parseLabelSelector(s)
  return labels => matchRequirements(reqs, labels)
}

/** metav1.LabelSelector (matchLabels + matchExpressions), as Deployments, ReplicaSets and Jobs hold it. */
export function matchesLabelSelector(
  sel: LabelSelector | undefined,
  labels: Record<string, string> | undefined
): boolean {
  if (!sel) return false
  const reqs: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({
    op: 'eq',
    key,
    value
  }))
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase()
    if (op === 'in' || op === 'notin') reqs.push({ op, key: e.key, values: e.values ?? [] })
    else if (op === 'exists') reqs.push({ op: 'exists', key: e.key })
    else if (op === 'doesnotexist') reqs.push({ op: 'notexists', key: e.key })
  }
  if (reqs.length === 0) return false
  return matchRequirements(reqs, labels)
}

/** Fields each resource can be selected on (metadata.name and metadata.namespace everywhere). */
const FIELDS: Record<string, string[]> = {
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName'
  ],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type'
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
  replicasets: ['status.replicas'],
  jobs: ['status.successful']
}

function fieldValue(obj: KObject, path: string): string {
  if (path === 'source') {
    const src = obj.source
    return isRecord(src) && typeof src.component === 'string' ? src.component : ''
  }
  if (path === 'status.successful') {
    const st = obj.status
    return isRecord(st) ? String(st.succeeded ?? 0) : '0'
  }
  let cur: unknown = obj
  for (const seg of path.split('.')) cur = isRecord(cur) ? cur[seg] : undefined
  return cur === undefined || cur === null ? '' : String(cur)
}

export type FieldSelector = (obj: KObject) => boolean

export function fieldSelector(t: ResourceType, s: string | undefined): FieldSelector {
  if (!s) return () => true
  const reqs = splitTopLevel(s).map(part => {
    const m = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(part)
    if (!m)
      throw badRequest(
        `invalid field selector: invalid selector: '${s}'; can't understand '${part}'`
      )
    const field = m[1]
    const allowed = ['metadata.name', 'metadata.namespace', ...(FIELDS[t.resource] ?? [])]
    if (!allowed.includes(field)) {
      throw badRequest(`field label not supported: ${field}`)
    }
    return { field, neq: m[2] === '!=', value: m[3] }
  })
  return obj => reqs.every(r => (fieldValue(obj, r.field) === r.value) !== r.neq)
}
