/** coordination.k8s.io/v1 leases: the lease strategy's AllowUnconditionalUpdate() is false (recording 50). */
import { resource } from './strategy.js'

export const leases = resource('coordination.k8s.io', 'v1', 'leases', 'Lease', {
  unconditionalUpdate: false
})
