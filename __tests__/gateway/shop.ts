/**
 * The shop behind a Gateway on the test cluster (official Gateway API v1.6.1 CRDs and the gateway
 * controller): examples/k8s-gateway's Gateway `public` and web Service, and the HTTPRoute shop-web
 * as `kubectl apply --server-side` leaves it (field manager kubectl).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { KubernetesObject } from '@kubernetes/client-node'
import { parse } from 'yaml'
import type { HTTPRoute } from '../../src/release/routers/gateway/http-route.js'
import { NAMESPACE, startShop, type Shop } from '../commands/fixture.js'
import { putWebService } from '../commands/strategies-fixture.js'
import { rawRequest, type RawAnswer } from '../harness/raw.js'

export const ROUTES = `/apis/gateway.networking.k8s.io/v1/namespaces/${NAMESPACE}/httproutes`
export const GATEWAY = { strategy: 'gateway', route: 'shop-web' }

const EXAMPLES = path.join(process.cwd(), 'examples/k8s-gateway')

const example = <T>(file: string): T => parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as T

/** examples/k8s-gateway's files: the Gateway, the HTTPRoute and the web Service. */
export const gatewayExampleFiles = (): string[] =>
  readdirSync(EXAMPLES)
    .filter(file => file.endsWith('.yaml'))
    .map(file => path.join(EXAMPLES, file))

/** examples/k8s-gateway/httproute.yaml, as its owner applies it. */
export const userRoute = (): HTTPRoute => example<HTTPRoute>('httproute.yaml')

/** A server-side apply of `object` by `manager` over HTTP, as kubectl or Flux sends it. */
export function applyAs(
  shop: Shop,
  manager: string,
  object: KubernetesObject,
  force = false
): Promise<RawAnswer> {
  const name = object.metadata?.name ?? ''
  return rawRequest(
    shop.cluster,
    'PATCH',
    `${ROUTES}/${name}?fieldManager=${manager}${force ? '&force=true' : ''}`,
    object,
    'application/apply-patch+yaml'
  )
}

/** The Gateway `public`, and the route (default: the example's) as its owner applies it. */
export async function putGateway(shop: Shop, route: HTTPRoute = userRoute()): Promise<void> {
  shop.cluster.put(example<KubernetesObject>('gateway.yaml'))
  const applied = await applyAs(shop, 'kubectl', route)
  if (applied.status >= 300) throw new Error(`the route was refused: ${JSON.stringify(applied)}`)
  await shop.cluster.settle()
}

/** The shop with its Gateway, web Service (stable track) and HTTPRoute. */
export async function startGatewayShop(opts: { controller?: boolean } = {}): Promise<Shop> {
  const shop = await startShop(undefined, undefined, {
    gatewayApi: { controller: opts.controller ?? true }
  })
  putWebService(shop)
  await putGateway(shop)
  return shop
}

/** The route as stored now. */
export const liveRoute = (shop: Shop): HTTPRoute =>
  shop.cluster.get<HTTPRoute>('HTTPRoute', NAMESPACE, 'shop-web') as HTTPRoute

/** Each rule's backends as `name=weight`, header rules marked by their name: how a step reads. */
export function weights(route: HTTPRoute): string[] {
  return (route.spec?.rules ?? []).map(rule =>
    [
      ...(rule.name?.startsWith('canary-deploy-header-') ? [`${rule.name}:`] : []),
      ...(rule.backendRefs ?? []).map(ref => `${ref.name}=${ref.weight}`)
    ].join(' ')
  )
}

/** What `run` returned, and the route's weights each time they changed while it ran. */
export async function weightsSeen<T>(
  shop: Shop,
  run: () => Promise<T>
): Promise<{ result: T; seen: string[][] }> {
  const seen: string[][] = [weights(liveRoute(shop))]
  const note = () => {
    const now = weights(liveRoute(shop))
    if (JSON.stringify(now) !== JSON.stringify(seen.at(-1))) seen.push(now)
  }
  // Every request the command makes sees the route as the requests before it left it.
  const stop = shop.cluster.onRequest(note)
  try {
    const result = await run()
    note()
    return { result, seen }
  } finally {
    stop()
  }
}
