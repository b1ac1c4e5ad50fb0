/** Build cache backends: when GitHub's is there, and how a failing one reads in a builder's output. */
import type { BuildRequest, Env } from './types.js'

/** GitHub's cache service is usable when the runner handed the action its URL and token. */
export function hasGithubActionsCache(env: Env): boolean {
  return Boolean((env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL) && env.ACTIONS_RUNTIME_TOKEN)
}

/** True when a build of req would export its cache (GitHub's, or the registry's buildcache tag). */
export function exportsCache(req: Pick<BuildRequest, 'cache'>, env: Env): boolean {
  return req.cache === 'registry' || (req.cache === 'auto' && hasGithubActionsCache(env))
}

const CACHE_BACKEND_ERRORS = [
  /failed to export (?:build )?cache/i,
  /error writing layer blob/i,
  /error writing manifest blob/i,
  /(?:cache|gha|actions).*\b429\b|\b429\b.*(?:cache|gha|too many requests)/i,
  /failed to (?:reserve|upload|commit) cache/i,
  // buildx on the docker driver: "Cache export is not supported for the docker driver." (current),
  // "cache export feature is currently not supported for docker driver" (before buildx 0.10).
  /cache export (?:feature )?is (?:currently )?not supported for (?:the )?docker driver/i
]

/** True when output shows the cache backend (gha, registry cache) failing, not the build. */
export function isCacheBackendError(output: string): boolean {
  return CACHE_BACKEND_ERRORS.some(pattern => pattern.test(output))
}

/**
 * True when buildx refused attestations: "Attestation is not supported for the docker driver."
 * (docker driver, classic image store), or an older BuildKit without them.
 */
export function isAttestationUnsupported(output: string): boolean {
  return /attestation is not supported for the docker driver|attestations are not supported by the current buildkitd/i.test(
    output
  )
}
