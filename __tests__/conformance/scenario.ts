/**
 * What a conformance case is: a scenario replayed against the test cluster with raw HTTP, whose
 * answers are compared with the recorded kube-apiserver v1.36.3 answers (`replay`), or, for cases
 * recorded through kubectl (no raw answers), a check that asserts the facts the recording shows.
 */
import { parseAllDocuments } from 'yaml'
import type { TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'
import { findKind } from '../harness/resources.js'
import { readManifestText } from './recording.js'

export interface Answer {
  status: number
  body: unknown
  contentType?: string
  /** Warning headers, as sent */
  warnings?: string[]
}
/**
 * Replays the requests behind a recording's raw answers, in order, and returns our answers; it may
 * also assert (with expect) the facts its kubectl lines show.
 */
export type Scenario = (c: TestCluster, ns: string, recording: string) => Promise<Answer[]>
/** Asserts (with expect) the facts a kubectl-only recording shows; gets the recording's text. */
export type Check = (c: TestCluster, ns: string, recording: string) => Promise<void>
/** `controllers: false` runs it without controllers, for cases about the API alone. */
export type Entry =
  Scenario | { replay: Scenario; controllers?: boolean } | { check: Check; controllers?: boolean }

export const token = 'test-token'
/** The recordings' namespace: messages that name it compare literally. */
export const NS = 'k8sdiff'

/** One raw request as kubectl or our client would send it; a string body is sent as given. */
export function call(
  c: TestCluster,
  method: string,
  p: string,
  body?: unknown,
  contentType = 'application/json',
  bearer = token
): Promise<Answer> {
  return rawRequest(c, method, p, body, contentType, bearer)
}

/** The body of an answer as an object (for the facts a scenario asserts). */
export function bodyOf<T = Record<string, unknown>>(a: Answer): T {
  return a.body as T
}

const PLACEHOLDERS: Record<string, string> = {
  '<RV>': '\\d+',
  '<UID>': '[0-9a-f-]{36}',
  '<TS>': '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ',
  '<IP>': '\\d+\\.\\d+\\.\\d+\\.\\d+',
  '<HASH>': '[bcdfghjklmnpqrstvwxz2456789]+',
  '<RAND>': '[bcdfghjklmnpqrstvwxz2456789]{5}',
  '<NODE>': '[a-z0-9.-]+',
  '<NS>': '[a-z0-9-]+',
  '<CONTINUE>': '[A-Za-z0-9_-]+',
  '<AGE>': '\\d+[smhdy](\\d+[smh])?'
}

/** Whether our string is the recorded one once the recording's normalised values are filled in. */
function matchesRecorded(ours: string, recorded: string): boolean {
  if (!/<[A-Z]+>/.test(recorded)) return false
  const pattern = recorded
    .split(/(<[A-Z]+>)/)
    .map(part => PLACEHOLDERS[part] ?? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('')
  return new RegExp(`^${pattern}$`).test(ours)
}

/**
 * Our value with the recording's volatile values put back (timestamps, uids, IPs, hashes), every
 * key kept: for facts the recording shows whole (exact shapes).
 */
export function normalise(ours: unknown, recorded: unknown): unknown {
  if (Array.isArray(ours))
    return ours.map((v, i) => normalise(v, Array.isArray(recorded) ? recorded[i] : undefined))
  if (ours && typeof ours === 'object') {
    const rec =
      recorded && typeof recorded === 'object' ? (recorded as Record<string, unknown>) : {}
    return Object.fromEntries(
      Object.entries(ours as Record<string, unknown>).map(([k, v]) => [k, normalise(v, rec[k])])
    )
  }
  if (typeof ours === 'string' && typeof recorded === 'string' && matchesRecorded(ours, recorded))
    return recorded
  return ours
}

/** The JSON a recorded command printed (the lines after the first `$ ` line containing `command`). */
export function recordedJson(recording: string, command: string): unknown {
  const lines = recording.split('\n')
  const at = lines.findIndex(l => l.startsWith('$ ') && l.includes(command))
  if (at < 0) throw new Error(`recording has no command containing ${command}`)
  const body: string[] = []
  for (const l of lines.slice(at + 1)) {
    if (/^(\$ |\[rc=|\[http |# )/.test(l)) break
    if (l.startsWith('Warning: ')) continue
    body.push(l)
  }
  return JSON.parse(body.join('\n')) as unknown
}

export function inNamespace(obj: unknown, ns: string): unknown {
  const o = obj as { metadata: Record<string, unknown> }
  return { ...o, metadata: { ...o.metadata, namespace: ns } }
}

/**
 * Our value cut down to the keys the recording shows (jq's cut), volatile values normalised. A key
 * the recording shows as null may be absent from ours (jq prints a missing key as null).
 */
export function project(ours: unknown, recorded: unknown): unknown {
  if (Array.isArray(recorded) && Array.isArray(ours)) {
    return ours.map((v, i) => project(v, recorded[i]))
  }
  if (recorded && typeof recorded === 'object' && ours && typeof ours === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, rv] of Object.entries(recorded)) {
      const o = ours as Record<string, unknown>
      if (k in o) out[k] = project(o[k], rv)
      else if (rv === null) out[k] = null
    }
    return out
  }
  return normalise(ours, recorded)
}

interface Meta {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string }
}

/** The REST path of an object (namespaced kinds in `ns`), from the served kinds as kubectl's discovery maps them. */
export function objectPath(obj: unknown, ns: string): string {
  const o = obj as Meta
  const type = findKind(o.kind)
  if (!type) throw new Error(`scenario: the test cluster serves no kind ${o.kind}`)
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`
  const scope = type.namespaced ? `/namespaces/${ns}` : ''
  return `${base}${scope}/${type.resource}/${o.metadata.name}`
}

/** The documents of a recorded manifest (YAML or JSON), moved into `ns`. */
export function manifestObjects(name: string, ns: string): unknown[] {
  const text = readManifestText(name)
  return parseAllDocuments(text)
    .map(d => d.toJS() as unknown)
    .filter(o => o !== null)
    .map(o => ((o as Meta).kind === 'Namespace' ? o : inNamespace(o, ns)))
}

/** `kubectl apply --server-side --field-manager=<manager>` of one object. */
export function applyObject(
  c: TestCluster,
  obj: unknown,
  ns: string,
  manager = 'k8sdiff',
  query = ''
): Promise<Answer> {
  return call(
    c,
    'PATCH',
    `${objectPath(obj, ns)}?fieldManager=${manager}${query}`,
    obj,
    'application/apply-patch+yaml'
  )
}

/** `kubectl apply --server-side -f <manifest>`: every document, in order. */
export async function applyManifest(
  c: TestCluster,
  name: string,
  ns: string,
  manager = 'k8sdiff'
): Promise<Answer[]> {
  const answers: Answer[] = []
  for (const obj of manifestObjects(name, ns)) answers.push(await applyObject(c, obj, ns, manager))
  return answers
}

/** The resourceVersion an answer's object carries. */
export function rvOf(a: Answer): string {
  return (a.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? ''
}

/** The rows of a table kubectl printed (header first), cells split as the recordings space them. */
export function recordedTable(recording: string, command: string): string[][] {
  const lines = recording.split('\n')
  const at = lines.findIndex(l => l.startsWith('$ ') && l.endsWith(command))
  if (at < 0) throw new Error(`recording has no command ending with ${command}`)
  const rows: string[][] = []
  for (const l of lines.slice(at + 1)) {
    if (/^(\$ |\[rc=|\[http |# )/.test(l)) break
    rows.push(l.trim().split(/\s{2,}/))
  }
  return rows
}

/** What `kubectl get` prints from the server's Table: header (upper case), then one row per object. */
export async function kubectlTable(
  c: TestCluster,
  path: string,
  wide = false
): Promise<string[][]> {
  const res = await fetch(c.url + path, {
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
    }
  })
  const table = (await res.json()) as {
    columnDefinitions: { name: string; priority: number }[]
    rows: { cells: unknown[] }[]
  }
  const shown = table.columnDefinitions
    .map((col, i) => ({ col, i }))
    .filter(x => wide || x.col.priority === 0)
  return [
    shown.map(x => x.col.name.toUpperCase()),
    ...table.rows.map(r => shown.map(x => String(r.cells[x.i])))
  ]
}
