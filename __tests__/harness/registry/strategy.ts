/**
 * What kube-apiserver keeps per resource (its REST storage and strategy, pkg/registry/*): the
 * resource as discovery names it, and the rules of its registry: PrepareForCreate, defaulting,
 * admission, validation, what a write to the main resource or to /status may change, when the
 * generation moves, the default garbage-collection policy and its field selectors. One file per
 * resource in this folder; serving a new kind is one more file (or a CRD, crd.ts).
 */
import type { FieldError } from '../status.js'
import type { TablePrinter } from '../table.js'
import type { TypedNode } from '../typed.js'
import type { KObject } from '../types.js'

/** What a registry may ask of the cluster when it prepares a new object. */
export interface CreateContext {
  /** the next free ClusterIP */
  allocateClusterIP(): string
}

export interface ResourceType {
  group: string
  version: string
  /** plural, lower case: the URL segment */
  resource: string
  singular: string
  kind: string
  namespaced: boolean
  shortNames?: string[]
  subresources: string[]
  /** spec changes bump metadata.generation */
  generation: boolean
  /** has a /status subresource: the main resource ignores status, /status ignores the rest */
  statusSubresource: boolean
  /** server-side printing (`kubectl get` columns); default: Name and Created At */
  table?: TablePrinter
  /** the verbs discovery lists (default: all eight) */
  verbs?: string[]
  /** the OpenAPI model its bodies decode as (schema.ts); custom resources decode by `decode` */
  model: string
  /** a PUT without metadata.resourceVersion is allowed (false: 422, as for Leases and CRs) */
  unconditionalUpdate: boolean
  /** the policy a DELETE without one gets (batch/v1 Jobs: Orphan) */
  defaultDeletePolicy?: 'Orphan' | 'Background'
  /** fields its own field-label conversion accepts besides metadata.name/namespace */
  selectableFields?: string[]
  /** Warning headers every request for it earns (deprecations) */
  warnings?: string[]
  /** PrepareForCreate: what the registry sets on a new object besides identity */
  prepareForCreate?(obj: KObject, ctx: CreateContext): void
  /** SetDefaults_*: run on create and on every update of the main resource */
  defaults?(obj: KObject): void
  /** mutating admission on create (pods: service account, tolerations, priority) */
  admit?(obj: KObject): void
  /** PrepareForUpdate of the main resource: values kept from the stored object */
  prepareForUpdate?(next: KObject, old: KObject): void
  /** PrepareForUpdate of /status: metadata the status strategy takes from the stored object */
  statusKeeps?: ('labels' | 'ownerReferences')[]
  /** whether this update bumps metadata.generation (default: the spec changed) */
  generationChanged?(next: KObject, old: KObject): boolean
  /** Validate / ValidateUpdate (the kind's rules; names and labels are checked for every kind) */
  validate?(obj: KObject, old?: KObject): FieldError[]
  /** ValidateStatusUpdate */
  validateStatus?(obj: KObject, old: KObject): FieldError[]
  /** the field value a field selector compares (default: the dotted path's value) */
  fieldValue?(obj: KObject, field: string): string | undefined
  /**
   * CheckGracefulDelete: the grace period a DELETE gives this object (0: at once). Pods on a node
   * terminate gracefully; their kubelet removes them.
   */
  deleteGracePeriod?(obj: KObject, requested: number | undefined): number
  /** a DELETE answers with the object rather than a Status (pods) */
  returnsDeletedObject?: boolean
  /** DELETE only marks it (namespaces: Terminating until their controller emptied them) */
  markOnDelete?(marked: KObject): void
  /**
   * ShouldDeleteDuringUpdate beyond metadata.finalizers: whether a deleted object without them
   * goes (namespaces: only once spec.finalizers is empty too)
   */
  finalized?(obj: KObject): boolean
  /**
   * The Go zero value's fields besides metadata, as encoding/json writes them (a watch BOOKMARK
   * is the kind's empty object carrying only a resourceVersion): `spec: {containers: null}`.
   */
  zeroValue?: Record<string, unknown>
  /** custom resources: decoding (pruning, defaults) by the CRD's schema instead of `model` */
  decode?(body: unknown): { value: unknown; error?: string; unknown: string[] }
  /**
   * custom resources: a list's x-kubernetes-list-type at this field path (names, `[]` for list
   * items): the map keys, 'set' or 'atomic'; undefined: not a list of the schema
   */
  listType?(names: string[]): string[] | 'set' | 'atomic' | undefined
  /** custom resources: the typed schema server-side apply checks against (typed.ts) */
  typedNode?(): TypedNode
  /** custom resources: whether the map at this path is x-kubernetes-map-type: atomic */
  atomicMap?(names: string[]): boolean
}

/** A resource with the defaults most kinds share. */
export function resource(
  group: string,
  version: string,
  plural: string,
  kind: string,
  extra: Partial<ResourceType> = {}
): ResourceType {
  return {
    group,
    version,
    resource: plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    subresources: [],
    generation: false,
    statusSubresource: false,
    model: `V1${kind}`,
    unconditionalUpdate: true,
    ...extra
  }
}
