/**
 * Image references as Docker reads them: `nginx` is docker.io/library/nginx:latest, a first
 * component with a dot, a colon or `localhost` is a registry host, `:tag` and `@sha256:` may follow.
 */

export interface ImageRef {
  /** The registry as written, or `docker.io`. */
  registry: string
  /** The repository path inside the registry (`library/nginx`, `org/app`). */
  repository: string
  tag?: string
  digest?: string
  /** The name as it was written, without tag or digest (`nginx`, `127.0.0.1:5000/app`). */
  name: string
}

export const DOCKER_HUB = 'docker.io'
const DOCKER_HUB_API = 'registry-1.docker.io'

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/
const HOST = /^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/

function invalid(ref: string, why: string): Error {
  return new Error(`invalid image reference "${ref}": ${why}`)
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim()
  if (!rest) throw invalid(ref, 'it is empty')
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw invalid(ref, `digest "${digest}" is not sha256:<64 hex>`)
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) throw invalid(ref, `tag "${tag}" is not a valid tag`)
  }
  const name = rest
  const parts = rest.split('/')
  const first = parts[0]
  const hasHost =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')
  let registry = DOCKER_HUB
  if (hasHost) {
    if (!HOST.test(first)) throw invalid(ref, `registry "${first}" is not a host[:port]`)
    registry = first
    parts.shift()
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library')
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      throw invalid(
        ref,
        `repository component "${part}" must be lowercase letters, digits and separators`
      )
    }
  }
  if (!tag && !digest) tag = 'latest'
  return { registry, repository: parts.join('/'), tag, digest, name }
}

/** The name without tag or digest, as written: what `name@sha256:...` is built from. */
export function repositoryOf(image: string): string {
  return parseImageRef(image).name
}

/** Loopback registries (tests, local CI) speak plain http; everything else https. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '')
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]'
}

/** The base URL of a registry's HTTP API v2. */
export function registryBaseUrl(registry: string): string {
  if (registry === DOCKER_HUB) return `https://${DOCKER_HUB_API}`
  return `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}`
}
