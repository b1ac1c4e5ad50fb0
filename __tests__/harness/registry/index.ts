/**
 * The resources one test cluster serves: the built-in kinds (one file each in this folder) and
 * the custom resources its CRDs add (crd.ts). Each cluster has its own registry.
 */
import type { FieldError } from '../status.js'
import type { KObject } from '../types.js'
import { configmaps } from './configmaps.js'
import { customresourcedefinitions } from './customresourcedefinitions.js'
import { deployments } from './deployments.js'
import { endpoints } from './endpoints.js'
import { events } from './events.js'
import { ingresses } from './ingresses.js'
import { jobs } from './jobs.js'
import { leases } from './leases.js'
import { metaErrors } from './meta.js'
import { namespaces } from './namespaces.js'
import { pods } from './pods.js'
import { replicasets } from './replicasets.js'
import { secrets } from './secrets.js'
import { selfsubjectaccessreviews } from './selfsubjectaccessreviews.js'
import { serviceaccounts } from './serviceaccounts.js'
import { services } from './services.js'
import type { ResourceType } from './strategy.js'

export type { CreateContext, ResourceType } from './strategy.js'

export const BUILT_IN: readonly ResourceType[] = [
  namespaces,
  pods,
  services,
  endpoints,
  configmaps,
  secrets,
  events,
  serviceaccounts,
  deployments,
  replicasets,
  jobs,
  ingresses,
  leases,
  customresourcedefinitions,
  selfsubjectaccessreviews
]

/** A kind's name as kubectl takes it: kind, plural, singular or short name, any case. */
function named(t: ResourceType, name: string): boolean {
  const k = name.toLowerCase()
  return (
    t.kind.toLowerCase() === k ||
    t.resource === k ||
    t.singular === k ||
    !!t.shortNames?.includes(k)
  )
}

export class Registry {
  private readonly types: ResourceType[]

  constructor(types: readonly ResourceType[] = BUILT_IN) {
    this.types = [...types]
  }

  all(): readonly ResourceType[] {
    return this.types
  }

  /** Serves one more resource (a CRD's), replacing one of the same group and plural. */
  add(t: ResourceType): void {
    const i = this.types.findIndex(x => x.group === t.group && x.resource === t.resource)
    if (i >= 0) this.types.splice(i, 1, t)
    else this.types.push(t)
  }

  /** Stops serving a resource (its CRD was deleted). */
  remove(group: string, plural: string): void {
    const i = this.types.findIndex(x => x.group === group && x.resource === plural)
    if (i >= 0) this.types.splice(i, 1)
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find(t => t.group === group && t.version === version && t.resource === plural)
  }

  findKind(name: string): ResourceType | undefined {
    return this.types.find(t => named(t, name))
  }
}

/** Errors of an object about to be stored; `old` is the stored object on update. */
export function validateObject(
  t: ResourceType,
  obj: KObject,
  old?: KObject,
  subresource?: string
): FieldError[] {
  const errs = metaErrors(t, obj, old)
  if (subresource === 'status') {
    if (old && t.validateStatus) errs.push(...t.validateStatus(obj, old))
    return errs
  }
  if (t.validate) errs.push(...t.validate(obj, old))
  return errs
}

/** A kind's name as kubectl takes it, among the built-in kinds. */
export function findBuiltIn(name: string): ResourceType | undefined {
  return BUILT_IN.find(t => named(t, name))
}
