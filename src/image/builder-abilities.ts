/**
 * The build inputs each builder can honour. buildx does all of them; buildah and plain docker
 * build fewer, and a build that asks for more is refused before anything runs, naming the input.
 * Default provenance is not asked for: a builder that cannot attest skips it.
 */
import type { BuilderName, BuildRequest } from './types.js'

export interface BuilderAbilities {
  secrets: boolean
  /** How many platforms one build may target. */
  platforms: number
  attestations: boolean
}

/** Throws naming the inputs this builder cannot honour. */
export function refuseUnsupported(
  builder: BuilderName,
  req: BuildRequest,
  can: BuilderAbilities
): void {
  const { provenance, provenanceIsDefault, sbom } = req.attestations
  const unsupported = [
    ...(req.secrets.length > 0 && !can.secrets ? ['secrets'] : []),
    ...(req.platforms.length > can.platforms
      ? [`platforms (${can.platforms} at most, ${req.platforms.length} given)`]
      : []),
    ...(!can.attestations && provenance && !provenanceIsDefault ? ['provenance'] : []),
    ...(!can.attestations && sbom ? ['sbom'] : [])
  ]
  if (unsupported.length > 0) {
    throw new Error(
      `the ${builder} builder cannot honour the input${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')} for ${req.image}: install docker buildx, or leave ${unsupported.length > 1 ? 'them' : 'it'} empty`
    )
  }
}
