/**
 * Server-side printing: a GET or LIST whose Accept asks for `as=Table` (what `kubectl get` asks)
 * answers a meta.k8s.io/v1 Table with the kind's columns (its registry file's `table`, else the
 * default convertor's Name and Created At; a CRD's additionalPrinterColumns), cells worded as
 * kube's printers word them, `priority: 1` columns being the `-o wide` ones.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables
 */
import type { ResourceType } from './resources.js'
import { isRecord, type KObject } from './types.js'

export interface Column {
  name: string
  type: string
  format?: string
  description?: string
  priority?: number
}

export interface TablePrinter {
  columns: Column[]
  /** the cells of one row, in column order */
  cells(obj: KObject, now: number): unknown[]
}

/** Whether the Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some(p => /;\s*as=Table/.test(p) && /g=meta\.k8s\.io/.test(p))
}

/** apimachinery's duration.HumanDuration, as the Age columns print it. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
  const days = Math.floor(hours / 24)
  if (hours < 24 * 365 * 2) return `${days}d`
  const years = Math.floor(days / 365)
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`
  return `${years}y`
}

/** The Age cell: how long ago the object was created. */
export function age(obj: KObject, now: number): string {
  const created = Date.parse(obj.metadata.creationTimestamp ?? '')
  return Number.isNaN(created) ? '<unknown>' : humanDuration(now - created)
}

export const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names'
}
export const AGE: Column = {
  name: 'Age',
  type: 'string',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata'
}

/** The default table convertor (kinds without a printer). */
const DEFAULT: TablePrinter = {
  columns: [NAME, { name: 'Created At', type: 'date', description: AGE.description }],
  cells: o => [o.metadata.name, o.metadata.creationTimestamp]
}

/** A JSONPath of additionalPrinterColumns (`.spec.hostnames`, `.status.x[0].y`), evaluated plainly. */
function jsonPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const part of path.replace(/^\./, '').match(/[^.[\]]+/g) ?? []) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)]
    else if (isRecord(cur)) cur = cur[part]
    else return undefined
  }
  return cur
}

/** One of a CRD version's additionalPrinterColumns. */
export interface PrinterColumn {
  name: string
  type: string
  jsonPath: string
  description?: string
  priority?: number
  format?: string
}

/** The Containers, Images and Selector columns (`-o wide`) of the workload kinds. */
export const TEMPLATE_COLUMNS: Column[] = [
  {
    name: 'Containers',
    type: 'string',
    priority: 1,
    description: 'Names of each container in the template.'
  },
  {
    name: 'Images',
    type: 'string',
    priority: 1,
    description: 'Images referenced by each container in the template.'
  },
  { name: 'Selector', type: 'string', priority: 1, description: 'Label selector for pods.' }
]

/** A printer of Name, one more column (`cell`) and Age: most small kinds print so. */
export function simpleTable(column: Column, cell: (o: KObject) => unknown): TablePrinter {
  return {
    columns: [NAME, column, AGE],
    cells: (o, now) => [o.metadata.name, cell(o), age(o, now)]
  }
}

/** A CRD version's additionalPrinterColumns as a printer. */
export function printerColumns(cols: PrinterColumn[]): TablePrinter {
  return {
    columns: [
      NAME,
      ...cols.map(c => ({
        name: c.name,
        type: c.type,
        ...(c.format ? { format: c.format } : {}),
        description: c.description ?? '',
        priority: c.priority ?? 0
      }))
    ],
    cells: o => [
      o.metadata.name,
      ...cols.map(c => {
        const v = jsonPath(o, c.jsonPath)
        if (v === undefined) return null
        return Array.isArray(v) ? v.map(String).join(',') : v
      })
    ]
  }
}

/** The Table for these objects (one object for a GET). */
export function toTable(
  t: ResourceType,
  objects: KObject[],
  resourceVersion: string,
  includeObject: string | null
): Record<string, unknown> {
  const printer = t.table ?? DEFAULT
  const now = Date.now()
  const rows = objects.map(o => {
    const row: Record<string, unknown> = { cells: printer.cells(o, now) }
    if (includeObject === 'Object') row.object = o
    else if (includeObject !== 'None')
      row.object = {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: o.metadata
      }
    return row
  })
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: printer.columns.map(c => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0
    })),
    rows
  }
}
