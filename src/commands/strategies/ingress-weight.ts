/**
 * ingress-weight: an NGINX Ingress canary beside the stable Ingress, taking `canary-weight`
 * percent of its traffic, or moving through `steps` one at a time with the smoke checks re-run
 * after each and `step-interval` between them.
 */
import { apply, mergePatch } from '../../k8s/objects.js'
import { NGINX_CANARY_WEIGHT, weightedIngress } from './exposure.js'
import { exposedService, readStableExposure, withIngress } from './ingress.js'
import type { StrategyRun } from './types.js'

export const ingressWeight = withIngress({
  async prepare(run, stables) {
    const stable = await readStableExposure(run, stables)
    if (!stable.ingress) {
      throw new Error(
        `no Ingress routes to Service ${stable.service.metadata?.name}: the ingress-weight strategy puts an NGINX canary Ingress beside it`
      )
    }
  },
  async expose(run, stables, recheck) {
    const stable = await readStableExposure(run, stables)
    if (!stable.ingress) throw new Error('the stable Ingress disappeared')
    const weights = run.settings.canary.steps.length
      ? run.settings.canary.steps
      : [run.settings.canary.weight]
    const service = await apply(run.cluster, exposedService(run, stable))
    const ingress = await apply(
      run.cluster,
      weightedIngress(
        run.settings,
        service,
        stable.ingress,
        stable.service.metadata?.name ?? '',
        weights[0]
      )
    )
    const name = ingress.metadata?.name ?? ''
    run.logger.info(`Ingress ${name}: ${weights[0]}% of ${stable.ingress.metadata?.name}'s traffic`)
    for (const weight of weights.slice(1)) {
      await sleep(run.settings.canary.stepIntervalMs, run.signal)
      await setWeight(run, name, weight)
      run.logger.info(`Ingress ${name}: ${weight}%`)
      try {
        await recheck()
      } catch (error) {
        throw new Error(
          `at ${weight}% (steps ${weights.join(',')}): ${error instanceof Error ? error.message : error}`
        )
      }
    }
    return `Service ${service.metadata?.name}, Ingress ${name} at ${weights[weights.length - 1]}%`
  }
})

/** One merge PATCH of the weight annotation: nothing else on the Ingress changes. */
async function setWeight(run: StrategyRun, name: string, weight: number): Promise<void> {
  const { cluster } = run
  await mergePatch(
    cluster,
    { kind: 'Ingress', name },
    { metadata: { annotations: { [NGINX_CANARY_WEIGHT]: String(weight) } } }
  )
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled between weight steps'))
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(new Error('cancelled between weight steps'))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
