import type { BuildRequest } from './types.js'

/** The cluster contract's version label (k8s/labels.ts): spelt here, as image/ never imports k8s/. */
const VERSION_LABEL = 'canary-deploy.dev/version'

/**
 * The labels every image gets: OCI provenance plus our version label. The version is a --label,
 * not only a build-arg, because buildah may reuse a cached LABEL/ENV layer when only a build-arg
 * changed (containers/buildah#5095), leaving the old version in the image.
 */
export function imageLabels(
  req: Pick<BuildRequest, 'labels' | 'revision' | 'source' | 'version'>
): Record<string, string> {
  return {
    ...req.labels,
    'org.opencontainers.image.revision': req.revision,
    'org.opencontainers.image.source': req.source,
    'org.opencontainers.image.version': req.version,
    [VERSION_LABEL]: req.version
  }
}

/** `--flag K=V` for each entry, in a stable order so argument lists compare as data. */
export function keyValueFlags(flag: string, entries: Record<string, string>): string[] {
  return Object.entries(entries).flatMap(([key, value]) => [flag, `${key}=${value}`])
}
