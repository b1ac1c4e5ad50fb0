/**
 * authorization.k8s.io/v1 selfsubjectaccessreviews (`kubectl auth can-i`): create-only, never
 * stored; the answer is the review with status.allowed for the requesting user (server.ts asks
 * the cluster's RBAC; without a Role everything is allowed).
 */
import { resource } from './strategy.js'

export const selfsubjectaccessreviews = resource(
  'authorization.k8s.io',
  'v1',
  'selfsubjectaccessreviews',
  'SelfSubjectAccessReview',
  { namespaced: false, verbs: ['create'] }
)
