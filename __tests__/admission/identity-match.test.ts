/**
 * Which identity each policy judges, read from the request alone: the policies are applied as
 * written, in any namespace, and fail closed, so no edit can be forgotten.
 */
import { asDeployer, asDiff, request, stable, withImage } from './fixtures.js'
import { NEW_IMAGE } from '../commands/fixture.js'

const changeStable = { old: stable(), new: withImage(stable(), NEW_IMAGE) }
const serviceAccount = (namespace: string, name: string) =>
  `system:serviceaccount:${namespace}:${name}`

describe('canary-deploy-cannot-promote judges the canary-deploy service account', () => {
  it('of any namespace, as written: no namespace to fill in', () => {
    const decision = asDeployer(
      request('UPDATE', 'deployments', changeStable, {
        namespace: 'payments',
        username: serviceAccount('payments', 'canary-deploy')
      })
    )
    expect(decision).toMatchObject({ matched: true, allowed: false })
  })

  it('wherever a RoleBinding lets it write, not only in its own namespace', () => {
    const decision = asDeployer(
      request('UPDATE', 'deployments', changeStable, {
        namespace: 'payments',
        username: serviceAccount('shop', 'canary-deploy')
      })
    )
    expect(decision).toMatchObject({ matched: true, allowed: false })
  })

  it.each([
    ['the promote identity', serviceAccount('shop', 'canary-deploy-promote')],
    ['the diff identity', serviceAccount('shop', 'canary-deploy-diff')],
    ['another service account ending alike', serviceAccount('shop', 'my-canary-deploy')],
    ['a person named canary-deploy', 'canary-deploy'],
    ['a person whose name ends alike', 'oidc:canary-deploy']
  ])('and not %s', (_who, username) => {
    expect(asDeployer(request('UPDATE', 'deployments', changeStable, { username }))).toEqual({
      allowed: true,
      matched: false
    })
  })
})

describe('canary-deploy-diff-dry-run-only judges the canary-deploy-diff service account', () => {
  it('of any namespace, as written', () => {
    const decision = asDiff(
      request('UPDATE', 'deployments', changeStable, {
        namespace: 'payments',
        username: serviceAccount('payments', 'canary-deploy-diff')
      })
    )
    expect(decision).toMatchObject({ matched: true, allowed: false })
  })

  it('wherever a RoleBinding lets it write', () => {
    const decision = asDiff(
      request('UPDATE', 'deployments', changeStable, {
        namespace: 'payments',
        username: serviceAccount('shop', 'canary-deploy-diff')
      })
    )
    expect(decision).toMatchObject({ matched: true, allowed: false })
  })

  it('and not the deploy identity', () => {
    const username = serviceAccount('shop', 'canary-deploy')
    expect(asDiff(request('UPDATE', 'deployments', changeStable, { username }))).toEqual({
      allowed: true,
      matched: false
    })
  })
})
