/** examples/k8s-gateway: the example app behind a Gateway, ready for the gateway strategy. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { rulesWithCanary } from '../../src/release/routers/gateway/canary-rules.js'
import type { HTTPRoute } from '../../src/release/routers/gateway/http-route.js'
import { LABEL_TRACK } from '../../src/k8s/labels.js'
import { startSchemaCheck, type SchemaCheck } from './schema.js'

interface Listener {
  name: string
  port: number
  hostname?: string
  allowedRoutes?: { namespaces?: { from?: string } }
}
interface Gateway {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace: string }
  spec: { listeners: Listener[] }
}
interface Service {
  metadata: { name: string; namespace: string }
  spec: { selector: Record<string, string>; ports: { port: number }[] }
}
interface Deployment {
  spec: { template: { metadata: { labels: Record<string, string> } } }
}

const examples = path.join(process.cwd(), 'examples')
const read = <T>(file: string): T => parse(readFileSync(path.join(examples, file), 'utf8')) as T

const gateway = read<Gateway>('k8s-gateway/gateway.yaml')
const httpRoute = read<HTTPRoute>('k8s-gateway/httproute.yaml')
const service = read<Service>('k8s-gateway/service.yaml')
const webPod = read<Deployment>('k8s/web.yaml').spec.template.metadata.labels

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value)

describe('examples/k8s-gateway', () => {
  let schema: SchemaCheck
  beforeAll(async () => {
    schema = await startSchemaCheck()
  })
  afterAll(() => schema.stop())

  it('fit the official Gateway and HTTPRoute schemas (v1.6.1), as the API server checks them', async () => {
    expect(await schema.refusal(gateway)).toBe('')
    expect(await schema.refusal(httpRoute)).toBe('')
  })

  it("attach the route to the example Gateway's listener, which takes routes from its namespace and host", () => {
    const [parent] = httpRoute.spec?.parentRefs ?? []
    const listener = gateway.spec.listeners.find(l => l.name === parent.sectionName)

    expect(parent.name).toBe(gateway.metadata.name)
    expect(httpRoute.metadata?.namespace).toBe(gateway.metadata.namespace)
    expect(listener?.allowedRoutes?.namespaces?.from).toBe('Same')
    expect(httpRoute.spec?.hostnames).toContain(listener?.hostname)
  })

  it('send the route to the web Service on a port it defines', () => {
    const refs = (httpRoute.spec?.rules ?? []).flatMap(r => r.backendRefs ?? [])
    expect(refs).toEqual([{ name: service.metadata.name, port: service.spec.ports[0].port }])
  })

  it('let the web Service select stable web pods and no canary pod', () => {
    expect(selects(service.spec.selector, webPod)).toBe(true)
    expect(selects(service.spec.selector, { ...webPod, [LABEL_TRACK]: 'canary' })).toBe(false)
  })

  it('give a route that takes the canary and a header rule, within the schema', async () => {
    const services = {
      namespace: 'shop',
      stableService: service.metadata.name,
      canaryService: 'shop-canary'
    }
    const { rules } = rulesWithCanary(httpRoute, services, {
      percent: 10,
      header: { name: 'X-Canary', value: 'always' }
    })

    expect(rules.flatMap(r => r.backendRefs?.map(ref => [ref.name, ref.weight]))).toEqual([
      ['shop-canary', 1],
      ['shop-web', 9],
      ['shop-canary', 1]
    ])
    const withCanary: HTTPRoute = { ...httpRoute, spec: { ...httpRoute.spec, rules } }
    expect(await schema.refusal(withCanary)).toBe('')
  })
})
