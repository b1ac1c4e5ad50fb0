/**
 * The ValidatingAdmissionPolicies of docs/rbac.yaml as written: shaped as a v1.36 kube-apiserver
 * accepts them, matching every write the Roles allow, and (their CEL evaluated on sample objects)
 * keeping the deploy identity off stable and the diff identity to dry runs.
 */
import { parse } from '@bufbuild/cel'
import type { V1Deployment } from '@kubernetes/client-node'
import { NEW_IMAGE } from '../commands/fixture.js'
import type { RbacRole } from '../harness/cluster.js'
import {
  appService,
  asDeployer,
  asDiff,
  bindings,
  canary,
  canaryService,
  DIFF,
  ingress,
  labelled,
  policies,
  PROMOTER,
  refusal,
  request,
  stable,
  TRACK,
  withImage,
  type Json
} from './fixtures.js'
import { documented, type Operation } from './policy.js'

describe('every ValidatingAdmissionPolicy in docs/rbac.yaml is one a v1.36 API server accepts', () => {
  const QUALIFIED_NAME =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/
  const CEL_IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/
  const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

  it('finds the deploy and diff policies, each with a binding', () => {
    expect(policies.map(p => p.metadata.name).sort()).toEqual([
      'canary-deploy-cannot-promote',
      'canary-deploy-diff-dry-run-only'
    ])
    expect(bindings.map(b => b.spec.policyName).sort()).toEqual(
      policies.map(p => p.metadata.name).sort()
    )
  })

  test.each(policies.map(p => [p.metadata.name, p] as const))(
    '%s is cluster-scoped admissionregistration.k8s.io/v1 and fails closed',
    (_name, policy) => {
      expect(policy.apiVersion).toBe('admissionregistration.k8s.io/v1')
      expect(policy.metadata.namespace).toBeUndefined()
      expect(policy.metadata.name).toMatch(DNS_SUBDOMAIN)
      expect(policy.spec.failurePolicy).toBe('Fail')
    }
  )

  test.each(policies.map(p => [p.metadata.name, p] as const))(
    '%s has resource rules with operations, groups, versions and resources',
    (_name, policy) => {
      const rules = policy.spec.matchConstraints.resourceRules
      expect(rules.length).toBeGreaterThan(0)
      for (const rule of rules) {
        expect(rule.operations.length).toBeGreaterThan(0)
        for (const op of rule.operations)
          expect(['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*']).toContain(op)
        expect(rule.apiGroups.length).toBeGreaterThan(0)
        expect(rule.apiVersions.length).toBeGreaterThan(0)
        expect(rule.resources.length).toBeGreaterThan(0)
      }
    }
  )

  test.each(policies.map(p => [p.metadata.name, p] as const))(
    '%s names its match conditions and variables as the API server requires',
    (_name, policy) => {
      const conditions = policy.spec.matchConditions ?? []
      expect(conditions.length).toBeLessThanOrEqual(64)
      expect(new Set(conditions.map(c => c.name)).size).toBe(conditions.length)
      for (const condition of conditions) expect(condition.name).toMatch(QUALIFIED_NAME)
      const variables = policy.spec.variables ?? []
      expect(new Set(variables.map(v => v.name)).size).toBe(variables.length)
      for (const variable of variables) expect(variable.name).toMatch(CEL_IDENTIFIER)
    }
  )

  test.each(policies.map(p => [p.metadata.name, p] as const))(
    '%s has validations whose CEL parses, each variable declared before use',
    (_name, policy) => {
      const validations = policy.spec.validations ?? []
      expect(validations.length).toBeGreaterThan(0)
      const declared: string[] = []
      const expressions = [
        ...(policy.spec.matchConditions ?? []).map(c => ({ expression: c.expression, at: 0 })),
        ...(policy.spec.variables ?? []).map((v, i) => ({ expression: v.expression, at: i })),
        ...validations.map(v => ({ expression: v.expression, at: Infinity }))
      ]
      for (const variable of policy.spec.variables ?? []) declared.push(variable.name)
      for (const { expression, at } of expressions) {
        expect(expression.trim()).not.toBe('')
        expect(() => parse(expression)).not.toThrow()
        for (const [, used] of expression.matchAll(/\bvariables\.(\w+)/g)) {
          const index = declared.indexOf(used)
          expect(index).toBeGreaterThanOrEqual(0)
          expect(index).toBeLessThan(at)
        }
      }
    }
  )

  test.each(policies.map(p => [p.metadata.name, p] as const))(
    '%s has one-line messages and known reasons',
    (_name, policy) => {
      for (const validation of policy.spec.validations ?? []) {
        expect(validation.message?.trim()).toBeTruthy()
        expect(validation.message).not.toMatch(/[\r\n]/)
        if (validation.reason !== undefined) {
          expect(['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge']).toContain(
            validation.reason
          )
        }
      }
    }
  )

  test.each(bindings.map(b => [b.metadata.name, b] as const))(
    '%s denies, and names a policy of the file',
    (_name, binding) => {
      expect(binding.apiVersion).toBe('admissionregistration.k8s.io/v1')
      expect(binding.metadata.namespace).toBeUndefined()
      expect(binding.spec.validationActions).toEqual(['Deny'])
      expect(policies.map(p => p.metadata.name)).toContain(binding.spec.policyName)
    }
  )
})

