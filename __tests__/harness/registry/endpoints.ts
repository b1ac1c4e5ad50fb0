/** core/v1 endpoints: deprecated since v1.33, every request says so (recording 33). */
import { resource } from './strategy.js'
import { isRecord, type KObject } from '../types.js'
import { AGE, NAME, age } from '../table.js'

export const endpoints = resource('', 'v1', 'endpoints', 'Endpoints', {
  shortNames: ['ep'],
  singular: 'endpoints',
  warnings: ['v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice'],
  table: {
    columns: [
      NAME,
      { name: 'Endpoints', type: 'string', description: 'Endpoints of the service' },
      AGE
    ],
    cells(o: KObject, now: number) {
      const all: string[] = []
      for (const ss of Array.isArray(o.subsets) ? o.subsets.filter(isRecord) : []) {
        const ports = Array.isArray(ss.ports) ? ss.ports.filter(isRecord) : []
        for (const a of Array.isArray(ss.addresses) ? ss.addresses.filter(isRecord) : []) {
          if (ports.length === 0) all.push(String(a.ip))
          for (const p of ports) all.push(`${String(a.ip)}:${String(p.port)}`)
        }
      }
      const shown =
        all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',')
      return [o.metadata.name, shown || '<none>', age(o, now)]
    }
  }
})
