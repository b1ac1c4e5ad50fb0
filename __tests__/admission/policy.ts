/**
 * The ValidatingAdmissionPolicies of docs/rbac.yaml, evaluated as kube-apiserver's admission plugin
 * does (matchConstraints -> matchConditions -> variables -> validations, failurePolicy on errors),
 * with a real CEL evaluator (@bufbuild/cel, which passes the cel-spec conformance suite). Not
 * evaluated here: kube's CEL extension libraries (none are used by the policies), cost limits,
 * typed (OpenAPI) object access, namespaceSelector/objectSelector, and params.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isCelError, run, type CelInput } from '@bufbuild/cel'
import { parseAllDocuments } from 'yaml'

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'

export interface ResourceRule {
  apiGroups: string[]
  apiVersions: string[]
  operations: Operation[]
  resources: string[]
}

export interface NamedExpression {
  name: string
  expression: string
}

export interface Validation {
  expression: string
  message?: string
  messageExpression?: string
  reason?: string
}

export interface ValidatingAdmissionPolicy {
  apiVersion: string
  kind: 'ValidatingAdmissionPolicy'
  metadata: { name: string; namespace?: string }
  spec: {
    failurePolicy?: 'Fail' | 'Ignore'
    matchConstraints: { resourceRules: ResourceRule[] }
    matchConditions?: NamedExpression[]
    variables?: NamedExpression[]
    validations?: Validation[]
    auditAnnotations?: unknown[]
  }
}

export interface ValidatingAdmissionPolicyBinding {
  apiVersion: string
  kind: 'ValidatingAdmissionPolicyBinding'
  metadata: { name: string; namespace?: string }
  spec: { policyName: string; validationActions: string[] }
}

/** What the admission chain knows of one request, as CEL's `request`, `object` and `oldObject`. */
export interface AdmissionRequest {
  operation: Operation
  group: string
  version?: string
  resource: string
  /** '' for the resource itself. */
  subResource?: string
  name: string
  namespace: string
  username: string
  dryRun?: boolean
  object: Record<string, unknown> | null
  oldObject: Record<string, unknown> | null
}

export type Decision =
  | { allowed: true; matched: boolean }
  | {
      allowed: false
      matched: true
      status: 403 | 422 | 401 | 413
      /** The first denied decision's, as the API server reports only that one. */
      message: string
      /** Every validation whose expression failed to evaluate (each a denial under Fail). */
      evaluationErrors: string[]
    }

const RBAC_FILE = join(process.cwd(), 'docs/rbac.yaml')

function documents(): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(RBAC_FILE, 'utf8'))
    .map(doc => doc.toJS() as Record<string, unknown> | null)
    .filter((doc): doc is Record<string, unknown> => doc !== null)
}

/** Every document of docs/rbac.yaml of this kind, as kubectl apply would send it. */
export function documented<T>(kind: string): T[] {
  return documents().filter(doc => doc.kind === kind) as T[]
}

export function documentedPolicy(name: string): {
  policy: ValidatingAdmissionPolicy
  binding: ValidatingAdmissionPolicyBinding
} {
  const policy = documented<ValidatingAdmissionPolicy>('ValidatingAdmissionPolicy').find(
    p => p.metadata.name === name
  )
  const binding = documented<ValidatingAdmissionPolicyBinding>(
    'ValidatingAdmissionPolicyBinding'
  ).find(b => b.spec.policyName === name)
  if (!policy || !binding) throw new Error(`docs/rbac.yaml has no policy ${name} with a binding`)
  return { policy, binding }
}

/** kube's rule matcher: `deployments` is the resource only, `deployments/scale` that subresource. */
function ruleMatches(rule: ResourceRule, req: AdmissionRequest): boolean {
  const any = (list: string[], value: string) => list.includes('*') || list.includes(value)
  const resource = rule.resources.some(pattern => {
    const [res, sub = ''] = pattern.split('/')
    return (res === '*' || res === req.resource) && (sub === '*' || sub === (req.subResource ?? ''))
  })
  return (
    any(rule.apiGroups, req.group) &&
    any(rule.apiVersions, req.version ?? 'v1') &&
    any(rule.operations, req.operation) &&
    resource
  )
}

function celRequest(req: AdmissionRequest): Record<string, CelInput> {
  const version = req.version ?? 'v1'
  return {
    operation: req.operation,
    name: req.name,
    namespace: req.namespace,
    subResource: req.subResource ?? '',
    dryRun: req.dryRun ?? false,
    resource: { group: req.group, version, resource: req.resource },
    userInfo: { username: req.username }
  }
}

type Evaluated = { value: unknown } | { error: string }

function evaluate(expression: string, bindings: Record<string, CelInput>): Evaluated {
  const result = run(expression, bindings)
  return isCelError(result) ? { error: result.message } : { value: result }
}

const STATUS_OF_REASON: Record<string, 401 | 403 | 413 | 422> = {
  Forbidden: 403,
  Invalid: 422,
  Unauthorized: 401,
  RequestEntityTooLarge: 413
}

/** What the API server decides for one request under one policy and its binding. */
export function admit(
  policy: ValidatingAdmissionPolicy,
  binding: ValidatingAdmissionPolicyBinding,
  req: AdmissionRequest
): Decision {
  const { spec } = policy
  if (!spec.matchConstraints.resourceRules.some(rule => ruleMatches(rule, req))) {
    return { allowed: true, matched: false }
  }
  const failClosed = (spec.failurePolicy ?? 'Fail') === 'Fail'
  const deny = (message: string, reason = 'Invalid', evaluationErrors: string[] = []): Decision =>
    binding.spec.validationActions.includes('Deny')
      ? {
          allowed: false,
          matched: true,
          status: STATUS_OF_REASON[reason] ?? 422,
          message: `ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}' denied request: ${message}`,
          evaluationErrors
        }
      : { allowed: true, matched: true }
  const bindings: Record<string, CelInput> = {
    request: celRequest(req),
    object: req.object as CelInput,
    oldObject: req.oldObject as CelInput
  }
  // Any condition false: the policy does not apply. An error: failurePolicy decides.
  for (const condition of spec.matchConditions ?? []) {
    const result = evaluate(condition.expression, bindings)
    if ('error' in result) {
      return failClosed
        ? deny(`failed to evaluate matchCondition ${condition.name}: ${result.error}`)
        : { allowed: true, matched: true }
    }
    if (result.value !== true) return { allowed: true, matched: false }
  }
  // Variables see the ones declared before them; one that fails fails whatever uses it.
  const variables: Record<string, CelInput> = {}
  for (const variable of spec.variables ?? []) {
    const result = evaluate(variable.expression, { ...bindings, variables })
    if ('value' in result) variables[variable.name] = result.value as CelInput
  }
  // Every validation is evaluated; the first denial is the one the API server reports.
  const denials: { message: string; reason?: string }[] = []
  const evaluationErrors: string[] = []
  for (const validation of spec.validations ?? []) {
    const result = evaluate(validation.expression, { ...bindings, variables })
    if ('error' in result) {
      const message = `expression '${validation.expression}' resulted in error: ${result.error}`
      evaluationErrors.push(message)
      if (failClosed) denials.push({ message })
    } else if (result.value !== true) {
      denials.push({
        message: validation.message ?? `failed expression: ${validation.expression}`,
        reason: validation.reason
      })
    }
  }
  if (denials.length > 0) return deny(denials[0].message, denials[0].reason, evaluationErrors)
  return { allowed: true, matched: true }
}
