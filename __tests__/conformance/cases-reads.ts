/** Conformance cases. Reads and refusals: missing objects, selectors, HTTP errors, watch and list versions, the pod proxy. */
import type { Entry } from './scenario.js'

export const readsCases: Record<string, Entry> = {
  '20-get-missing.txt': {
    pending:
      'GET deployments/x in a missing namespace: ours deployments.apps "x" not found, recorded namespaces "nosuchns" not found'
  },
  '25-bad-label-selector.txt': { pending: 'scenario not written yet' },
  '26-bad-field-selector.txt': { pending: 'scenario not written yet' },
  '27-http-errors.txt': { pending: 'scenario not written yet' },
  '42-watch-too-old.txt': { pending: 'scenario not written yet' },
  '44-list-chunking.txt': { pending: 'scenario not written yet' },
  '49-pod-proxy.txt': { pending: 'scenario not written yet' }
}
