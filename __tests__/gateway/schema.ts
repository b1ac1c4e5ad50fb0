/**
 * What the API server says of a Gateway API object, asked without storing anything: the test
 * cluster serves the official v1.6.1 CRDs (structural schema, defaults, CEL rules; see
 * harness/CONFORMANCE.md), and each object is sent as a dry run with fieldValidation=Strict, so a
 * field the schema does not know (which the server would prune: data lost) is refused too.
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { rawRequest } from '../harness/raw.js'

const GROUP = '/apis/gateway.networking.k8s.io/v1'
const PLURAL: Record<string, string> = { HTTPRoute: 'httproutes', Gateway: 'gateways' }

export interface SchemaCheck {
  /** The API server's refusal of a create of `object`, or '' when it would store it. */
  refusal(object: KubernetesObject): Promise<string>
  /** The refusal of `status` written to `route` (created first, then its /status replaced). */
  statusRefusal(route: KubernetesObject, status: unknown): Promise<string>
  stop(): Promise<void>
}

function messageOf(status: number, body: unknown): string {
  if (status < 300) return ''
  const message = (body as { message?: unknown } | undefined)?.message
  return `${status} ${typeof message === 'string' ? message : JSON.stringify(body)}`
}

/** A test cluster serving the Gateway API CRDs, without a controller, to ask about objects. */
export async function startSchemaCheck(namespace = 'shop'): Promise<SchemaCheck> {
  const cluster: TestCluster = await startTestCluster({
    namespace,
    controllers: false,
    gatewayApi: { controller: false }
  })
  const collection = (object: KubernetesObject) =>
    `${GROUP}/namespaces/${object.metadata?.namespace ?? namespace}/${PLURAL[object.kind ?? '']}`
  return {
    async refusal(object) {
      const answer = await rawRequest(
        cluster,
        'POST',
        `${collection(object)}?dryRun=All&fieldValidation=Strict`,
        object
      )
      return messageOf(answer.status, answer.body)
    },
    async statusRefusal(route, status) {
      const created = await rawRequest(cluster, 'POST', collection(route), route)
      if (created.status >= 300) return messageOf(created.status, created.body)
      const stored = created.body as KubernetesObject
      const path = `${collection(route)}/${stored.metadata?.name}/status?fieldValidation=Strict`
      const answer = await rawRequest(cluster, 'PUT', path, { ...stored, status })
      await rawRequest(cluster, 'DELETE', `${collection(route)}/${stored.metadata?.name}`)
      return messageOf(answer.status, answer.body)
    },
    stop: () => cluster.stop()
  }
}
