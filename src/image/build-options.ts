/**
 * The build inputs each builder can honour. buildx does all of them; buildah and plain docker
 * build fewer, and a build that asks for more is refused before anything runs, naming the input.
 * Default provenance is not asked for: a builder that cannot attest skips it.
 */
import { readFile } from 'node:fs/promises'
import { repositoryOf } from './image-ref.js'
import type { BuilderName, BuildOptions, BuildRequest, BuildResult } from './types.js'

/** A build with nothing beyond the image itself: no extra tags, secrets or attestations. */
export const PLAIN_BUILD: BuildOptions = {
  platforms: [],
  tags: [],
  labels: {},
  secrets: [],
  attestations: { provenanceIsDefault: true, sbom: false }
}

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

/** The image ID a builder wrote to its --iidfile; undefined when it wrote none. */
export async function readImageId(iidFile: string): Promise<string | undefined> {
  const id = (await readFile(iidFile, 'utf8').catch(() => '')).trim()
  return /^sha256:[a-f0-9]{64}$/.test(id) ? id : undefined
}

/**
 * What a builder pushed: the release is bound to `name@digest`. Builders without a metadata file
 * of their own report buildx's keys.
 */
export function pushedImage(
  image: string,
  digest: string,
  more: Partial<Pick<BuildResult, 'imageId' | 'metadata' | 'cacheHit' | 'warnings'>> = {}
): BuildResult {
  const { imageId, metadata, cacheHit, warnings = [] } = more
  return {
    image,
    digest,
    imageRef: `${repositoryOf(image)}@${digest}`,
    ...(imageId ? { imageId } : {}),
    metadata: metadata ?? metadataJson(image, digest, imageId),
    ...(cacheHit !== undefined ? { cacheHit } : {}),
    warnings
  }
}

/** buildx's metadata keys, for builders that have no metadata file of their own. */
export function metadataJson(image: string, digest: string, imageId?: string): string {
  return JSON.stringify({
    'containerimage.digest': digest,
    ...(imageId ? { 'containerimage.config.digest': imageId } : {}),
    'image.name': image
  })
}
