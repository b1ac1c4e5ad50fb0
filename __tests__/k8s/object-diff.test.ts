import type { KubernetesObject } from '@kubernetes/client-node'
import {
  diffObject,
  normalizeForDiff,
  objectYaml,
  redactSecret
} from '../../src/k8s/object-diff.js'

const b64 = (text: string): string => Buffer.from(text).toString('base64')

function liveConfigMap(
  data: Record<string, string>
): KubernetesObject & { data: Record<string, string> } {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'web-config',
      namespace: 'prod',
      uid: 'u-1',
      resourceVersion: '12',
      generation: 3,
      creationTimestamp: new Date('2024-01-01T00:00:00Z'),
      selfLink: '/api/v1/namespaces/prod/configmaps/web-config',
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      annotations: {
        'deployment.kubernetes.io/revision': '4',
        'kubectl.kubernetes.io/last-applied-configuration': '{"data":{}}',
        'example.com/team': 'payments'
      }
    },
    data
  }
}

describe('normalizeForDiff', () => {
  it('strips status, server-managed metadata and history-only annotations', () => {
    const live = { ...liveConfigMap({ a: '1' }), status: { phase: 'x' } }
    expect(normalizeForDiff(live)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'web-config',
        namespace: 'prod',
        annotations: { 'example.com/team': 'payments' }
      },
      data: { a: '1' }
    })
  })

  it('does not change the object it was given', () => {
    const live = liveConfigMap({ a: '1' })
    normalizeForDiff(live)
    expect(live.metadata!.uid).toBe('u-1')
  })
})

describe('redactSecret', () => {
  const key = Buffer.alloc(32, 7)
  const secret = (fields: {
    data?: Record<string, string>
    stringData?: Record<string, string>
  }): KubernetesObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db' },
    ...fields
  })

  it('replaces each data value by a short hash and its length, keeping key names', () => {
    const redacted = redactSecret(secret({ data: { password: b64('hunter2') } }), key) as {
      data: Record<string, string>
    }
    expect(Object.keys(redacted.data)).toEqual(['password'])
    expect(redacted.data.password).toMatch(/^<sha256:[0-9a-f]{12}, 7 bytes>$/)
  })

  it('folds stringData into data in the same form, so equal values compare equal', () => {
    const fromString = redactSecret(secret({ stringData: { password: 'hunter2' } }), key)
    const fromData = redactSecret(secret({ data: { password: b64('hunter2') } }), key)
    expect(fromString).toEqual(fromData)
    expect(fromString).not.toHaveProperty('stringData')
  })

  it('lets stringData win over data for the same key, as the server does', () => {
    const both = redactSecret(
      secret({ data: { password: b64('old') }, stringData: { password: 'new-value' } }),
      key
    ) as { data: Record<string, string> }
    expect(both.data.password).toMatch(/, 9 bytes>$/)
  })

  it('gives different values different hashes', () => {
    const a = redactSecret(secret({ data: { p: b64('one') } }), key)
    const b = redactSecret(secret({ data: { p: b64('two') } }), key)
    expect(a).not.toEqual(b)
  })

  it('never leaves a value, in plain or base64 form, in the result', () => {
    const text = JSON.stringify(
      redactSecret(
        secret({ data: { p: b64('s3cr3t-value') }, stringData: { q: 'other-s3cr3t' } }),
        key
      )
    )
    for (const value of ['s3cr3t-value', b64('s3cr3t-value'), 'other-s3cr3t', b64('other-s3cr3t')])
      expect(text).not.toContain(value)
  })

  it('drops the last-applied annotation, which holds the values', () => {
    const withAnnotation = secret({ data: { p: b64('v') } })
    withAnnotation.metadata!.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data: { p: b64('v') } })
    }
    expect(redactSecret(withAnnotation, key).metadata!.annotations).toEqual({})
  })

  it('is unchanged by a second redaction', () => {
    const once = redactSecret(secret({ data: { p: b64('v') } }), key)
    expect(redactSecret(once, key)).toEqual(once)
  })

  it('leaves objects that are not Secrets alone', () => {
    const cm = liveConfigMap({ password: 'not-a-secret' })
    expect(redactSecret(cm, key)).toBe(cm)
  })
})

describe('diffObject', () => {
  it('is unchanged, with no text, when only server fields and history differ', () => {
    const before = liveConfigMap({ a: '1' })
    const after = {
      ...liveConfigMap({ a: '1' }),
      metadata: {
        ...before.metadata,
        resourceVersion: '13',
        annotations: { 'example.com/team': 'payments' }
      }
    }
    expect(diffObject('ConfigMap prod/web-config', before, after)).toEqual({
      kind: 'unchanged',
      text: ''
    })
  })

  it('is unchanged when only key order differs', () => {
    expect(
      diffObject('cm', liveConfigMap({ a: '1', b: '2' }), liveConfigMap({ b: '2', a: '1' })).kind
    ).toBe('unchanged')
  })

  it('is an update with a unified diff of the changed lines', () => {
    const result = diffObject(
      'ConfigMap prod/web-config',
      liveConfigMap({ a: '1' }),
      liveConfigMap({ a: '2' })
    )
    expect(result.kind).toBe('update')
    expect(result.text).toContain('--- ConfigMap prod/web-config')
    expect(result.text).toMatch(/^- {2}a: "1"$/m)
    expect(result.text).toMatch(/^\+ {2}a: "2"$/m)
  })

  it('shows a created object whole, as added lines', () => {
    const result = diffObject('cm', undefined, liveConfigMap({ a: '1' }))
    expect(result.kind).toBe('create')
    const added = result.text.split('\n').filter(l => l.startsWith('+') && !l.startsWith('+++'))
    expect(added.map(l => l.slice(1))).toEqual(
      objectYaml(liveConfigMap({ a: '1' }))
        .trimEnd()
        .split('\n')
    )
  })

  it('is a delete when the object would be gone', () => {
    expect(diffObject('cm', liveConfigMap({ a: '1' }), undefined).kind).toBe('delete')
  })

  it('shows a Secret change by hashes, never by value', () => {
    const secret = (password: string): KubernetesObject =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db' },
        data: { password: b64(password) }
      }) as KubernetesObject
    const result = diffObject('Secret prod/db', secret('old-pass'), secret('new-pass'))
    expect(result.kind).toBe('update')
    expect(result.text).toMatch(/^- {2}password: <sha256:[0-9a-f]{12}, 8 bytes>$/m)
    for (const value of ['old-pass', 'new-pass', b64('old-pass'), b64('new-pass')])
      expect(result.text).not.toContain(value)
  })

  it('writes YAML with keys sorted', () => {
    const yaml = objectYaml({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' } })
    expect(yaml.split('\n')[0]).toBe('apiVersion: v1')
  })
})

describe('diffObject headers', () => {
  it('starts with the --- and +++ lines naming the object', () => {
    const text = diffObject(
      'ConfigMap prod/c',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: 'b' } } }
    ).text
    expect(text.split('\n').slice(0, 2)).toEqual([
      '--- ConfigMap prod/c\tnow',
      '+++ ConfigMap prod/c\tafter'
    ])
  })
})
