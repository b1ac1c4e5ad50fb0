/**
 * Comparing two versions of one Kubernetes object as a person would read it: server bookkeeping
 * and history stripped, keys sorted, Secret values replaced by short keyed hashes, and the
 * difference as a unified diff.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { KubernetesObject } from '@kubernetes/client-node'
import { createTwoFilesPatch } from 'diff'
import { stringify } from 'yaml'
import { isRecord } from '../json.js'

export type DiffKind = 'create' | 'update' | 'delete' | 'unchanged'

export interface ObjectDiff {
  kind: DiffKind
  /** A unified diff (empty when unchanged). */
  text: string
}

/** Annotations that record history, not intent: they differ on every write. */
const HISTORY_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration'
]
const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
  'deletionTimestamp'
] as const

/** A plain JSON copy: Dates become strings, undefined fields go, inputs are never mutated. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** The object without status, server-managed metadata and history-only annotations. */
export function normalizeForDiff<T extends KubernetesObject>(obj: T): T {
  const copy = plain(obj) as T & { status?: unknown }
  delete copy.status
  const metadata = copy.metadata
  if (metadata) {
    for (const field of SERVER_METADATA) delete metadata[field]
    if (metadata.annotations) {
      for (const key of HISTORY_ANNOTATIONS) delete metadata.annotations[key]
      if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations
    }
  }
  return copy
}

/**
 * Secret values are hashed with a key made once per run (HMAC-SHA256): two sides of one diff can
 * be compared, but a short hash in a public pull request comment cannot be brute-forced back to a
 * weak password.
 */
const RUN_KEY = randomBytes(32)
const REDACTED = /^<sha256:[0-9a-f]{12}, \d+ bytes>$/

function redactValue(bytes: Buffer, key: Buffer): string {
  const hash = createHmac('sha256', key).update(bytes).digest('hex').slice(0, 12)
  return `<sha256:${hash}, ${bytes.length} bytes>`
}

/**
 * A Secret whose data and stringData values are replaced by `<sha256:<12 hex>, N bytes>`, with
 * stringData folded into data (it wins, as on the server). Key names stay; values never do.
 * Anything that is not a Secret comes back as it was. Redacting twice changes nothing.
 */
export function redactSecret<T extends KubernetesObject>(obj: T, key: Buffer = RUN_KEY): T {
  if (obj.kind !== 'Secret') return obj
  const copy = plain(obj) as T & { data?: unknown; stringData?: unknown }
  const data: Record<string, string> = {}
  if (isRecord(copy.data)) {
    for (const [name, value] of Object.entries(copy.data)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value)
      data[name] = REDACTED.test(text) ? text : redactValue(Buffer.from(text, 'base64'), key)
    }
  }
  if (isRecord(copy.stringData)) {
    for (const [name, value] of Object.entries(copy.stringData)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value)
      data[name] = redactValue(Buffer.from(text, 'utf8'), key)
    }
  }
  delete copy.stringData
  if (Object.keys(data).length > 0) copy.data = data
  else delete copy.data
  // kubectl's last-applied annotation holds the whole Secret, values included.
  const annotations = copy.metadata?.annotations
  if (annotations) delete annotations['kubectl.kubernetes.io/last-applied-configuration']
  return copy
}

/** Sorted-key YAML of the normalised, redacted object; '' for no object. */
export function objectYaml(obj: KubernetesObject | undefined): string {
  if (obj === undefined) return ''
  return stringify(redactSecret(normalizeForDiff(obj)), { sortMapEntries: true, lineWidth: 0 })
}

/**
 * The difference between what is (before, undefined when absent) and what would be (after,
 * undefined when removed). A created object is shown whole, as added lines.
 */
export function diffObject(
  label: string,
  before: KubernetesObject | undefined,
  after: KubernetesObject | undefined
): ObjectDiff {
  const beforeText = objectYaml(before)
  const afterText = objectYaml(after)
  const kind: DiffKind =
    before === undefined && after === undefined
      ? 'unchanged'
      : before === undefined
        ? 'create'
        : after === undefined
          ? 'delete'
          : beforeText === afterText
            ? 'unchanged'
            : 'update'
  if (kind === 'unchanged') return { kind, text: '' }
  const text = createTwoFilesPatch(
    before === undefined ? '/dev/null' : label,
    after === undefined ? '/dev/null' : label,
    beforeText,
    afterText,
    before === undefined ? 'absent' : 'now',
    after === undefined ? 'absent' : 'after',
    { context: 3 }
  )
  // Drop jsdiff's Index line and '=====' banner: the --- and +++ lines already name the object.
  return { kind, text: text.replace(/^(Index: .*\n)?=+\n/, '') }
}