describe('canary-deploy-cannot-promote matches every write the deploy Role allows on the objects it guards', () => {
  const role = documented<RbacRole & { metadata: { name: string } }>('Role').find(
    r => r.metadata.name === 'canary-deploy'
  )
  const OPERATIONS: Record<string, Operation[]> = {
    create: ['CREATE'],
    // A server-side apply PATCH of an object that does not exist yet is admitted as a CREATE.
    patch: ['CREATE', 'UPDATE'],
    update: ['CREATE', 'UPDATE'],
    delete: ['DELETE'],
    deletecollection: ['DELETE']
  }
  const guarded = ['deployments', 'jobs', 'services', 'ingresses', 'httproutes']
  const writes = (role?.rules ?? []).flatMap(rule =>
    (rule.resources ?? [])
      .filter(resource => guarded.includes(resource))
      .flatMap(resource =>
        rule.verbs.flatMap(verb =>
          (OPERATIONS[verb] ?? []).map(op => [resource, verb, op] as const)
        )
      )
  )

  it('has writes to check', () => {
    expect(new Set(writes.map(([resource]) => resource))).toEqual(new Set(guarded))
  })

  test.each(writes)('%s %s (%s) by the deploy identity is judged', (resource, _verb, op) => {
    const decision = asDeployer(
      request(op, resource, {
        old: op === 'CREATE' ? null : { metadata: { name: 'x' } },
        new: op === 'DELETE' ? null : { metadata: { name: 'x' } }
      })
    )
    expect(decision.matched).toBe(true)
  })

  it('also judges the deployments/scale subresource, which the Role does not grant', () => {
    const scale = { kind: 'Scale', metadata: { name: 'shop-web' }, spec: { replicas: 9 } }
    const decision = asDeployer(
      request('UPDATE', 'deployments', { old: scale, new: scale }, { subResource: 'scale' })
    )
    expect(refusal(decision)).toContain('never writes through a subresource')
  })
})

