/**
 * The analysis verdict, kept on the canary Deployment where promote reads it back: deploy records
 * `running` before the first round and the verdict after each analysis (the worst so far: a
 * release that was inconclusive at one weight step is not "passed" because a later step passed),
 * bound to the image digest it was measured on. promote refuses a failed or unfinished analysis,
 * and an inconclusive one unless the approver accepts it (accept-inconclusive).
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { AnalysisVerdict } from '../analysis/index.js'
import type { Cluster } from '../k8s/client.js'
import {
  ANNOTATION_ANALYSIS,
  ANNOTATION_ANALYSIS_DIGEST,
  ANNOTATION_ANALYSIS_REASON,
  ANNOTATION_DIGEST
} from '../k8s/labels.js'
import { mergePatch } from '../k8s/objects.js'

export type RecordedVerdict = AnalysisVerdict | 'running'

export interface Recorded {
  verdict: RecordedVerdict
  reason: string
}

/** An annotation value stays readable in `kubectl describe`: the reason's first 500 characters. */
const MAX_REASON = 500

const SEVERITY: Record<AnalysisVerdict, number> = { passed: 0, inconclusive: 1, failed: 2 }

/** The worse of two verdicts: failed, then inconclusive, then passed. */
export function worse(a: AnalysisVerdict | undefined, b: AnalysisVerdict): AnalysisVerdict {
  return a !== undefined && SEVERITY[a] > SEVERITY[b] ? a : b
}

/** Records `verdict` on the canary Deployment `name`, for the image `digest`. */
export async function recordVerdict(
  cluster: Cluster,
  name: string,
  digest: string,
  recorded: Recorded
): Promise<void> {
  const reason = recorded.reason.replace(/\s+/g, ' ')
  // A merge patch, as the phase annotation: it must not change which fields our apply owns.
  await mergePatch(
    cluster,
    { kind: 'Deployment', name },
    {
      metadata: {
        annotations: {
          [ANNOTATION_ANALYSIS]: recorded.verdict,
          [ANNOTATION_ANALYSIS_DIGEST]: digest,
          [ANNOTATION_ANALYSIS_REASON]:
            reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason
        }
      }
    }
  )
}

/**
 * The verdict recorded on `canary` for the image it runs now; undefined when none was (deploy ran
 * no analysis), or when the one recorded is about another image.
 */
export function recordedVerdict(canary: V1Deployment): Recorded | undefined {
  const annotations = canary.metadata?.annotations ?? {}
  const verdict = annotations[ANNOTATION_ANALYSIS]
  if (verdict === undefined) return undefined
  if (annotations[ANNOTATION_ANALYSIS_DIGEST] !== annotations[ANNOTATION_DIGEST]) return undefined
  const known: RecordedVerdict[] = ['running', 'passed', 'failed', 'inconclusive']
  return {
    verdict: known.includes(verdict as RecordedVerdict) ? (verdict as RecordedVerdict) : 'running',
    reason: annotations[ANNOTATION_ANALYSIS_REASON] ?? ''
  }
}

/** What promote makes of the recorded verdict: a fact for the summary, or a refusal's reason. */
export type PromotionCheck =
  { ok: true; fact: string; acceptedInconclusive?: boolean } | { ok: false; refusal: string }

export function judgePromotion(
  canaryName: string,
  recorded: Recorded | undefined,
  acceptInconclusive: boolean,
  approver: string
): PromotionCheck {
  if (!recorded) return { ok: true, fact: 'none recorded for this image (deploy ran none)' }
  const { verdict, reason } = recorded
  if (verdict === 'passed') return { ok: true, fact: `passed: ${reason}` }
  if (verdict === 'failed') {
    return {
      ok: false,
      refusal: `the metric analysis of ${canaryName} failed (${reason}): a canary that failed its analysis is not promoted; roll it back, fix the release and deploy again`
    }
  }
  if (verdict === 'running') {
    return {
      ok: false,
      refusal: `the metric analysis of ${canaryName} did not finish (the deploy run ended during it, or is still running): wait for it, or deploy again`
    }
  }
  if (!acceptInconclusive) {
    return {
      ok: false,
      refusal: `the metric analysis of ${canaryName} was inconclusive (${reason}): it is neither a pass nor a failure, so promoting it is the approver's decision: run promote again with accept-inconclusive: true to take it`
    }
  }
  return {
    ok: true,
    acceptedInconclusive: true,
    fact: `inconclusive (${reason}); promoted by the decision of ${approver} (accept-inconclusive: true)`
  }
}
