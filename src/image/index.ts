export type { BuildRequest, BuildResult, BuilderName, CacheMode, ImageBuilder } from './types.js'
export { selectBuilder, detectBuilder, type BuilderChoice } from './select.js'
export { resolveDigest, type RegistryCredentials, type ResolvedImage } from './registry.js'
export { parseImageRef, repositoryOf, type ImageRef } from './image-ref.js'
