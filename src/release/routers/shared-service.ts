/**
 * The shared-service router (replicas): the canary's pods carry the stable pods' `app` label, so
 * the stable Service sends them their share by replica ratio. Nothing to read, nothing to write.
 */
import type { Router } from '../types.js'

export const sharedServiceRouter: Router<void> = {
  observe: async () => undefined,
  preflight: () => undefined,
  expose: () => [],
  exposure: () => undefined,
  promote: () => [],
  withdraw: () => [],
  revert: () => []
}
