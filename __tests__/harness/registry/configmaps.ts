/** core/v1 configmaps: data and binaryData, nothing else to default. */
import { resource } from './strategy.js'

export const configmaps = resource('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] })
