/**
 * The CEL environment kube-apiserver compiles a ValidatingAdmissionPolicy's expressions in
 * (k8s.io/apiserver/pkg/admission/plugin/cel/compile.go): `object` and `oldObject` are dyn,
 * `request` is a kubernetes.AdmissionRequest, `namespaceObject` a kubernetes.Namespace, and
 * `variables` an object whose fields are the variables declared before, typed as they compiled.
 * Validations and match conditions must compile to exactly bool (dyn is refused), a
 * messageExpression to string.
 *
 * Type-checked by a second, independent CEL implementation (@marcbachmann/cel-js): @bufbuild/cel
 * only parses and evaluates. Functions are held to CEL's standard library, which every kube version
 * the policies target (1.30+) has; cel-js also knows extension functions kube may not declare.
 */
import { Environment, type ASTNode } from '@marcbachmann/cel-js'

/** CEL's standard functions and macros (cel-spec langdef), without the operators. */
const STANDARD_FUNCTIONS = new Set([
  'has',
  'all',
  'exists',
  'exists_one',
  'map',
  'filter',
  'size',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
  'int',
  'uint',
  'double',
  'string',
  'bytes',
  'bool',
  'dyn',
  'type',
  'duration',
  'timestamp'
])

/** The request type kube declares (BuildRequestType): uid, object and oldObject are not in it. */
function declareRequest(env: Environment): Environment {
  return env
    .registerType('kubernetes.GroupVersionKind', {
      fields: { group: 'string', version: 'string', kind: 'string' }
    })
    .registerType('kubernetes.GroupVersionResource', {
      fields: { group: 'string', version: 'string', resource: 'string' }
    })
    .registerType('kubernetes.UserInfo', {
      fields: {
        username: 'string',
        uid: 'string',
        groups: 'list<string>',
        extra: 'map<string, list<string>>'
      }
    })
    .registerType('kubernetes.AdmissionRequest', {
      fields: {
        kind: 'kubernetes.GroupVersionKind',
        resource: 'kubernetes.GroupVersionResource',
        subResource: 'string',
        requestKind: 'kubernetes.GroupVersionKind',
        requestResource: 'kubernetes.GroupVersionResource',
        requestSubResource: 'string',
        name: 'string',
        namespace: 'string',
        operation: 'string',
        userInfo: 'kubernetes.UserInfo',
        dryRun: 'bool',
        options: 'dyn'
      }
    })
}

/** The namespace type kube declares (BuildNamespaceType), metadata and phase only. */
function declareNamespace(env: Environment): Environment {
  return env
    .registerType('kubernetes.NamespaceMetadata', {
      fields: {
        name: 'string',
        labels: 'map<string, string>',
        annotations: 'map<string, string>'
      }
    })
    .registerType('kubernetes.NamespaceStatus', { fields: { phase: 'string' } })
    .registerType('kubernetes.Namespace', {
      fields: { metadata: 'kubernetes.NamespaceMetadata', status: 'kubernetes.NamespaceStatus' }
    })
}

/** The environment with `variables` holding these (name -> compiled type). */
function environment(variables: Map<string, string>): Environment {
  const env = declareNamespace(declareRequest(new Environment({ unlistedVariablesAreDyn: false })))
    .registerVariable('object', 'dyn')
    .registerVariable('oldObject', 'dyn')
    .registerVariable('request', 'kubernetes.AdmissionRequest')
    .registerVariable('namespaceObject', 'kubernetes.Namespace')
  if (variables.size === 0) return env
  return env
    .registerType('kubernetes.Variables', { fields: Object.fromEntries(variables) })
    .registerVariable('variables', 'kubernetes.Variables')
}

/** Every function or macro an expression calls, by name. */
function calledFunctions(node: ASTNode, into: Set<string> = new Set()): Set<string> {
  if (node.op === 'call' || node.op === 'rcall') into.add(node.args[0])
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit)
    else if (typeof value === 'object' && value !== null && 'op' in value && 'args' in value) {
      calledFunctions(value as ASTNode, into)
    }
  }
  visit(node.args)
  return into
}

export interface Compiled {
  /** The expression's CEL type when it compiled. */
  type?: string
  /** Why it would not compile, worded like the API server's "compilation failed". */
  error?: string
}

/** Compiles one expression as kube would, with these variables declared. */
export function compile(expression: string, variables = new Map<string, string>()): Compiled {
  const env = environment(variables)
  const checked = env.check(expression)
  if (!checked.valid) return { error: checked.error?.message.split('\n')[0] ?? 'invalid' }
  const outside = [...calledFunctions(env.parse(expression).ast)].filter(
    name => !STANDARD_FUNCTIONS.has(name)
  )
  if (outside.length > 0) {
    return { error: `calls ${outside.join(', ')}, outside CEL's standard library` }
  }
  return { type: checked.type }
}

export interface PolicyExpressions {
  matchConditions?: { name: string; expression: string }[]
  variables?: { name: string; expression: string }[]
  validations?: { expression: string; messageExpression?: string }[]
}

export interface CompileFailure {
  /** Where in the policy: `validations[2].expression`. */
  at: string
  expression: string
  error: string
}

/**
 * Compiles a policy's expressions in the order kube does (variables each with the ones before),
 * and returns every one the API server would refuse, with why.
 */
export function compilePolicy(spec: PolicyExpressions): CompileFailure[] {
  const failures: CompileFailure[] = []
  const declared = new Map<string, string>()
  const expect = (at: string, expression: string, want: string | undefined) => {
    const result = compile(expression, declared)
    if (result.error) failures.push({ at, expression, error: result.error })
    else if (want && result.type !== want) {
      failures.push({
        at,
        expression,
        error: `must evaluate to ${want} but got ${result.type}`
      })
    }
    return result
  }
  for (const [i, variable] of (spec.variables ?? []).entries()) {
    const result = expect(`variables[${i}] (${variable.name})`, variable.expression, undefined)
    // kube declares a variable that did not compile as dyn, so later uses still check.
    declared.set(variable.name, result.type ?? 'dyn')
  }
  for (const [i, condition] of (spec.matchConditions ?? []).entries()) {
    expect(`matchConditions[${i}] (${condition.name})`, condition.expression, 'bool')
  }
  for (const [i, validation] of (spec.validations ?? []).entries()) {
    expect(`validations[${i}].expression`, validation.expression, 'bool')
    if (validation.messageExpression !== undefined) {
      expect(`validations[${i}].messageExpression`, validation.messageExpression, 'string')
    }
  }
  return failures
}
