import type { Logger } from '../logger.js'

export type BuilderName = 'buildx' | 'docker' | 'buildah'

/** Where layer cache lives: `auto` picks GitHub's cache when the runner offers it, else local only. */
export type CacheMode = 'auto' | 'registry' | 'none'

export interface BuildRequest {
  context: string
  dockerfile: string
  /** `repo:tag`, the reference the image is pushed to. */
  image: string
  buildArgs: Record<string, string>
  labels: Record<string, string>
  cache: CacheMode
  version: string
  revision: string
  source: string
  logger: Logger
  /** false only makes sense for plain-http registries on 127.0.0.1/localhost (tests, local CI). */
  tlsVerify?: boolean
  /** Aborting stops the running tool; build() then rejects with "build cancelled: <image>". */
  signal?: AbortSignal
}

export interface BuildResult {
  image: string
  /** `sha256:...` of the pushed manifest, as the registry reported it. */
  digest: string
  /** `repo@sha256:...`: what the cluster runs, so a moved tag cannot change it. */
  imageRef: string
  cacheHit?: boolean
  warnings: string[]
}

export interface ImageBuilder {
  name: BuilderName
  login(registry: string, username: string, password: string): Promise<void>
  build(req: BuildRequest): Promise<BuildResult>
  /** Removes what the builder wrote for itself (a credentials file it made): call when done. */
  dispose?(): Promise<void>
}

export type Env = Record<string, string | undefined>
