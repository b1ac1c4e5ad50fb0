/**
 * What a build reports: the image it pushed, bound by digest, with buildx's metadata keys for
 * builders that have no metadata file of their own.
 */
import { repositoryOf } from './image-ref.js'
import type { BuildResult } from './types.js'

/** What a builder pushed: the release is bound to `name@digest`. */
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
