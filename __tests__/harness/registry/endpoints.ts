/** core/v1 endpoints: deprecated since v1.33, every request says so (recording 33). */
import { resource } from './strategy.js'

export const endpoints = resource('', 'v1', 'endpoints', 'Endpoints', {
  shortNames: ['ep'],
  singular: 'endpoints',
  warnings: ['v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice']
})
