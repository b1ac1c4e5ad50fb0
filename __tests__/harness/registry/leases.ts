/** coordination.k8s.io/v1 leases: the lease strategy's AllowUnconditionalUpdate() is false (recording 50). */
import { simpleTable } from '../table.js'
import { isRecord } from '../types.js'
import { resource } from './strategy.js'

export const leases = resource('coordination.k8s.io', 'v1', 'leases', 'Lease', {
  zeroValue: { spec: {} },
  unconditionalUpdate: false,
  table: simpleTable(
    { name: 'Holder', type: 'string', description: 'The holder of the lease.' },
    o => (isRecord(o.spec) ? (o.spec.holderIdentity ?? '') : '')
  )
})
