/**
 * Wire shapes of the objects the test cluster stores: plain JSON as kube-apiserver sends it
 * (timestamps are RFC 3339 strings, not Dates). Only the fields the harness reads or writes are
 * named; everything else rides along untouched through the index signatures.
 */

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time?: string
  fieldsType: 'FieldsV1'
  fieldsV1: FieldsV1
  subresource?: string
}

export interface FieldsV1 {
  [key: string]: FieldsV1
}

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  deletionGracePeriodSeconds?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: OwnerReference[]
  finalizers?: string[]
  managedFields?: ManagedFieldsEntry[]
  [key: string]: unknown
}

export interface KObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  [key: string]: unknown
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: { key: string; operator: string; values?: string[] }[]
}

export interface EnvVar {
  name: string
  value?: string
  valueFrom?: {
    secretKeyRef?: { name?: string; key: string }
    configMapKeyRef?: { name?: string; key: string }
    [key: string]: unknown
  }
}

export interface EnvFromSource {
  secretRef?: { name?: string }
  configMapRef?: { name?: string }
  prefix?: string
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string; [key: string]: unknown }
  tcpSocket?: { port: number | string }
  exec?: { command?: string[] }
  [key: string]: unknown
}

export interface ContainerPort {
  name?: string
  containerPort: number
  protocol?: string
  [key: string]: unknown
}

export interface Container {
  name: string
  image?: string
  env?: EnvVar[]
  envFrom?: EnvFromSource[]
  ports?: ContainerPort[]
  readinessProbe?: Probe
  livenessProbe?: Probe
  [key: string]: unknown
}

export interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  restartPolicy?: string
  nodeName?: string
  [key: string]: unknown
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta
  spec?: PodSpec
}

export interface PodCondition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastProbeTime?: string | null
  lastTransitionTime?: string
}

export interface ContainerStateTerminated {
  exitCode: number
  reason?: string
  message?: string
  startedAt?: string
  finishedAt?: string
  containerID?: string
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string }
  running?: { startedAt?: string }
  terminated?: ContainerStateTerminated
}

export interface ContainerStatus {
  name: string
  image: string
  imageID: string
  containerID?: string
  ready: boolean
  started?: boolean
  restartCount: number
  state: ContainerState
  lastState: ContainerState
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'
  conditions?: PodCondition[]
  containerStatuses?: ContainerStatus[]
  hostIP?: string
  podIP?: string
  podIPs?: { ip: string }[]
  startTime?: string
  reason?: string
  message?: string
  qosClass?: string
}

export interface Pod extends KObject {
  spec: PodSpec
  status?: PodStatus
}

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastUpdateTime?: string
  lastTransitionTime?: string
  lastProbeTime?: string
}

export interface DeploymentSpec {
  replicas?: number
  selector: LabelSelector
  template: PodTemplateSpec
  strategy?: {
    type?: 'RollingUpdate' | 'Recreate'
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string }
  }
  minReadySeconds?: number
  revisionHistoryLimit?: number
  progressDeadlineSeconds?: number
  paused?: boolean
  [key: string]: unknown
}

export interface DeploymentStatus {
  observedGeneration?: number
  replicas?: number
  updatedReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  unavailableReplicas?: number
  terminatingReplicas?: number
  conditions?: Condition[]
  collisionCount?: number
}

export interface Deployment extends KObject {
  spec: DeploymentSpec
  status?: DeploymentStatus
}

export interface ReplicaSetStatus {
  replicas: number
  fullyLabeledReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  observedGeneration?: number
  terminatingReplicas?: number
}

export interface ReplicaSet extends KObject {
  spec: {
    replicas?: number
    selector: LabelSelector
    template: PodTemplateSpec
    minReadySeconds?: number
  }
  status?: ReplicaSetStatus
}

export interface JobSpec {
  parallelism?: number
  completions?: number
  backoffLimit?: number
  activeDeadlineSeconds?: number
  ttlSecondsAfterFinished?: number
  suspend?: boolean
  selector?: LabelSelector
  manualSelector?: boolean
  template: PodTemplateSpec
  [key: string]: unknown
}

export interface JobStatus {
  active?: number
  succeeded?: number
  failed?: number
  ready?: number
  terminating?: number
  startTime?: string
  completionTime?: string
  conditions?: Condition[]
  uncountedTerminatedPods?: Record<string, unknown>
}

export interface Job extends KObject {
  spec: JobSpec
  status?: JobStatus
}

export interface ServicePort {
  name?: string
  port: number
  targetPort?: number | string
  protocol?: string
  [key: string]: unknown
}

export interface Service extends KObject {
  spec: { selector?: Record<string, string>; ports?: ServicePort[]; [key: string]: unknown }
}

export interface ObjectReference {
  kind?: string
  namespace?: string
  name?: string
  uid?: string
  apiVersion?: string
  resourceVersion?: string
  fieldPath?: string
}

export interface CoreEvent extends KObject {
  involvedObject: ObjectReference
  reason?: string
  message?: string
  type?: 'Normal' | 'Warning'
  count?: number
  firstTimestamp?: string
  lastTimestamp?: string
  source?: { component?: string; host?: string }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Deep copy of JSON data; stored objects never share structure with callers. */
export function clone<T>(v: T): T {
  return structuredClone(v)
}

export function now(): string {
  // Kubernetes timestamps have second precision (metav1.Time).
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}
