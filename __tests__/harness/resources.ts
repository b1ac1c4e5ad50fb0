/**
 * The resources the test cluster serves, as discovery (APIResourceList) describes them.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
 */

export interface ResourceType {
  group: string
  version: string
  /** plural, lower case: the URL segment */
  resource: string
  singular: string
  kind: string
  namespaced: boolean
  shortNames?: string[]
  subresources: string[]
  /** spec changes bump metadata.generation */
  generation: boolean
  /** has a /status subresource: the main resource ignores status, /status ignores the rest */
  statusSubresource: boolean
  /** the OpenAPI model its bodies decode as (schema.ts) */
  model: string
  /** a PUT without metadata.resourceVersion is allowed (false: 422, as for Leases) */
  unconditionalUpdate: boolean
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

function r(
  group: string,
  version: string,
  resource: string,
  kind: string,
  extra: Partial<ResourceType> = {}
): ResourceType {
  return {
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    subresources: [],
    generation: false,
    statusSubresource: false,
    model: `V1${kind}`,
    unconditionalUpdate: true,
    ...extra
  }
}

export const RESOURCES: ResourceType[] = [
  r('', 'v1', 'namespaces', 'Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    statusSubresource: true
  }),
  r('', 'v1', 'pods', 'Pod', {
    shortNames: ['po'],
    subresources: ['status', 'log', 'proxy'],
    statusSubresource: true
  }),
  r('', 'v1', 'services', 'Service', {
    shortNames: ['svc'],
    subresources: ['status', 'proxy'],
    statusSubresource: true
  }),
  r('', 'v1', 'endpoints', 'Endpoints', { shortNames: ['ep'], singular: 'endpoints' }),
  r('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  r('', 'v1', 'secrets', 'Secret'),
  r('', 'v1', 'events', 'Event', { shortNames: ['ev'], model: 'CoreV1Event' }),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  r('apps', 'v1', 'deployments', 'Deployment', {
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    generation: true,
    statusSubresource: true
  }),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', {
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    generation: true,
    statusSubresource: true
  }),
  r('batch', 'v1', 'jobs', 'Job', {
    subresources: ['status'],
    generation: true,
    statusSubresource: true
  }),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', {
    shortNames: ['ing'],
    subresources: ['status'],
    generation: true,
    statusSubresource: true
  }),
  // coordination's lease strategy: AllowUnconditionalUpdate() is false.
  r('coordination.k8s.io', 'v1', 'leases', 'Lease', { unconditionalUpdate: false })
]

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

export function findResource(
  group: string,
  version: string,
  resource: string
): ResourceType | undefined {
  return RESOURCES.find(t => t.group === group && t.version === version && t.resource === resource)
}

export function findKind(kind: string): ResourceType | undefined {
  const k = kind.toLowerCase()
  return RESOURCES.find(
    t =>
      t.kind.toLowerCase() === k ||
      t.resource === k ||
      t.singular === k ||
      t.shortNames?.includes(k)
  )
}

/** GET /api/v1 and /apis/{group}/{version}: the APIResourceList client-node's KubernetesObjectApi reads. */
export function apiResourceList(
  group: string,
  version: string
): Record<string, unknown> | undefined {
  const types = RESOURCES.filter(t => t.group === group && t.version === version)
  if (types.length === 0) return undefined
  const resources: Record<string, unknown>[] = []
  for (const t of types) {
    resources.push({
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
      ...(t.shortNames ? { shortNames: t.shortNames } : {})
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

/** GET /apis: the APIGroupList. */
export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(RESOURCES.filter(t => t.group).map(t => t.group))]
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map(name => {
      const version = RESOURCES.find(t => t.group === name)?.version ?? 'v1'
      const gv = { groupVersion: `${name}/${version}`, version }
      return { name, versions: [gv], preferredVersion: gv }
    })
  }
}
