/**
 * ingress-host: the canary gets its own Service and an Ingress rule for `canary-host`
 * (e.g. canary.example.com), so people can try it on purpose; the stable Ingress is not touched.
 */
import { apply } from '../../k8s/objects.js'
import { canaryHostIngress } from './exposure.js'
import { exposedService, readStableExposure, withIngress } from './ingress.js'

export const ingressHost = withIngress({
  async prepare(run, stables) {
    await readStableExposure(run, stables)
  },
  async expose(run, stables) {
    const host = run.settings.canary.host
    if (!host) throw new Error('the ingress-host strategy needs canary-host')
    const stable = await readStableExposure(run, stables)
    const service = await apply(run.cluster, exposedService(run, stable))
    const ingress = await apply(
      run.cluster,
      canaryHostIngress(run.settings, service, host, stable.ingress)
    )
    const scheme = ingress.spec?.tls?.length ? 'https' : 'http'
    run.report.facts.push(['canary url', `${scheme}://${host}`])
    return `Service ${service.metadata?.name}, Ingress ${ingress.metadata?.name}: ${scheme}://${host}`
  }
})
