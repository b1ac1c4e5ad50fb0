/** Conformance cases. Writes: server-side apply, create refusals, the Lease, merge/JSON/strategic patches, typed decoding. */
import { readManifest } from './recording.js'
import { applyManifest, call, inNamespace, rvOf, type Entry } from './scenario.js'

export const writesCases: Record<string, Entry> = {
  // An identical re-apply changes nothing (no resourceVersion bump). Not checked: the
  // kube-root-ca.crt ConfigMap and default ServiceAccount a real namespace gets; nothing here reads them.
  '13-apply-ssa.txt': {
    controllers: false,
    check: async (c, ns, recording) => {
      expect(recording).toContain('identical re-apply changed the ConfigMap resourceVersion: no')
      const first = await applyManifest(c, 'base.yaml', ns)
      const again = await applyManifest(c, 'base.yaml', ns)
      expect(first.map(a => a.status)).toEqual([201, 201, 201])
      expect(again.map(a => a.status)).toEqual([200, 200, 200])
      expect(again.map(rvOf)).toEqual(first.map(rvOf))
    }
  },
  '14-ssa-managed-fields.txt': { pending: 'kubectl-only case, no raw answers' },
  '15-ssa-conflict.txt': { pending: 'scenario not written yet (needs two appliers)' },
  '17-ssa-dry-run.txt': { pending: 'kubectl-only case, no raw answers' },
  '21-create-existing.txt': async (c, ns) => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: ns },
      data: { greeting: 'again' }
    }
    await call(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm)
    return [await call(c, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm)]
  },
  '22-invalid-name.txt': async (c, ns) => [
    await call(
      c,
      'POST',
      `/api/v1/namespaces/${ns}/configmaps`,
      inNamespace(readManifest('cm-badname.json'), ns)
    )
  ],
  '23-invalid-no-containers.txt': async (c, ns) => [
    await call(
      c,
      'POST',
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      inNamespace(readManifest('deploy-nocontainers.json'), ns)
    )
  ],
  '50-lease.txt': { pending: 'scenario not written yet' },
  '51-patch-merge.txt': { pending: 'scenario not written yet' },
  '52-patch-json.txt': { pending: 'scenario not written yet' },
  '53-patch-strategic.txt': { pending: 'kubectl-only case, no raw answers' },
  '63-wrong-field-type.txt': { pending: 'scenario not written yet' }
}
