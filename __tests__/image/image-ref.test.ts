import {
  isLoopbackRegistry,
  parseImageRef,
  registryBaseUrl,
  repositoryOf
} from '../../src/image/image-ref.js'

const DIGEST = `sha256:${'c'.repeat(64)}`

describe('parseImageRef', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest', name: 'nginx' }],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['acme/web:v1', { registry: 'docker.io', repository: 'acme/web', tag: 'v1' }],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['ghcr.io/acme/shop/web:abc', { registry: 'ghcr.io', repository: 'acme/shop/web', tag: 'abc' }],
    ['127.0.0.1:5000/app', { registry: '127.0.0.1:5000', repository: 'app', tag: 'latest' }],
    ['localhost:5000/app:v2', { registry: 'localhost:5000', repository: 'app', tag: 'v2' }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    [
      `ghcr.io/acme/web@${DIGEST}`,
      { registry: 'ghcr.io', repository: 'acme/web', tag: undefined, digest: DIGEST }
    ],
    [`ghcr.io/acme/web:v1@${DIGEST}`, { tag: 'v1', digest: DIGEST, name: 'ghcr.io/acme/web' }]
  ])('reads %s', (ref, expected) => {
    expect(parseImageRef(ref)).toMatchObject(expected)
  })

  it.each([
    ['', /empty/],
    ['Acme/Web', /lowercase/],
    ['ghcr.io/acme/web@sha256:xyz', /digest/],
    ['ghcr.io/acme/web:bad tag', /tag/]
  ])('refuses %p, naming the reference', (ref, why) => {
    expect(() => parseImageRef(ref)).toThrow(why)
  })
})

describe('repositoryOf', () => {
  it('drops tag and digest, keeping the name as written', () => {
    expect(repositoryOf(`127.0.0.1:5000/shop/web:v1@${DIGEST}`)).toBe('127.0.0.1:5000/shop/web')
  })
})

describe('registryBaseUrl', () => {
  it.each([
    ['docker.io', 'https://registry-1.docker.io'],
    ['ghcr.io', 'https://ghcr.io'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:5000', 'http://localhost:5000']
  ])('%s -> %s', (registry, url) => {
    expect(registryBaseUrl(registry)).toBe(url)
  })

  it('treats only loopback hosts as plain http', () => {
    expect(isLoopbackRegistry('127.0.0.1.example.com')).toBe(false)
  })
})
