/**
 * Secret values read from manifests: masked in the log the moment they are read, and cut out of
 * any error text that could quote them (a server's validation message, a parse error). What diff
 * shows of a Secret is its key names and short keyed hashes (k8s/object-diff.ts), never a value.
 */
import type { KubernetesObject } from '@kubernetes/client-node'
import type { Logger } from '../logger.js'

export class SecretValues {
  private readonly values = new Set<string>()
  constructor(private readonly logger: Logger) {}

  collect(objects: KubernetesObject[]): void {
    for (const object of objects) {
      if (object.kind !== 'Secret') continue
      const { data, stringData } = object as { data?: unknown; stringData?: unknown }
      for (const [encoding, map] of [
        ['base64', data],
        ['utf8', stringData]
      ] as const) {
        if (typeof map !== 'object' || map === null) continue
        for (const value of Object.values(map)) {
          if (typeof value !== 'string' || value.length < 3) continue
          const plain =
            encoding === 'base64' ? Buffer.from(value, 'base64').toString('utf8') : value
          const encoded = encoding === 'base64' ? value : Buffer.from(value).toString('base64')
          for (const form of [plain, encoded]) {
            if (form.length >= 3 && !this.values.has(form)) {
              this.values.add(form)
              this.logger.mask(form)
            }
          }
        }
      }
    }
  }

  scrub(text: string): string {
    let result = text
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      result = result.split(value).join('***')
    }
    return result
  }
}
