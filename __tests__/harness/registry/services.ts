/**
 * core/v1 services (pkg/registry/core/service): ClusterIP allocated on create and kept on update,
 * status.loadBalancer only for type LoadBalancer (recording 54), defaults of ports and IP families.
 */
import { forbidden, invalidValue, required, type FieldError } from '../status.js'
import { isRecord, type KObject } from '../types.js'
import { setDefault } from './podspec.js'
import { resource, type CreateContext } from './strategy.js'
import { AGE, NAME, age } from '../table.js'
import { selectorString } from './podspec.js'

export const services = resource('', 'v1', 'services', 'Service', {
  zeroValue: { spec: {}, status: { loadBalancer: {} } },
  shortNames: ['svc'],
  subresources: ['status', 'proxy'],
  statusSubresource: true,
  selectableFields: ['spec.clusterIP', 'spec.type'],
  prepareForCreate(obj: KObject, ctx: CreateContext) {
    obj.status = { loadBalancer: {} }
    const spec = isRecord(obj.spec) ? obj.spec : (obj.spec = {})
    if (spec.clusterIP === 'None') spec.clusterIPs = ['None']
    else if (typeof spec.clusterIP !== 'string' || !spec.clusterIP) {
      const ip = ctx.allocateClusterIP()
      spec.clusterIP = ip
      spec.clusterIPs = [ip]
    }
  },
  defaults(obj: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : undefined
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
  },
  /** patchAllocatedValues: a resubmitted Service keeps the ClusterIP it was given. */
  prepareForUpdate(next: KObject, old: KObject) {
    if (!isRecord(next.spec) || !isRecord(old.spec)) return
    if (next.spec.clusterIP === undefined || next.spec.clusterIP === '') {
      next.spec.clusterIP = old.spec.clusterIP
      next.spec.clusterIPs = old.spec.clusterIPs
    }
  },
  validate(obj: KObject, old?: KObject) {
    const errs: FieldError[] = []
    const spec = isRecord(obj.spec) ? obj.spec : undefined
    if (spec && Array.isArray(spec.ports)) {
      spec.ports.forEach((p, i) => {
        if (isRecord(p) && typeof p.port !== 'number') errs.push(required(`spec.ports[${i}].port`))
      })
    }
    const oldSpec = old && isRecord(old.spec) ? old.spec : undefined
    if (
      spec &&
      oldSpec?.clusterIP &&
      spec.clusterIP !== undefined &&
      spec.clusterIP !== oldSpec.clusterIP
    ) {
      errs.push(invalidValue('spec.clusterIPs[0]', spec.clusterIP, 'may not change once set'))
    }
    return errs
  },
  validateStatus(obj: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : {}
    const status = isRecord(obj.status) ? obj.status : {}
    const lb = isRecord(status.loadBalancer) ? status.loadBalancer : {}
    if (Array.isArray(lb.ingress) && lb.ingress.length > 0 && spec.type !== 'LoadBalancer') {
      return [
        forbidden(
          'status.loadBalancer.ingress',
          "may only be used when `spec.type` is 'LoadBalancer'"
        )
      ]
    }
    return []
  },
  table: {
    columns: [
      NAME,
      { name: 'Type', type: 'string', description: 'Type determines how the Service is exposed.' },
      {
        name: 'Cluster-IP',
        type: 'string',
        description: 'clusterIP is the IP address of the service and is usually assigned randomly.'
      },
      {
        name: 'External-IP',
        type: 'string',
        description:
          'List of IP addresses for which nodes in the cluster will also accept traffic for this service.'
      },
      {
        name: 'Port(s)',
        type: 'string',
        description: 'The list of ports that are exposed by this service.'
      },
      AGE,
      {
        name: 'Selector',
        type: 'string',
        priority: 1,
        description:
          'Route service traffic to pods with label keys and values matching this selector.'
      }
    ],
    cells(o: KObject, now: number) {
      const spec = isRecord(o.spec) ? o.spec : {}
      const ports = (Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : [])
        .map(
          p =>
            `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`
        )
        .join(',')
      const selector =
        isRecord(spec.selector) && Object.keys(spec.selector).length > 0
          ? selectorString({ matchLabels: spec.selector })
          : '<none>'
      return [
        o.metadata.name,
        spec.type ?? 'ClusterIP',
        spec.clusterIP ?? '<none>',
        '<none>',
        ports || '<none>',
        age(o, now),
        selector
      ]
    }
  }
})
