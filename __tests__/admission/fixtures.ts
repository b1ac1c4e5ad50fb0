/**
 * Sample objects and requests for judging docs/rbac.yaml's policies: the stable Deployment and its
 * canary as the action renders them, the app's and the canary's Services and Ingresses, and an
 * admission request per write, made by the deploy identity unless told otherwise.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { canaryFromStable } from '../../src/release/render.js'
import { NAMESPACE, NEW_DIGEST, NEW_IMAGE, stableDeployment } from '../commands/fixture.js'
import {
  admit,
  documented,
  documentedPolicy,
  type AdmissionRequest,
  type Operation,
  type ValidatingAdmissionPolicy,
  type ValidatingAdmissionPolicyBinding
} from './policy.js'

export const DEPLOYER = `system:serviceaccount:${NAMESPACE}:canary-deploy`
export const PROMOTER = `system:serviceaccount:${NAMESPACE}:canary-deploy-promote`
export const DIFF = `system:serviceaccount:${NAMESPACE}:canary-deploy-diff`
export const TRACK = 'canary-deploy.dev/track'

export const policies = documented<ValidatingAdmissionPolicy>('ValidatingAdmissionPolicy')
export const bindings = documented<ValidatingAdmissionPolicyBinding>(
  'ValidatingAdmissionPolicyBinding'
)
export const deployPolicy = documentedPolicy('canary-deploy-cannot-promote')
export const diffPolicy = documentedPolicy('canary-deploy-diff-dry-run-only')

export type Json = Record<string, unknown>
export const json = (value: unknown): Json => structuredClone(value) as Json

export const stable = (): Json => json(stableDeployment('shop-web'))
export const canary = (): Json =>
  json(
    canaryFromStable(
      stableDeployment('shop-web'),
      {
        app: 'shop',
        version: 'v2',
        imageRef: NEW_IMAGE,
        digest: NEW_DIGEST,
        source: 'acme/shop@abc run:7'
      },
      { replicas: 1 }
    )
  )
export const appService = (): Json => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'shop-web', namespace: NAMESPACE, labels: { app: 'shop-web' } },
  spec: { selector: { app: 'shop-web', [TRACK]: 'stable' }, ports: [{ port: 80 }] }
})
export const canaryService = (): Json => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'shop-canary',
    namespace: NAMESPACE,
    labels: { app: 'shop', [TRACK]: 'canary' }
  },
  spec: { selector: { app: 'shop-web', [TRACK]: 'canary' }, ports: [{ port: 80 }] }
})
export const ingress = (name: string, labels: Record<string, string>, service: string): Json => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: NAMESPACE, labels },
  spec: {
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: service, port: { number: 80 } } }
            }
          ]
        }
      }
    ]
  }
})

export function labelled(object: Json, track: string | undefined): Json {
  const out = json(object)
  const metadata = out.metadata as { labels?: Record<string, string> }
  metadata.labels = { ...metadata.labels }
  if (track === undefined) delete metadata.labels[TRACK]
  else metadata.labels[TRACK] = track
  return out
}

export function withImage(deployment: Json, image: string): Json {
  const out = json(deployment) as unknown as V1Deployment
  out.spec!.template.spec!.containers[0].image = image
  return out as unknown as Json
}

export const GROUPS: Record<string, string> = {
  deployments: 'apps',
  services: '',
  ingresses: 'networking.k8s.io',
  jobs: 'batch',
  leases: 'coordination.k8s.io',
  httproutes: 'gateway.networking.k8s.io'
}

export function request(
  operation: Operation,
  resource: string,
  change: { old?: Json | null; new?: Json | null },
  extra: Partial<AdmissionRequest> = {}
): AdmissionRequest {
  const object = change.new ?? null
  const oldObject = change.old ?? null
  const metadata = (object ?? oldObject)?.metadata as { name?: string } | undefined
  return {
    operation,
    group: GROUPS[resource],
    resource,
    name: metadata?.name ?? '',
    namespace: NAMESPACE,
    username: DEPLOYER,
    object,
    oldObject,
    ...extra
  }
}

export const asDeployer = (req: AdmissionRequest) =>
  admit(deployPolicy.policy, deployPolicy.binding, req)
export const asDiff = (req: AdmissionRequest) => admit(diffPolicy.policy, diffPolicy.binding, req)

/** Refused by a validation that evaluated to false, not by an expression that failed to evaluate. */
export function refusal(decision: ReturnType<typeof admit>): string {
  if (decision.allowed) throw new Error('the request was allowed')
  expect(decision.evaluationErrors).toEqual([])
  return `${decision.status} ${decision.message}`
}
