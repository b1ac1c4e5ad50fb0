/**
 * Every CEL expression of docs/rbac.yaml compiles as kube-apiserver compiles it (object and
 * oldObject dyn, request typed, variables typed by their own expressions, validations exactly
 * bool), and evaluates without error where kube hands it a null: oldObject on CREATE, object on
 * DELETE.
 */
import { compile, compilePolicy } from './kube-cel.js'
import {
  admit,
  documented,
  type Operation,
  type ValidatingAdmissionPolicy,
  type ValidatingAdmissionPolicyBinding
} from './policy.js'

const policies = documented<ValidatingAdmissionPolicy>('ValidatingAdmissionPolicy')
const bindings = documented<ValidatingAdmissionPolicyBinding>('ValidatingAdmissionPolicyBinding')

describe('the kube CEL environment the policies are checked in', () => {
  it('refuses has() on an indexed label key: a dotted or slashed key needs `in`', () => {
    expect(compile("has(object.metadata.labels['canary-deploy.dev/track'])").error).toMatch(
      /has\(\) invalid argument/
    )
    expect(
      compile("has(object.metadata.labels) && 'canary-deploy.dev/track' in object.metadata.labels")
        .type
    ).toBe('bool')
  })

  it('refuses a field kube does not declare on request', () => {
    expect(compile("request.user == 'x'").error).toMatch(/No such key: user/)
    expect(compile("request.userInfo.username == 'x'").type).toBe('bool')
  })

  it('types request fields as kube declares them', () => {
    expect(compile('request.dryRun == 1').error).toMatch(/no such overload/)
  })

  it('refuses a function outside the standard library', () => {
    expect(compile("object.metadata.name.lowerAscii() == 'x'").error).toMatch(
      /lowerAscii, outside CEL's standard library/
    )
  })

  it('refuses a validation that is dyn rather than bool, as kube does', () => {
    expect(compilePolicy({ validations: [{ expression: 'object.spec.paused' }] })).toEqual([
      {
        at: 'validations[0].expression',
        expression: 'object.spec.paused',
        error: 'must evaluate to bool but got dyn'
      }
    ])
  })

  it('types each variable by its expression for the ones after it', () => {
    const spec = {
      variables: [{ name: 'name', expression: 'request.name' }],
      validations: [{ expression: 'variables.name == 1' }]
    }
    expect(compilePolicy(spec)).toEqual([
      expect.objectContaining({ at: 'validations[0].expression' })
    ])
  })
})

describe.each(policies.map(p => [p.metadata.name, p] as const))('%s', (_name, policy) => {
  const binding = bindings.find(b => b.spec.policyName === policy.metadata.name)

  it('compiles: every expression in kube’s environment, every validation to bool', () => {
    expect(compilePolicy(policy.spec)).toEqual([])
  })

  const writes = policy.spec.matchConstraints.resourceRules.flatMap(rule =>
    rule.resources
      .filter(resource => !resource.includes('/'))
      .flatMap(resource =>
        rule.operations.map(op => [rule.apiGroups[0], resource, op as Operation] as const)
      )
  )

  test.each(writes)(
    'evaluates without error on %s %s %s, where kube passes a null object or oldObject',
    (group, resource, operation) => {
      const someObject = { metadata: { name: 'x', namespace: 'shop' }, spec: {} }
      const decision = admit(policy, binding!, {
        operation,
        group,
        resource,
        name: 'x',
        namespace: 'shop',
        username: 'system:serviceaccount:shop:canary-deploy',
        object: operation === 'DELETE' ? null : someObject,
        oldObject: operation === 'CREATE' ? null : someObject
      })
      expect(decision.allowed ? [] : decision.evaluationErrors).toEqual([])
    }
  )
})
