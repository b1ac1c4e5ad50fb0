/**
 * For `build: false`: find the digest a tag points at by asking the registry's HTTP API v2, so
 * the cluster runs `repo@sha256:...` and a tag moved later cannot change what was approved.
 */
import { createHash } from 'node:crypto'
import { MemoryLogger, type Logger } from '../logger.js'
import { parseImageRef, registryBaseUrl, type ImageRef } from './image-ref.js'

export interface RegistryCredentials {
  username: string
  password: string
}

export interface ResolvedImage {
  image: string
  digest: string
  /** `name@sha256:...` */
  imageRef: string
}

export interface ResolveOptions {
  logger?: Logger
}

/** Single manifests and indexes, Docker and OCI: whatever the tag points at, we want its digest. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ')

export interface AuthChallenge {
  scheme: string
  params: Record<string, string>
}

/** Parses `Bearer realm="...",service="...",scope="..."` (and `Basic realm="..."`). */
export function parseAuthChallenge(header: string): AuthChallenge {
  const match = /^\s*(\S+)\s*(.*)$/.exec(header)
  const scheme = (match?.[1] ?? '').toLowerCase()
  const params: Record<string, string> = {}
  for (const m of (match?.[2] ?? '').matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) {
    params[m[1].toLowerCase()] = m[2] ?? m[3] ?? ''
  }
  return { scheme, params }
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
}

class RegistryClient {
  private authorization: string | undefined

  constructor(
    private readonly ref: ImageRef,
    private readonly display: string,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly logger: Logger
  ) {}

  private failure(why: string): Error {
    return new Error(`resolving ${this.display} on registry ${this.ref.registry}: ${why}`)
  }

  private async send(method: 'HEAD' | 'GET', url: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT }
    if (this.authorization) headers.Authorization = this.authorization
    try {
      return await fetch(url, { method, headers, redirect: 'follow' })
    } catch (error) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : ''
      throw this.failure(`could not reach ${url}${cause ? ` (${cause})` : ''}`)
    }
  }

  /** Sends, and on a 401 answers the challenge once (Basic, or a Bearer token from the realm). */
  async request(method: 'HEAD' | 'GET', url: string): Promise<Response> {
    const first = await this.send(method, url)
    if (first.status !== 401 || this.authorization) return first
    const challenge = parseAuthChallenge(first.headers.get('www-authenticate') ?? '')
    if (challenge.scheme === 'basic') {
      if (!this.credentials)
        throw this.failure('the registry requires credentials and none were given')
      this.authorization = basic(this.credentials)
    } else if (challenge.scheme === 'bearer') {
      this.authorization = `Bearer ${await this.token(challenge.params)}`
    } else {
      throw this.failure(`unsupported authentication challenge "${challenge.scheme || 'none'}"`)
    }
    const second = await this.send(method, url)
    if (second.status === 401 || second.status === 403) {
      throw this.failure(`the registry refused the credentials (HTTP ${second.status})`)
    }
    return second
  }

  private async token(params: Record<string, string>): Promise<string> {
    if (!params.realm) throw this.failure('Bearer challenge without a realm')
    const url = new URL(params.realm)
    if (params.service) url.searchParams.set('service', params.service)
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull`)
    const headers: Record<string, string> = {}
    if (this.credentials) headers.Authorization = basic(this.credentials)
    let response: Response
    try {
      response = await fetch(url, { headers })
    } catch {
      throw this.failure(`could not reach the token service ${url.origin}`)
    }
    if (!response.ok) {
      throw this.failure(`the token service ${url.origin} answered HTTP ${response.status}`)
    }
    const body: unknown = await response.json().catch(() => undefined)
    const token =
      typeof body === 'object' && body !== null
        ? ((body as { token?: unknown }).token ?? (body as { access_token?: unknown }).access_token)
        : undefined
    if (typeof token !== 'string' || !token) {
      throw this.failure(`the token service ${url.origin} returned no token`)
    }
    this.logger.mask(token)
    return token
  }
}

/** `name@sha256:...` for an image; a reference that already names a digest is returned as is. */
export async function resolveDigest(
  imageRef: string,
  credentials?: RegistryCredentials,
  options: ResolveOptions = {}
): Promise<ResolvedImage> {
  const ref = parseImageRef(imageRef)
  if (ref.digest) {
    return { image: imageRef, digest: ref.digest, imageRef: `${ref.name}@${ref.digest}` }
  }
  const logger = options.logger ?? new MemoryLogger()
  if (credentials?.password) logger.mask(credentials.password)
  const client = new RegistryClient(ref, imageRef, credentials, logger)
  const url = `${registryBaseUrl(ref.registry)}/v2/${ref.repository}/manifests/${ref.tag}`

  let response = await client.request('HEAD', url)
  let digest = response.headers.get('docker-content-digest') ?? undefined
  if (response.ok && !digest) {
    // Some registries leave the header off HEAD answers: the digest is the manifest bytes' sha256.
    response = await client.request('GET', url)
    const body = Buffer.from(await response.arrayBuffer())
    digest =
      response.headers.get('docker-content-digest') ??
      (response.ok ? `sha256:${createHash('sha256').update(body).digest('hex')}` : undefined)
  }
  if (response.status === 404) {
    throw new Error(
      `image ${imageRef} not found on registry ${ref.registry} (no manifest for tag "${ref.tag}")`
    )
  }
  if (!response.ok) {
    throw new Error(`resolving ${imageRef} on registry ${ref.registry}: HTTP ${response.status}`)
  }
  if (!digest || !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new Error(`registry ${ref.registry} returned no usable digest for ${imageRef}`)
  }
  logger.debug(`${imageRef} is ${digest}`)
  return { image: imageRef, digest, imageRef: `${ref.name}@${digest}` }
}
