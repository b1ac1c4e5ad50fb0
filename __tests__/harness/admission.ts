/**
 * The admission plugins a pod meets on create in a default kube-apiserver, limited to what they
 * add to the pod (recording 33): ServiceAccount (serviceAccountName `default` and the projected
 * `kube-api-access-xxxxx` token volume mounted in every container), DefaultTolerationSeconds
 * (not-ready / unreachable NoExecute for 300 s), Priority (priority 0, PreemptLowerPriority).
 * https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/
 */
import { randomSuffix } from './api.js'
import { isRecord, type KObject } from './types.js'

const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount'

function tokenVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [
              { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }
            ]
          }
        },
        // As the recorded cluster projects it too.
        {
          configMap: {
            name: 'openshift-service-ca.crt',
            items: [{ key: 'service-ca.crt', path: 'service-ca.crt' }]
          }
        }
      ]
    }
  }
}

const TOLERATIONS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']

export function admitPod(pod: KObject): void {
  const spec = isRecord(pod.spec) ? pod.spec : (pod.spec = {})
  const sa = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName
  spec.serviceAccountName = sa || 'default'
  spec.serviceAccount = spec.serviceAccountName
  if (spec.automountServiceAccountToken !== false) {
    const volumes = Array.isArray(spec.volumes) ? spec.volumes : []
    const mounted = (c: unknown): boolean =>
      isRecord(c) &&
      Array.isArray(c.volumeMounts) &&
      c.volumeMounts.some(m => isRecord(m) && m.mountPath === TOKEN_PATH)
    const containers = [spec.initContainers, spec.containers].flatMap(l =>
      Array.isArray(l) ? l : []
    )
    if (!containers.some(mounted)) {
      const name = `kube-api-access-${randomSuffix()}`
      spec.volumes = [...volumes, tokenVolume(name)]
      for (const c of containers) {
        if (!isRecord(c)) continue
        const mounts = Array.isArray(c.volumeMounts) ? c.volumeMounts : []
        c.volumeMounts = [...mounts, { name, readOnly: true, mountPath: TOKEN_PATH }]
      }
    }
  }
  const tolerations = Array.isArray(spec.tolerations) ? [...spec.tolerations] : []
  for (const key of TOLERATIONS) {
    const has = tolerations.some(
      t => isRecord(t) && t.key === key && (t.effect === 'NoExecute' || t.effect === undefined)
    )
    if (!has)
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 })
  }
  spec.tolerations = tolerations
  if (spec.priority === undefined) spec.priority = 0
  if (spec.preemptionPolicy === undefined) spec.preemptionPolicy = 'PreemptLowerPriority'
}
