/**
 * Which rainbow releases cleanup deletes: a pure decision over a release history, so it can be
 * checked over every history (property test) without a cluster.
 *
 * Kept, always: the live release; the previous one (the most recently replaced, where rollback
 * goes); releases never live (deployed, awaiting promotion); the newest `keep` releases that were
 * live (live and previous count); any replaced less than `minAgeMs` ago (still draining); any whose
 * replaced-at is unknown. Everything else is deleted, unless its load was measured (drain-query,
 * drain-path) and is not drained: then it is kept as busy, or as unmeasured when the load is unknown.
 */
import { decideDrain, formatLoad, type LoadReading } from '../analysis/drain.js'

export interface ReleaseRecord {
  name: string
  /** Its canary-deploy.dev/release label (the planner does not use it; deleting does). */
  id?: string
  /** When it became live (ms since epoch); undefined: never promoted. */
  releasedAt?: number
  /** When it stopped being live; undefined while live, or never promoted. */
  replacedAt?: number
  /** The Service selects it now (or, without a Service, it is the newest one released and not replaced). */
  live: boolean
}

export type ReleaseState =
  'live' | 'previous' | 'pending' | 'kept' | 'draining' | 'busy' | 'unmeasured' | 'deleted'

export interface CleanupDecision {
  name: string
  state: ReleaseState
  /** ms since it was replaced (live: since released; pending: undefined). */
  ageMs?: number
  reason: string
  /** Its load as measured (drain-query, drain-path); undefined: not measured. */
  load?: LoadReading
}

export interface CleanupOptions {
  keep: number
  minAgeMs: number
  now: number
}

export function planCleanup(releases: ReleaseRecord[], opts: CleanupOptions): CleanupDecision[] {
  const { keep, minAgeMs, now } = opts
  const decisions = new Map<string, CleanupDecision>()
  const live = releases.filter(r => r.live)
  const pending = releases.filter(r => !r.live && r.releasedAt === undefined)
  const unknown = releases.filter(
    r => !r.live && r.releasedAt !== undefined && r.replacedAt === undefined
  )
  // Were live, now replaced: the most recently replaced first.
  const replaced = releases
    .filter(r => !r.live && r.releasedAt !== undefined && r.replacedAt !== undefined)
    .sort((a, b) => (b.replacedAt ?? 0) - (a.replacedAt ?? 0) || a.name.localeCompare(b.name))

  for (const r of live) {
    decisions.set(r.name, {
      name: r.name,
      state: 'live',
      ageMs: r.releasedAt === undefined ? undefined : now - r.releasedAt,
      reason: 'serving traffic'
    })
  }
  for (const r of pending) {
    decisions.set(r.name, {
      name: r.name,
      state: 'pending',
      reason: 'never live: promote or roll it back'
    })
  }
  for (const r of unknown) {
    decisions.set(r.name, {
      name: r.name,
      state: 'kept',
      ageMs: now - (r.releasedAt ?? now),
      reason: 'no replaced-at annotation: its drain age is unknown'
    })
  }
  // Live releases take the first places among the `keep` newest.
  let slots = Math.max(0, keep - live.length)
  replaced.forEach((r, index) => {
    const ageMs = now - (r.replacedAt ?? now)
    let decision: CleanupDecision
    if (index === 0) {
      decision = { name: r.name, state: 'previous', ageMs, reason: 'where rollback goes' }
    } else if (slots > 0) {
      decision = { name: r.name, state: 'kept', ageMs, reason: `among the newest ${keep}` }
    } else if (ageMs < minAgeMs) {
      decision = {
        name: r.name,
        state: 'draining',
        ageMs,
        reason: `replaced less than drain-min-age (${formatAge(minAgeMs)}) ago`
      }
    } else {
      decision = {
        name: r.name,
        state: 'deleted',
        ageMs,
        reason: `beyond the newest ${keep}, drained for ${formatAge(ageMs)}`
      }
    }
    if (decision.state === 'previous' || decision.state === 'kept') slots = Math.max(0, slots - 1)
    decisions.set(r.name, decision)
  })
  return releases.map(r => decisions.get(r.name) as CleanupDecision)
}

/**
 * The age rules' decisions with each release's measured load: a deletion stands only for a release
 * drained to `threshold` or below (analysis/drain.ts decideDrain); every other decision keeps its
 * state and shows its load.
 */
export function withLoads(
  decisions: CleanupDecision[],
  loads: ReadonlyMap<string, LoadReading>,
  threshold: number
): CleanupDecision[] {
  const drained = decideDrain(
    decisions.map(d => ({ name: d.name, delete: d.state === 'deleted', reason: d.reason })),
    loads,
    threshold
  )
  return decisions.map((decision, index) => {
    const { load, reason } = drained[index]
    const measured = load ? { ...decision, load } : decision
    if (decision.state !== 'deleted' || drained[index].delete) return { ...measured, reason }
    return { ...measured, state: load?.load === undefined ? 'unmeasured' : 'busy', reason }
  })
}

/** A table cell: `2 (GET /connections on 1 pod: shop-web-x: 2)`, or `–` when not measured. */
export function describeLoad(reading: LoadReading | undefined): string {
  if (!reading) return '–'
  const value = reading.load === undefined ? 'unknown' : formatLoad(reading.load)
  return `${value} (${reading.source}: ${reading.detail})`
}

/** 90 s, 12 min, 3.5 h, 2 d: ages as a person reads them. */
export function formatAge(ms: number | undefined): string {
  if (ms === undefined) return '-'
  const s = Math.max(0, ms) / 1000
  if (s < 120) return `${Math.round(s)} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${Math.round((s / 3600) * 10) / 10} h`
  return `${Math.round((s / 86_400) * 10) / 10} d`
}
