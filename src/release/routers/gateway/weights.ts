/**
 * The canary's share of one rule's backendRefs. Gateway API weights are relative: a backend gets
 * weight / (sum of the rule's weights), an absent weight is 1, and nothing says the sum is 100. A step
 * of `percent` gives the canary that percent of what the stable Service received, and every other
 * backend of the rule keeps exactly its share: all weights are scaled by the step's denominator and
 * the stable weight is split between stable and canary. Integers only, so the split is exact.
 *
 * Splitting is undone from the route: the canary's weight goes back into the stable backend it sits
 * beside, and the scaling is divided out, so the user's weights come back as they were (a step of 25
 * scales by 4: stable 1 -> stable 3 + canary 1 -> stable 1). Weights so large that scaling would pass
 * the API's 1000000 are first divided by their common factor (600000, 300000 -> 2, 1): that factor
 * cannot be read back from the route, so the caller keeps the user's weights of such a rule (see
 * canary-rules.ts) and hands them back to mergeCanaryIntoStable.
 */
import { type BackendRef, LIMITS, refersToService, RouteError, weightOf } from './http-route.js'

/** The Services a rule is split between; backendRefs without a namespace mean `namespace`. */
export interface SplitServices {
  namespace: string
  stableService: string
  canaryService: string
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}

function isStable(ref: BackendRef, services: SplitServices): boolean {
  return refersToService(ref, services.stableService, services.namespace)
}

export function isCanary(ref: BackendRef, services: SplitServices): boolean {
  return refersToService(ref, services.canaryService, services.namespace)
}

/**
 * True when refs hold a canary backendRef of ours: one beside a stable backendRef (the split only
 * ever puts it there). A rule sending to the canary Service without the stable one is the user's.
 */
export function hasOurCanary(refs: readonly BackendRef[], services: SplitServices): boolean {
  return refs.some(ref => isCanary(ref, services)) && refs.some(ref => isStable(ref, services))
}

/** The rule's first stable backendRef with a weight above 0: undefined when it sends stable nothing. */
export function stableBackend(
  refs: readonly BackendRef[],
  services: SplitServices
): BackendRef | undefined {
  return refs.find(ref => isStable(ref, services) && weightOf(ref) > 0)
}

/**
 * refs without the canary: each canary backendRef's weight returns to the stable backendRef before
 * it (or the first one), then the common factor the split introduced is divided out. refs without
 * a canary of ours (hasOurCanary) come back unchanged.
 * `original`: the user's weights, kept when the split divided them (splitDivides); they come back
 * exactly when the merged weights still have their ratios (nobody changed them meanwhile).
 */
export function mergeCanaryIntoStable(
  refs: readonly BackendRef[],
  services: SplitServices,
  original?: readonly number[]
): BackendRef[] {
  const merged = mergeWeights(refs, services)
  return original && proportional(merged.map(weightOf), original)
    ? merged.map((ref, i) => ({ ...ref, weight: original[i] }))
    : merged
}

/** Same length, and a[i] / b[i] the same for every i (whole numbers; a weight 0 only beside 0). */
function proportional(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length || b.some(w => !Number.isInteger(w) || w < 0 || w > LIMITS.weight))
    return false
  const k = a.findIndex(w => w > 0)
  if (k < 0 || b[k] === 0) return false
  return a.every((w, i) => w * b[k] === b[i] * a[k])
}

function mergeWeights(refs: readonly BackendRef[], services: SplitServices): BackendRef[] {
  if (!hasOurCanary(refs, services)) return [...refs]
  const kept: BackendRef[] = []
  const orphans: number[] = []
  // The canary's fraction of its stable pair: its denominator is the factor the split scaled by.
  let scale = 1
  const merge = (host: BackendRef, weight: number) => {
    const total = weightOf(host) + weight
    if (scale === 1 && total > 0) scale = total / gcd(weight, total)
    host.weight = total
  }
  for (const ref of refs) {
    if (!isCanary(ref, services)) {
      kept.push({ ...ref })
      continue
    }
    const host = kept.findLast(candidate => isStable(candidate, services))
    if (host) merge(host, weightOf(ref))
    else orphans.push(weightOf(ref))
  }
  const first = kept.find(ref => isStable(ref, services)) as BackendRef
  for (const weight of orphans) merge(first, weight)
  // Dividing every weight by a common factor changes no share; with weights someone else changed
  // meanwhile the factor is smaller (1 at worst), never wrong.
  const factor = kept.reduce((f, ref) => gcd(f, weightOf(ref)), scale)
  if (factor <= 1) return kept
  return kept.map(ref => ({ ...ref, weight: weightOf(ref) / factor }))
}

/** A percentage as a fraction in lowest terms: 25 -> [1, 4]. */
function fraction(percent: number): [number, number] {
  const common = gcd(percent, 100)
  return [percent / common, 100 / common]
}

/**
 * True when splitting refs for `percent` divides their weights by their common factor first (they
 * would pass the API's maximum once scaled): mergeCanaryIntoStable then needs the user's weights.
 */
export function splitDivides(
  refs: readonly BackendRef[],
  services: SplitServices,
  percent: number
): boolean {
  if (percent <= 0 || !stableBackend(refs, services)) return false
  return Math.max(...refs.map(weightOf)) * fraction(percent)[1] > LIMITS.weight
}

/**
 * refs (without a canary) with each stable backendRef of weight > 0 split: the canary takes
 * `percent` of its weight in a backendRef beside it (same port, filters, namespace: only the name
 * differs). `where` names the rule in errors. percent 0, or no stable traffic: refs unchanged.
 */
export function splitStable(
  refs: readonly BackendRef[],
  services: SplitServices,
  percent: number,
  where: string
): BackendRef[] {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`a canary step is a whole percentage from 0 to 100, not ${percent}`)
  }
  if (percent === 0 || !stableBackend(refs, services)) return [...refs]
  const [part, parts] = fraction(percent)
  let base = refs.map(weightOf)
  if (splitDivides(refs, services, percent)) {
    const factor = base.reduce(gcd, 0)
    base = base.map(weight => weight / factor)
  }
  if (Math.max(...base) * parts > LIMITS.weight) {
    throw new RouteError(
      `${where}: weights ${base.join(', ')} cannot be split exactly for a ${percent}% step (each backendRef's weight times ${parts} must stay at most ${LIMITS.weight}); use smaller weights with the same ratios`
    )
  }
  const split = refs.flatMap((ref, i): BackendRef[] =>
    isStable(ref, services) && base[i] > 0
      ? [
          { ...ref, weight: base[i] * (parts - part) },
          { ...ref, name: services.canaryService, weight: base[i] * part }
        ]
      : [{ ...ref, weight: base[i] * parts }]
  )
  if (split.length > LIMITS.backendRefs) {
    throw new RouteError(
      `${where}.backendRefs: adding the canary beside ${services.stableService} makes ${split.length} backendRefs, more than the ${LIMITS.backendRefs} the API allows in one rule`
    )
  }
  return split
}
