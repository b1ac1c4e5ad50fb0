/** Conformance cases. Lifecycle: rollouts, object shapes after defaulting, Jobs, status, deletion, Terminating namespaces. */
import type { Entry } from './scenario.js'

export const lifecycleCases: Record<string, Entry> = {
  '30-rollout-status.txt': { pending: 'kubectl-only case, no raw answers' },
  '31-deployment-shape.txt': { pending: 'kubectl-only case, no raw answers' },
  '33-pod-shape.txt': { pending: 'kubectl-only case, no raw answers' },
  '46-job-complete.txt': { pending: 'kubectl-only case, no raw answers' },
  '47-job-failed.txt': { pending: 'kubectl-only case, no raw answers' },
  '54-status-subresource.txt': { pending: 'kubectl-only case, no raw answers' },
  '56-delete-foreground.txt': { pending: 'kubectl-only case, no raw answers' },
  '57-delete-background.txt': { pending: 'scenario not written yet' },
  '70-namespace-terminating.txt': { pending: 'kubectl-only case, no raw answers' }
}
