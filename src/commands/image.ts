/**
 * The release image: built and pushed (build: true, buildx or buildah), or the given image
 * resolved to its digest (build: false). Either way the canary runs it by digest.
 */
import { selectBuilder } from '../image/select.js'
import { isLoopbackRegistry, parseImageRef } from '../image/image-ref.js'
import { resolveDigest } from '../image/registry.js'
import type { BuildRequest, ImageBuilder } from '../image/types.js'
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

/** The image of this run, ready to be produced: its builder picked and its refusals made. */
export interface PreparedImage {
  /** What deploy reports before the build: the builder that will run, if any. */
  detail?: string
  /** Builds and pushes (build: true) or resolves the given image's digest (build: false). */
  produce(): Promise<BuiltImage>
}

/**
 * Picks the builder and runs its refusals (an input it cannot honour, named), writing nothing
 * anywhere: deploy calls it before its first write, so bad input costs no deployment record, no
 * Lease and no preflight write.
 */
export async function prepareImage(
  settings: Settings,
  context: CommandContext
): Promise<PreparedImage> {
  if (!settings.image.build) return { produce: () => resolveGiven(settings, context) }
  const builder = await selectBuilder(settings.run.toolEnv, 'auto', context.logger)
  const request = buildRequest(settings, context)
  await builder.preflight(request)
  return { detail: builder.name, produce: () => build(builder, request, settings, context) }
}

function credentialsOf(settings: Settings): { username: string; password: string } | undefined {
  const { username, password } = settings.image
  return username && password ? { username, password } : undefined
}

function registryOf(settings: Settings): string {
  return settings.image.registry ?? parseImageRef(settings.image.name).registry
}

async function resolveGiven(settings: Settings, context: CommandContext): Promise<BuiltImage> {
  const { name } = settings.image
  const resolved = await resolveDigest(name, credentialsOf(settings), { logger: context.logger })
  return {
    imageRef: resolved.imageRef,
    digest: resolved.digest,
    detail: `${name} is ${resolved.digest}`
  }
}

function buildRequest(settings: Settings, context: CommandContext): BuildRequest {
  const { image, run } = settings
  return {
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
    tlsVerify: isLoopbackRegistry(registryOf(settings)) ? false : undefined,
    signal: context.signal
  }
}

async function build(
  builder: ImageBuilder,
  request: BuildRequest,
  settings: Settings,
  context: CommandContext
): Promise<BuiltImage> {
  const credentials = credentialsOf(settings)
  let built
  try {
    if (credentials)
      await builder.login(registryOf(settings), credentials.username, credentials.password)
    built = await builder.build(request)
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
