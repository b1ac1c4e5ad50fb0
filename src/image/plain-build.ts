/** A build with nothing beyond the image itself: no extra tags, secrets or attestations. */
import type { BuildOptions } from './types.js'

export const PLAIN_BUILD: BuildOptions = {
  platforms: [],
  tags: [],
  labels: {},
  secrets: [],
  attestations: { provenanceIsDefault: true, sbom: false }
}
