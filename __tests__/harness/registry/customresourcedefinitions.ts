/**
 * apiextensions.k8s.io/v1 customresourcedefinitions: cluster-scoped; once stored, the CRD's kind is
 * served (crd.ts serveCustomResources) and the CRD reports NamesAccepted and Established.
 */
import { isRecord, now, type KObject } from '../types.js'
import { resource } from './strategy.js'

export const customresourcedefinitions = resource(
  'apiextensions.k8s.io',
  'v1',
  'customresourcedefinitions',
  'CustomResourceDefinition',
  {
    namespaced: false,
    shortNames: ['crd', 'crds'],
    subresources: ['status'],
    statusSubresource: true,
    prepareForCreate(obj: KObject) {
      const spec = isRecord(obj.spec) ? obj.spec : {}
      const versions = Array.isArray(spec.versions) ? spec.versions.filter(isRecord) : []
      const at = now()
      const condition = (type: string, reason: string, message: string) => ({
        type,
        status: 'True',
        lastTransitionTime: at,
        reason,
        message
      })
      obj.status = {
        conditions: [
          condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
          condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted')
        ],
        acceptedNames: spec.names,
        storedVersions: versions.filter(v => v.storage === true).map(v => v.name)
      }
    }
  }
)
