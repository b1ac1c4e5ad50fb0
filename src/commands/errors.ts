/**
 * How a command's failure reads in its report: one line a person can act on as the reason (never a
 * stack trace), the full text and a wait's diagnosis below it, and a cancelled run said plainly.
 */
import { codeBlock, type Report } from '../github/report.js'
import { WaitError } from '../k8s/wait.js'

/** A check that failed: the run is refused and nothing was written. */
export class Refusal extends Error {}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Marks the report failed (or refused), with the reason and, when there is more, the details. */
export function reportFailure(
  report: Report,
  error: unknown,
  signal: AbortSignal,
  scrub: (text: string) => string = text => text
): void {
  const full = scrub(errorMessage(error))
  report.status = error instanceof Refusal ? 'refused' : 'failure'
  report.reason = full.split('\n')[0]
  // Say it plainly: a cancelled run is not a broken release.
  if (signal.aborted) report.reason = `cancelled: ${report.reason}`
  const verdict = error instanceof WaitError ? error.verdict?.message : undefined
  const details = [full, verdict && !full.includes(verdict) ? scrub(verdict) : '']
    .filter(Boolean)
    .join('\n\n')
  if (details.includes('\n') || details.length > report.reason.length) {
    report.sections.push({ title: 'What went wrong', body: codeBlock(details) })
  }
}
