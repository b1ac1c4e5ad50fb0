/**
 * RBAC authorization as kube-apiserver's RBAC authorizer decides it for one namespaced Role bound to
 * the token's user: a request is allowed when one rule matches its API group, resource (with
 * subresource, `pods/log`), verb and, when the rule names them, resourceName. Everything else is
 * 403 Forbidden, worded as k8s.io/apiserver's responsewriters.Forbidden words it.
 * https://kubernetes.io/docs/reference/access-authn-authz/rbac/
 * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
 */
import { qualifiedResource, type ResourceType } from './resources.js'
import { failure, StatusError } from './status.js'

/** One rbac.authorization.k8s.io/v1 PolicyRule (resource rules only: nonResourceURLs are not served). */
export interface PolicyRule {
  apiGroups?: string[]
  resources?: string[]
  verbs: string[]
  resourceNames?: string[]
}

/** The parts of a Role (or ClusterRole bound by a RoleBinding) that authorization reads. */
export interface RbacRole {
  metadata?: { name?: string; namespace?: string }
  rules?: PolicyRule[]
}

/** What is being attempted, as the request info filter derives it from the HTTP request. */
export interface RequestAttributes {
  user: string
  /** get list watch create update patch delete deletecollection */
  verb: string
  group: string
  resource: ResourceType
  subresource?: string
  namespace?: string
  name?: string
}

/** One request RBAC allowed: who, and the (apiGroup, resource[/subresource], verb) a rule granted. */
export interface Authorization {
  user: string
  group: string
  /** `pods` or, for a subresource, `pods/log` (as a rule names it) */
  resource: string
  verb: string
}

/** What `a` was allowed, as a Role rule names it. */
export function authorizationOf(a: RequestAttributes): Authorization {
  const resource = a.subresource ? `${a.resource.resource}/${a.subresource}` : a.resource.resource
  return { user: a.user, group: a.group, resource, verb: a.verb }
}

function matches(list: string[] | undefined, value: string): boolean {
  return (list ?? []).some(item => item === '*' || item === value)
}

/** `pods/log` matches `pods/log`, `pods/*` and `*`; a rule for `pods` does not cover subresources. */
function resourceMatches(list: string[] | undefined, resource: string, sub: string | undefined) {
  const full = sub ? `${resource}/${sub}` : resource
  return (list ?? []).some(
    item => item === '*' || item === full || (sub !== undefined && item === `${resource}/*`)
  )
}

function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!matches(rule.verbs, a.verb)) return false
  if (!matches(rule.apiGroups, a.group)) return false
  if (!resourceMatches(rule.resources, a.resource.resource, a.subresource)) return false
  const names = rule.resourceNames ?? []
  // resourceNames cannot restrict create, list, watch or deletecollection: there is no name.
  return names.length === 0 || (a.name !== undefined && names.includes(a.name))
}

/** Undefined when the role allows it; the Forbidden StatusError otherwise. */
export function authorize(role: RbacRole, a: RequestAttributes): StatusError | undefined {
  const roleNamespace = role.metadata?.namespace
  // A Role grants only in its own namespace; cluster-scoped requests need a ClusterRoleBinding.
  const inScope = a.namespace !== undefined && (!roleNamespace || roleNamespace === a.namespace)
  if (inScope && (role.rules ?? []).some(rule => ruleAllows(rule, a))) return undefined
  return forbidden(a)
}

/**
 * A server-side apply that creates the object is authorized as patch by the filter and then as
 * create by the patch handler, whose Forbidden carries only the authorizer's reason, which RBAC
 * leaves empty: `deployments.apps "web-canary" is forbidden: ` (k8s.io/apiserver handlers/rest.go
 * withAuthorization).
 */
export function authorizeCreateOnPatch(
  role: RbacRole,
  a: RequestAttributes
): StatusError | undefined {
  if (!authorize(role, a)) return undefined
  const message = `${qualifiedResource(a.resource)} "${a.name ?? ''}" is forbidden: `
  return new StatusError(
    failure(403, 'Forbidden', message, { name: a.name, group: a.group, kind: a.resource.resource })
  )
}

/** `deployments.apps "web-canary" is forbidden: User "u" cannot create resource "deployments" in API group "apps" in the namespace "shop"` */
export function forbidden(a: RequestAttributes): StatusError {
  const resource = a.subresource ? `${a.resource.resource}/${a.subresource}` : a.resource.resource
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope'
  const why = `User "${a.user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${where}`
  const what = qualifiedResource(a.resource)
  const message = a.name
    ? `${what} "${a.name}" is forbidden: ${why}`
    : `${what} is forbidden: ${why}`
  return new StatusError(
    failure(403, 'Forbidden', message, { name: a.name, group: a.group, kind: a.resource.resource })
  )
}

/** The user a Role's ServiceAccount authenticates as (the docs bind each Role to a same-named SA). */
export function serviceAccountUser(role: RbacRole): string {
  const ns = role.metadata?.namespace ?? 'default'
  return `system:serviceaccount:${ns}:${role.metadata?.name ?? 'default'}`
}
