import type { Logger } from '../logger.js'

export type BuilderName = 'buildx' | 'docker' | 'buildah'

/** Where layer cache lives: `auto` picks GitHub's cache when the runner offers it, else local only. */
export type CacheMode = 'auto' | 'registry' | 'none'

/** A build secret: mounted into RUN --mount=type=secret,id=<id>, never an argument or a layer. */
export interface BuildSecret {
  id: string
  value: string
}

/** SLSA provenance detail buildx records: `min` (no build arguments or sources) or `max`. */
export type ProvenanceMode = 'min' | 'max'

export interface Attestations {
  /** undefined: no provenance attestation. */
  provenance?: ProvenanceMode
  /**
   * True when the mode is docker/build-push-action's default (min for a private repository, max
   * for a public one) rather than asked for: a builder that cannot attest then skips it.
   */
  provenanceIsDefault: boolean
  sbom: boolean
  /** Recorded as the provenance builder id: the workflow run, as build-push-action does. */
  builderId?: string
}

/** What the build inputs add to every build (docker/build-push-action's names). */
export interface BuildOptions {
  /** `linux/amd64`, ...; empty: the builder's own platform. */
  platforms: string[]
  /** The Dockerfile stage to build; undefined: the last. */
  target?: string
  /** More references to push the same image as, each `name:tag`. */
  tags: string[]
  labels: Record<string, string>
  secrets: BuildSecret[]
  attestations: Attestations
}

export interface BuildRequest extends BuildOptions {
  context: string
  dockerfile: string
  /** `repo:tag`, the reference the image is pushed to. */
  image: string
  buildArgs: Record<string, string>
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
  /**
   * `sha256:...` of what was pushed, as the registry reported it: the image manifest, or the OCI
   * index when there are several platforms or attestations. The release is bound to this digest.
   */
  digest: string
  /** The image ID (its config digest), when the builder reports one. */
  imageId?: string
  /** Build result metadata as JSON: buildx's metadata file, or the same keys for other builders. */
  metadata: string
  /** `repo@sha256:...`: what the cluster runs, so a moved tag cannot change it. */
  imageRef: string
  cacheHit?: boolean
  warnings: string[]
}

export interface ImageBuilder {
  name: BuilderName
  login(registry: string, username: string, password: string): Promise<void>
  /**
   * Refuses, naming the input, what this builder cannot build, and makes the read-only checks
   * the build depends on (buildx: the current builder's driver); it writes nothing anywhere, so
   * deploy runs it before its first write. build() makes the same refusals.
   */
  preflight(req: BuildRequest): Promise<void>
  build(req: BuildRequest): Promise<BuildResult>
  /** Removes what the builder wrote for itself (a credentials file it made): call when done. */
  dispose?(): Promise<void>
}

export type Env = Record<string, string | undefined>
