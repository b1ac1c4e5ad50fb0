/** networking.k8s.io/v1 ingresses: generation on spec changes, status subresource. */
import { resource } from './strategy.js'

export const ingresses = resource('networking.k8s.io', 'v1', 'ingresses', 'Ingress', {
  shortNames: ['ing'],
  subresources: ['status'],
  generation: true,
  statusSubresource: true,
  zeroValue: { spec: {}, status: { loadBalancer: {} } }
})
