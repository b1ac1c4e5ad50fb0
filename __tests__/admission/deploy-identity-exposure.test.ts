/**
 * The canary's own Service and Ingress (ingress-host, ingress-weight) under
 * canary-deploy-cannot-promote, for the deploy identity: as the action renders them they pass; a
 * canary Service reaches only canary pods inside the cluster, and a canary Ingress only canary
 * Services, with no annotation but the canary weight. What CEL cannot know (the production host, a
 * share of traffic that is too much) is allowed, and SECURITY.md says so.
 */
import type { V1Ingress, V1Service } from '@kubernetes/client-node'
import { canaryService } from '../../src/release/routers/canary-exposure.js'
import { canaryHostIngress } from '../../src/release/routers/ingress-host.js'
import { NGINX_CANARY_WEIGHT, weightedIngress } from '../../src/release/routers/ingress-weight.js'
import { readSettings } from '../../src/settings.js'
import { stableDeployment } from '../commands/fixture.js'
import { CANARY_HOST, STABLE_HOST, TLS_SECRET } from '../commands/strategies-fixture.js'
import { appService, asDeployer, json, refusal, request, TRACK, type Json } from './fixtures.js'

const settings = readSettings(
  name => ({ app: 'shop', image: 'ghcr.io/acme/shop', strategy: 'ingress-weight' })[name] ?? '',
  { GITHUB_WORKSPACE: process.cwd(), GITHUB_SHA: 'abcdef1234567890' }
)
const web = stableDeployment('shop-web')
const stableService = appService() as unknown as V1Service
/** The app's Ingress: two hosts, one path each to the app's Service by port name. */
const stableIngress: V1Ingress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'shop-web', namespace: 'shop' },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: [STABLE_HOST, `www.${STABLE_HOST}`], secretName: TLS_SECRET }],
    rules: [STABLE_HOST, `www.${STABLE_HOST}`].map(host => ({
      host,
      http: {
        paths: [
          {
            path: '/api',
            pathType: 'Prefix',
            backend: { service: { name: 'shop-web', port: { name: 'http' } } }
          }
        ]
      }
    }))
  }
}

const service = (): Json => json(canaryService(settings, web, stableService))
const hostIngress = (): Json =>
  json(canaryHostIngress(settings, service() as V1Service, CANARY_HOST, stableIngress))
const weighted = (weight: number): Json =>
  json(weightedIngress(settings, service() as V1Service, stableIngress, 'shop-web', weight))

const create = (resource: string, object: Json) =>
  asDeployer(request('CREATE', resource, { new: object }))

/** `object` with `change` merged into its spec. */
function withSpec(object: Json, change: Json): Json {
  const out = json(object)
  out.spec = { ...(out.spec as Json), ...change }
  return out
}

describe('the canary Service', () => {
  it('passes as rendered', () => {
    expect(create('services', service()).allowed).toBe(true)
  })

  it.each([
    ['ExternalName, pointing out of the cluster', { type: 'ExternalName', externalName: 'x.net' }],
    ['LoadBalancer, with an address of its own', { type: 'LoadBalancer' }],
    ['NodePort, open on every node', { type: 'NodePort' }],
    ['ClusterIP with externalIPs', { externalIPs: ['203.0.113.7'] }]
  ])('may not be of type %s', (_what, change) => {
    expect(refusal(create('services', withSpec(service(), change)))).toMatch(
      /^403 .*a Service it writes is a ClusterIP Service <name>-canary selecting canary-deploy\.dev\/track: canary/
    )
  })

  it('may not select pods other than canaries', () => {
    const wide = withSpec(service(), { selector: { app: 'shop-web' } })
    expect(refusal(create('services', wide))).toMatch(/^403 /)
  })

  it('may not be named other than <name>-canary', () => {
    const renamed = json(service())
    ;(renamed.metadata as Json).name = 'shop-admin'
    expect(refusal(create('services', renamed))).toMatch(/^403 /)
  })
})

describe('the canary Ingress', () => {
  it('passes as ingress-host renders it', () => {
    expect(create('ingresses', hostIngress()).allowed).toBe(true)
  })

  it('passes as ingress-weight renders it, and its weight patched', () => {
    const before = weighted(10)
    const after = json(before)
    ;(after.metadata as { annotations: Record<string, string> }).annotations[NGINX_CANARY_WEIGHT] =
      '50'
    expect(create('ingresses', before).allowed).toBe(true)
    expect(asDeployer(request('UPDATE', 'ingresses', { old: before, new: after })).allowed).toBe(
      true
    )
  })

  it('may take the production host and all its traffic: CEL cannot tell (SECURITY.md)', () => {
    expect(create('ingresses', weighted(100)).allowed).toBe(true)
    const onProductionHost = hostIngress() as unknown as V1Ingress
    onProductionHost.spec!.rules![0].host = STABLE_HOST
    expect(create('ingresses', onProductionHost as unknown as Json).allowed).toBe(true)
  })

  it('may not send traffic to a Service that is not a canary', () => {
    const ingress = hostIngress() as unknown as V1Ingress
    ingress.spec!.rules![0].http!.paths[0].backend = {
      service: { name: 'shop-admin', port: { number: 80 } }
    }
    expect(refusal(create('ingresses', ingress as unknown as Json))).toMatch(
      /^403 .*an Ingress it writes sends traffic only to Services <name>-canary/
    )
  })

  it('may not have a default backend that is not a canary Service', () => {
    const ingress = withSpec(hostIngress(), {
      defaultBackend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'b' } }
    })
    expect(refusal(create('ingresses', ingress))).toMatch(/^403 /)
  })

  it('may not carry an annotation other than the NGINX canary ones and our own', () => {
    const snippet = json(weighted(10))
    ;(snippet.metadata as { annotations: Record<string, string> }).annotations[
      'nginx.ingress.kubernetes.io/configuration-snippet'
    ] = 'return 302 https://evil.example.net;'
    expect(refusal(create('ingresses', snippet))).toMatch(
      /^403 .*annotations other than nginx\.ingress\.kubernetes\.io\/canary, nginx\.ingress\.kubernetes\.io\/canary-weight and canary-deploy\.dev\//
    )
  })
})

describe('labels still decide what is a canary', () => {
  it('a Service labelled stable stays out of reach whatever its shape', () => {
    const stableShaped = json(service())
    ;(stableShaped.metadata as { labels: Record<string, string> }).labels[TRACK] = 'stable'
    expect(refusal(create('services', stableShaped))).toMatch(/^403 /)
  })
})