describe('the deploy identity under canary-deploy-cannot-promote', () => {
  it('creates a canary Deployment rendered from stable', () => {
    expect(asDeployer(request('CREATE', 'deployments', { new: canary() })).allowed).toBe(true)
  })

  it('updates a canary (server-side apply of a new image, the phase annotation)', () => {
    const before = canary()
    const after = withImage(canary(), `registry.example.com/shop@sha256:${'3'.repeat(64)}`)
    ;(after.metadata as { annotations: Record<string, string> }).annotations[
      'canary-deploy.dev/phase'
    ] = 'smoke'
    expect(asDeployer(request('UPDATE', 'deployments', { old: before, new: after })).allowed).toBe(
      true
    )
  })

  it('deletes a canary', () => {
    expect(asDeployer(request('DELETE', 'deployments', { old: canary() })).allowed).toBe(true)
  })

  it('may not change a stable Deployment, and is told who may', () => {
    const decision = asDeployer(
      request('UPDATE', 'deployments', { old: stable(), new: withImage(stable(), NEW_IMAGE) })
    )
    expect(decision.allowed).toBe(false)
    if (decision.allowed) return
    expect(decision.status).toBe(403)
    expect(decision.message).toContain(
      "ValidatingAdmissionPolicy 'canary-deploy-cannot-promote' with binding 'canary-deploy-cannot-promote' denied request"
    )
    expect(decision.message).toContain('canary-deploy-promote')
  })

  it('may not write even the phase annotation on a stable Deployment', () => {
    const after = stable()
    ;(after.metadata as Json).annotations = { 'canary-deploy.dev/phase': 'ready' }
    expect(
      refusal(asDeployer(request('UPDATE', 'deployments', { old: stable(), new: after })))
    ).toMatch(/^403 /)
  })

  it('may not delete a stable Deployment', () => {
    expect(refusal(asDeployer(request('DELETE', 'deployments', { old: stable() })))).toMatch(
      /^403 /
    )
  })

  it('may not touch a Deployment that carries no track label', () => {
    const unlabelled = labelled(stable(), undefined)
    expect(
      refusal(
        asDeployer(
          request('UPDATE', 'deployments', {
            old: unlabelled,
            new: withImage(unlabelled, NEW_IMAGE)
          })
        )
      )
    ).toMatch(/^403 /)
  })

  it('may not label an unlabelled Deployment as a canary', () => {
    const unlabelled = labelled(stable(), undefined)
    expect(
      refusal(
        asDeployer(
          request('UPDATE', 'deployments', { old: unlabelled, new: labelled(unlabelled, 'canary') })
        )
      )
    ).toMatch(/^403 /)
  })

  it('may not create a Deployment labelled stable', () => {
    expect(
      refusal(asDeployer(request('CREATE', 'deployments', { new: labelled(canary(), 'stable') })))
    ).toMatch(/^403 /)
  })

  it('may not relabel a canary as stable, nor stable as a canary', () => {
    const toStable = request('UPDATE', 'deployments', {
      old: canary(),
      new: labelled(canary(), 'stable')
    })
    const toCanary = request('UPDATE', 'deployments', {
      old: stable(),
      new: labelled(stable(), 'canary')
    })
    expect(refusal(asDeployer(toStable))).toMatch(/^403 /)
    expect(refusal(asDeployer(toCanary))).toMatch(/^403 /)
  })

  it('may not give a canary pods labelled track: stable', () => {
    const disguised = canary() as unknown as V1Deployment
    disguised.spec!.template.metadata!.labels![TRACK] = 'stable'
    const decision = asDeployer(
      request('CREATE', 'deployments', { new: disguised as unknown as Json })
    )
    expect(refusal(decision)).toContain("may not give a Deployment's pods the label")
  })

  it('creates, changes and deletes a canary Service', () => {
    const moved = canaryService()
    ;(moved.spec as { ports: unknown[] }).ports = [{ port: 8080 }]
    expect(asDeployer(request('CREATE', 'services', { new: canaryService() })).allowed).toBe(true)
    expect(
      asDeployer(request('UPDATE', 'services', { old: canaryService(), new: moved })).allowed
    ).toBe(true)
    expect(asDeployer(request('DELETE', 'services', { old: canaryService() })).allowed).toBe(true)
  })

  it("may not move the app Service's selector (what a rainbow promotion does)", () => {
    const moved = appService()
    ;(moved.spec as Json).selector = { app: 'shop-web', 'canary-deploy.dev/release': 'abc123' }
    expect(
      refusal(asDeployer(request('UPDATE', 'services', { old: appService(), new: moved })))
    ).toMatch(/^403 /)
  })

  it('may not delete the app Service, nor relabel it as a canary', () => {
    expect(refusal(asDeployer(request('DELETE', 'services', { old: appService() })))).toMatch(
      /^403 /
    )
    expect(
      refusal(
        asDeployer(
          request('UPDATE', 'services', {
            old: appService(),
            new: labelled(appService(), 'canary')
          })
        )
      )
    ).toMatch(/^403 /)
  })

  it('writes a canary Ingress but not the app Ingress', () => {
    const canaryIngress = ingress('shop-canary', { [TRACK]: 'canary' }, 'shop-canary')
    const appIngress = ingress('shop', { app: 'shop' }, 'shop-web')
    const pointedAtCanary = ingress('shop', { app: 'shop' }, 'shop-canary')
    expect(asDeployer(request('CREATE', 'ingresses', { new: canaryIngress })).allowed).toBe(true)
    expect(
      refusal(asDeployer(request('UPDATE', 'ingresses', { old: appIngress, new: pointedAtCanary })))
    ).toMatch(/^403 /)
  })

  it('is not judged on its lock Lease', () => {
    const decision = asDeployer(
      request('CREATE', 'leases', { new: { metadata: { name: 'shop-canary-deploy' } } })
    )
    expect(decision).toEqual({ allowed: true, matched: false })
  })
})

describe('canary-deploy-cannot-promote leaves other identities alone', () => {
  it('lets the promote identity change stable', () => {
    const promoted = request(
      'UPDATE',
      'deployments',
      { old: stable(), new: withImage(stable(), NEW_IMAGE) },
      { username: PROMOTER }
    )
    expect(asDeployer(promoted)).toEqual({ allowed: true, matched: false })
  })
})

describe('canary-deploy-diff-dry-run-only', () => {
  it('lets the diff identity dry-run a change to stable', () => {
    const change = { old: stable(), new: withImage(stable(), NEW_IMAGE) }
    expect(
      asDiff(request('UPDATE', 'deployments', change, { username: DIFF, dryRun: true })).allowed
    ).toBe(true)
  })

  it('refuses the diff identity any write that is not a dry run', () => {
    const change = { old: stable(), new: withImage(stable(), NEW_IMAGE) }
    expect(asDiff(request('UPDATE', 'deployments', change, { username: DIFF })).allowed).toBe(false)
    expect(
      asDiff(request('CREATE', 'leases', { new: { metadata: { name: 'x' } } }, { username: DIFF }))
        .allowed
    ).toBe(false)
  })
})
