/**
 * The resources the test cluster serves, as discovery (APIResourceList) describes them. Each
 * resource's rules live in registry/ (one file per kind).
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
 */
import { BUILT_IN, findBuiltIn, type ResourceType } from './registry/index.js'

export type { ResourceType } from './registry/index.js'

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

/** The built-in kinds (a cluster's registry adds its CRDs' kinds to these). */
export const RESOURCES: readonly ResourceType[] = BUILT_IN

export function groupVersion(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version
}

/** `deployments.apps`, `pods`: how Status messages name a resource. */
export function qualifiedResource(t: ResourceType): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource
}

/** `Deployment.apps`, `Pod`: how Invalid messages name a kind. */
export function qualifiedKind(t: ResourceType): string {
  return t.group ? `${t.kind}.${t.group}` : t.kind
}

/** A built-in kind by kind, plural, singular or short name. */
export function findKind(kind: string): ResourceType | undefined {
  return findBuiltIn(kind)
}

/** GET /api/v1 and /apis/{group}/{version}: the APIResourceList client-node's KubernetesObjectApi reads. */
/** The resources kube-apiserver puts in the `all` category (of those served here). */
const ALL_CATEGORY = new Set(['pods', 'services', 'deployments', 'replicasets', 'jobs'])

export function apiResourceList(
  served: readonly ResourceType[],
  group: string,
  version: string
): Record<string, unknown> | undefined {
  const types = served.filter(t => t.group === group && t.version === version)
  if (types.length === 0) return undefined
  const resources: Record<string, unknown>[] = []
  for (const t of types) {
    resources.push({
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs ?? VERBS,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      // `kubectl get all` expands the category from discovery.
      ...(ALL_CATEGORY.has(t.resource) ? { categories: ['all'] } : {})
    })
    for (const sub of t.subresources) {
      const verbs =
        sub === 'log'
          ? ['get']
          : sub === 'proxy'
            ? ['create', 'delete', 'get', 'patch', 'update']
            : ['get', 'patch', 'update']
      const kind =
        sub === 'scale'
          ? 'Scale'
          : sub === 'log' || sub === 'proxy'
            ? sub === 'log'
              ? 'Pod'
              : 'PodProxyOptions'
            : t.kind
      resources.push({
        name: `${t.resource}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        kind,
        verbs,
        ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {})
      })
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources
  }
}

/** GET /apis: the APIGroupList (a group's first served version is its preferred one). */
export function apiGroupList(served: readonly ResourceType[]): Record<string, unknown> {
  const groups = [...new Set(served.filter(t => t.group).map(t => t.group))]
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map(name => {
      const versions = [...new Set(served.filter(t => t.group === name).map(t => t.version))].map(
        version => ({ groupVersion: `${name}/${version}`, version })
      )
      return { name, versions, preferredVersion: versions[0] }
    })
  }
}
