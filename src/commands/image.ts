/**
 * The release image: built and pushed (build: true, buildx or buildah), or the given image
 * resolved to its digest (build: false). Either way the canary runs it by digest.
 */
import { selectBuilder } from '../image/select.js'
import { isLoopbackRegistry, parseImageRef } from '../image/image-ref.js'
import { resolveDigest } from '../image/registry.js'
import type { Settings } from '../settings.js'
import type { CommandContext } from './types.js'

export interface BuiltImage {
  imageRef: string
  digest: string
  detail: string
  /** From a build: the builder's image ID and metadata JSON (the imageid and metadata outputs). */
  imageId?: string
  metadata?: string
}

/** Builds and pushes (build: true) or resolves the given image's digest (build: false). */
export async function produceImage(
  settings: Settings,
  context: CommandContext
): Promise<BuiltImage> {
  const { image } = settings
  const registry = image.registry ?? parseImageRef(image.name).registry
  const credentials =
    image.username && image.password
      ? { username: image.username, password: image.password }
      : undefined
  if (!image.build) {
    const resolved = await resolveDigest(image.name, credentials, { logger: context.logger })
    return {
      imageRef: resolved.imageRef,
      digest: resolved.digest,
      detail: `${image.name} is ${resolved.digest}`
    }
  }
  const builder = await selectBuilder(settings.run.toolEnv, 'auto', context.logger)
  const { run } = settings
  let built
  try {
    if (credentials) await builder.login(registry, credentials.username, credentials.password)
    built = await builder.build({
      context: image.context,
      dockerfile: image.dockerfile,
      image: `${image.name}:${settings.version}`,
      buildArgs: image.buildArgs,
      ...image.options,
      cache: image.cache,
      version: settings.version,
      revision: run.sha,
      source: run.repository ? `${run.serverUrl}/${run.repository}` : '',
      logger: context.logger,
      tlsVerify: isLoopbackRegistry(registry) ? false : undefined,
      signal: context.signal
    })
  } finally {
    // The registry login is not left on disk.
    await builder.dispose?.()
  }
  for (const warning of built.warnings) context.logger.warning(warning)
  const cache = built.cacheHit === undefined ? '' : built.cacheHit ? ', cache hit' : ', cache miss'
  return {
    imageRef: built.imageRef,
    digest: built.digest,
    detail: `${builder.name}: pushed ${built.imageRef}${cache}`,
    imageId: built.imageId,
    metadata: built.metadata
  }
}
