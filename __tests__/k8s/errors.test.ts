import { ApiException } from '@kubernetes/client-node'
import { describeApiError, KubeError, toKubeError } from '../../src/k8s/errors.js'

const server = 'https://admin:hunter2@k8s.example.com:6443'
const attempt = { verb: 'patch', resource: 'deployments', namespace: 'prod', name: 'web-canary' }

function status(code: number, reason: string, message: string, causes?: unknown[]): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message,
    details: causes ? { causes } : undefined
  })
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), { code })
}

describe('describeApiError', () => {
  it('names the host it cannot resolve', () => {
    expect(describeApiError(socketError('ENOTFOUND'), attempt, server)).toMatch(
      /^cannot resolve k8s\.example\.com/
    )
  })

  it('says the connection was refused, by whom', () => {
    expect(describeApiError(socketError('ECONNREFUSED'), attempt, server)).toMatch(
      /connection refused by https:\/\/k8s\.example\.com:6443/
    )
  })

  it('finds the socket code inside an AggregateError or a fetch cause', () => {
    const aggregate = Object.assign(new AggregateError([socketError('ECONNREFUSED')], 'fail'), {})
    const fetchFailed = new TypeError('fetch failed', { cause: socketError('ENOTFOUND') })
    expect(describeApiError(aggregate, attempt, server)).toMatch(/connection refused/)
    expect(describeApiError(fetchFailed, attempt, server)).toMatch(/cannot resolve/)
  })

  it('reports a TLS verification failure with its code', () => {
    expect(describeApiError(socketError('SELF_SIGNED_CERT_IN_CHAIN'), attempt, server)).toMatch(
      /TLS verification of .* failed \(SELF_SIGNED_CERT_IN_CHAIN\)/
    )
  })

  it('says the credentials were rejected on 401', () => {
    const err = new ApiException(401, 'Unauthorized', undefined, {})
    expect(describeApiError(err, attempt, server)).toMatch(
      /^credentials rejected by https:\/\/k8s\.example\.com:6443/
    )
  })

  it('says what is forbidden on 403, with the server message', () => {
    const body = status(
      403,
      'Forbidden',
      'deployments.apps "web-canary" is forbidden: User "ci" cannot patch resource "deployments"'
    )
    const message = describeApiError(new ApiException(403, 'Forbidden', body, {}), attempt, server)
    expect(message).toMatch(
      /^forbidden: cannot patch deployments in namespace prod: deployments\.apps "web-canary" is forbidden: User "ci"/
    )
  })

  it('names what was not found on 404', () => {
    expect(
      describeApiError({ code: 404, body: status(404, 'NotFound', 'x') }, attempt, server)
    ).toBe('deployments web-canary not found in namespace prod (while trying to patch it)')
  })

  it('names the field manager that owns a conflicting field on 409', () => {
    const body = status(409, 'Conflict', 'Apply failed with 1 conflict', [
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-client-side-apply" using apps/v1',
        field: '.spec.replicas'
      }
    ])
    expect(describeApiError({ code: 409, body }, attempt, server)).toMatch(
      /\.spec\.replicas is owned by "kubectl-client-side-apply"/
    )
  })

  it('lists the causes of a 422', () => {
    const body = status(422, 'Invalid', 'invalid', [
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers[0].image'
      }
    ])
    expect(describeApiError({ code: 422, body }, attempt, server)).toBe(
      'deployments web-canary in namespace prod is invalid: spec.template.spec.containers[0].image: Required value'
    )
  })

  it('quotes Retry-After on 429', () => {
    const err = new ApiException(429, 'Too Many Requests', '', { 'retry-after': '7' })
    expect(describeApiError(err, attempt, server)).toMatch(/throttling .* retry after 7 s/)
  })

  it.each([500, 503])('reports a %i as the server failing', code => {
    expect(
      describeApiError(
        { code, body: status(code, 'InternalError', 'etcd timeout') },
        attempt,
        server
      )
    ).toMatch(
      new RegExp(
        `failed with ${code} while trying to patch deployments web-canary in namespace prod: etcd timeout`
      )
    )
  })

  it('never prints the password embedded in the server URL', () => {
    for (const err of [
      socketError('ECONNREFUSED'),
      socketError('ENOTFOUND'),
      { code: 401 },
      { code: 503 },
      { code: 429 }
    ]) {
      expect(describeApiError(err, attempt, server)).not.toContain('hunter2')
    }
  })
})

describe('toKubeError', () => {
  it('carries the status, reason, Retry-After and attempt', () => {
    const err = toKubeError(
      {
        code: 503,
        body: status(503, 'ServiceUnavailable', 'down'),
        headers: { 'Retry-After': '2' }
      },
      attempt,
      server
    )
    expect(err).toBeInstanceOf(KubeError)
    expect([err.code, err.reason, err.status, err.retryAfterMs, err.attempt]).toEqual([
      503,
      'ServiceUnavailable',
      503,
      2000,
      attempt
    ])
  })

  it('uses the socket code as code for transport failures', () => {
    const err = toKubeError(socketError('ECONNREFUSED'), attempt, server)
    expect([err.code, err.reason, err.status]).toEqual([
      'ECONNREFUSED',
      'ConnectionRefused',
      undefined
    ])
  })
})
