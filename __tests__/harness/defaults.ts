/**
 * Defaulting, as kube-apiserver fills fields on every write (pkg/apis/{core,apps,batch}/v1/defaults.go),
 * limited to the fields a reader of our kinds sees.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#defaulting
 */
import { isRecord, type KObject } from './types.js'

type Rec = Record<string, unknown>

function rec(parent: Rec, key: string): Rec {
  const v = parent[key]
  if (isRecord(v)) return v
  const created: Rec = {}
  parent[key] = created
  return created
}

function setDefault(o: Rec, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value
}

function imagePullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent'
  if (image.includes('@')) return 'IfNotPresent'
  const last = image.split('/').pop() ?? ''
  const tag = last.includes(':') ? last.split(':').pop() : undefined
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent'
}

function defaultProbe(p: unknown): void {
  if (!isRecord(p)) return
  setDefault(p, 'timeoutSeconds', 1)
  setDefault(p, 'periodSeconds', 10)
  setDefault(p, 'successThreshold', 1)
  setDefault(p, 'failureThreshold', 3)
  if (isRecord(p.httpGet)) setDefault(p.httpGet, 'scheme', 'HTTP')
}

function defaultContainer(c: unknown): void {
  if (!isRecord(c)) return
  setDefault(c, 'imagePullPolicy', imagePullPolicy(c.image))
  setDefault(c, 'terminationMessagePath', '/dev/termination-log')
  setDefault(c, 'terminationMessagePolicy', 'File')
  setDefault(c, 'resources', {})
  if (Array.isArray(c.ports))
    for (const p of c.ports) if (isRecord(p)) setDefault(p, 'protocol', 'TCP')
  defaultProbe(c.readinessProbe)
  defaultProbe(c.livenessProbe)
  defaultProbe(c.startupProbe)
}

export function defaultPodSpec(spec: Rec, restartPolicy: boolean): void {
  if (restartPolicy) setDefault(spec, 'restartPolicy', 'Always')
  setDefault(spec, 'terminationGracePeriodSeconds', 30)
  setDefault(spec, 'dnsPolicy', 'ClusterFirst')
  setDefault(spec, 'securityContext', {})
  setDefault(spec, 'schedulerName', 'default-scheduler')
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list]
    if (Array.isArray(cs)) cs.forEach(defaultContainer)
  }
}

function defaultTemplate(spec: Rec, restartPolicy: boolean): void {
  const template = rec(spec, 'template')
  rec(template, 'metadata')
  defaultPodSpec(rec(template, 'spec'), restartPolicy)
}

/** Fills defaults in place for the object's kind. */
export function applyDefaults(obj: KObject): void {
  const spec = isRecord(obj.spec) ? obj.spec : undefined
  switch (obj.kind) {
    case 'Pod':
      if (spec) defaultPodSpec(spec, true)
      break
    case 'Deployment':
      if (!spec) return
      setDefault(spec, 'replicas', 1)
      setDefault(spec, 'revisionHistoryLimit', 10)
      setDefault(spec, 'progressDeadlineSeconds', 600)
      {
        const strategy = rec(spec, 'strategy')
        setDefault(strategy, 'type', 'RollingUpdate')
        if (strategy.type === 'RollingUpdate') {
          const ru = rec(strategy, 'rollingUpdate')
          setDefault(ru, 'maxSurge', '25%')
          setDefault(ru, 'maxUnavailable', '25%')
        }
      }
      defaultTemplate(spec, true)
      break
    case 'ReplicaSet':
      if (!spec) return
      setDefault(spec, 'replicas', 1)
      defaultTemplate(spec, true)
      break
    case 'Job':
      if (!spec) return
      setDefault(spec, 'parallelism', 1)
      setDefault(spec, 'completions', 1)
      setDefault(spec, 'backoffLimit', 6)
      setDefault(spec, 'completionMode', 'NonIndexed')
      setDefault(spec, 'suspend', false)
      setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed')
      // A Job's pod template keeps the restartPolicy it was given: validation requires Never/OnFailure.
      defaultTemplate(spec, false)
      break
    case 'Service':
      if (!spec) return
      setDefault(spec, 'type', 'ClusterIP')
      setDefault(spec, 'sessionAffinity', 'None')
      setDefault(spec, 'internalTrafficPolicy', 'Cluster')
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack')
      setDefault(spec, 'ipFamilies', ['IPv4'])
      if (Array.isArray(spec.ports)) {
        for (const p of spec.ports) {
          if (!isRecord(p)) continue
          setDefault(p, 'protocol', 'TCP')
          setDefault(p, 'targetPort', p.port)
        }
      }
      break
    case 'Namespace':
      setDefault(rec(obj, 'spec'), 'finalizers', ['kubernetes'])
      obj.metadata.labels = {
        ...obj.metadata.labels,
        'kubernetes.io/metadata.name': obj.metadata.name ?? ''
      }
      break
    case 'Secret':
      setDefault(obj, 'type', 'Opaque')
      if (isRecord(obj.stringData)) {
        const data = rec(obj, 'data')
        for (const [k, v] of Object.entries(obj.stringData))
          data[k] = Buffer.from(String(v)).toString('base64')
        delete obj.stringData
      }
      break
  }
}
