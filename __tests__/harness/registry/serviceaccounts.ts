/** core/v1 serviceaccounts. */
import { resource } from './strategy.js'

export const serviceaccounts = resource('', 'v1', 'serviceaccounts', 'ServiceAccount', {
  shortNames: ['sa']
})
