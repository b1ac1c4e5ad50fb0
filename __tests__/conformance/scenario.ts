/**
 * What a conformance case is: a scenario replayed against the test cluster with raw HTTP, whose
 * answers are compared with the recorded kube-apiserver v1.36.3 answers (`replay`), or, for cases
 * recorded through kubectl (no raw answers), a check that asserts the facts the recording shows.
 */
import { parseAllDocuments } from 'yaml'
import type { TestCluster } from '../harness/cluster.js'
import { findKind } from '../harness/resources.js'
import { readManifestText } from './recording.js'

export interface Answer {
  status: number
  body: unknown
}
export type Scenario = (c: TestCluster, ns: string) => Promise<Answer[]>
/** Asserts (with expect) the facts a kubectl-only recording shows; gets the recording's text. */
export type Check = (c: TestCluster, ns: string, recording: string) => Promise<void>
/** `controllers: false` runs the check without controllers, for cases about the API alone. */
export type Entry = Scenario | { check: Check; controllers?: boolean } | { pending: string }

export const token = 'test-token'

/** One raw request as kubectl or our client would send it; a string body is sent as given. */
export async function call(
  c: TestCluster,
  method: string,
  p: string,
  body?: unknown,
  contentType = 'application/json'
): Promise<Answer> {
  const res = await fetch(c.url + p, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed }
}

export function inNamespace(obj: unknown, ns: string): unknown {
  const o = obj as { metadata: Record<string, unknown> }
  return { ...o, metadata: { ...o.metadata, namespace: ns } }
}

/** Our value cut down to the keys the recording shows, volatile values normalised. */
export function project(ours: unknown, recorded: unknown, ns: string): unknown {
  if (Array.isArray(recorded) && Array.isArray(ours)) {
    return ours.map((v, i) => project(v, recorded[i], ns))
  }
  if (recorded && typeof recorded === 'object' && ours && typeof ours === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(recorded)) {
      if (k in ours) {
        out[k] = project(
          (ours as Record<string, unknown>)[k],
          (recorded as Record<string, unknown>)[k],
          ns
        )
      }
    }
    return out
  }
  if (typeof ours === 'string') {
    if (ours === ns) return '<NS>'
    if (recorded === '<RV>' || recorded === '<UID>' || recorded === '<TS>' || recorded === '<IP>') {
      return recorded
    }
  }
  return ours
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
