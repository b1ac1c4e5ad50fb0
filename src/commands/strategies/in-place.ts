/**
 * Promotion in place (replicas, ingress-host, ingress-weight): the approved image goes onto each
 * stable Deployment, one after another, each waited for. A stable rollout that fails is put back,
 * so web and worker never end on different releases.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { timeStage } from '../../github/report.js'
import { apply, replace } from '../../k8s/objects.js'
import type { Cluster } from '../../k8s/client.js'
import {
  promotedFromManifest,
  promotedStable,
  targetContainer,
  type Release
} from '../../k8s/render.js'
import { waitForRollout } from '../../k8s/wait.js'
import type { Settings } from '../../settings.js'
import { errorMessage } from '../release.js'
import { PromotionFailed, type Promotion, type StrategyRun } from './types.js'

export async function promoteInPlace(
  run: StrategyRun,
  stables: V1Deployment[],
  release: Release,
  approver: string
): Promise<Promotion> {
  const { cluster, settings, logger } = run
  const promoted: V1Deployment[] = []
  const imageRows: string[] = []
  try {
    for (const stable of stables) {
      const name = stable.metadata?.name ?? ''
      const before = imageOf(stable, settings)
      promoted.push(stable)
      const manifest = run.manifests?.deployments.get(name)
      const body = manifest
        ? promotedFromManifest(manifest, release, approver)
        : promotedStable(stable, release, approver)
      await apply(cluster, body, { force: true })
      await waitForRollout(cluster, name, {
        timeoutMs: settings.timeoutMs,
        logger,
        signal: run.signal,
        since: Date.now()
      })
      imageRows.push(`| ${name} | \`${before}\` | \`${release.imageRef}\` |`)
      logger.info(`${name}: now runs ${release.imageRef}`)
    }
  } catch (error) {
    throw new PromotionFailed(error, () => restore(run, promoted))
  }
  return {
    detail: `${stables.map(s => s.metadata?.name).join(', ')} on ${settings.version}`,
    section: {
      title: 'Stable Deployments',
      body: [
        '| Deployment | image before | image after |',
        '| --- | --- | --- |',
        ...imageRows
      ].join('\n')
    }
  }
}

export function imageOf(deployment: V1Deployment, settings: Settings): string {
  const spec = deployment.spec?.template.spec ?? { containers: [] }
  return (
    targetContainer(spec, settings.container, `Deployment ${deployment.metadata?.name}`).image ?? ''
  )
}

/**
 * Puts Deployments back to the pod template they had before this run: the one that failed always,
 * the ones already promoted too when rollback-on-failure is set, so no two run different releases.
 */
async function restore(run: StrategyRun, touched: V1Deployment[]): Promise<void> {
  const { cluster, settings, logger, report } = run
  const failedOne = touched[touched.length - 1]
  const toRestore = settings.rollbackOnFailure
    ? [...touched].reverse()
    : failedOne
      ? [failedOne]
      : []
  const kept = settings.rollbackOnFailure ? [] : touched.slice(0, -1).map(d => d.metadata?.name)
  await logger.group('restore', () =>
    timeStage(report, 'restore', async stage => {
      const restored: string[] = []
      const failures: string[] = []
      // Best effort, every one of them: one Deployment that cannot be put back must not stop the rest.
      for (const before of toRestore) {
        const name = before.metadata?.name ?? ''
        try {
          await putBack(cluster, before)
          // Not tied to the run's abort signal: a cancelled run must still finish putting stable back.
          await waitForRollout(cluster, name, {
            timeoutMs: settings.timeoutMs,
            logger,
            since: Date.now()
          })
          restored.push(name)
          logger.info(`${name}: restored to ${imageOf(before, settings)}`)
        } catch (error) {
          failures.push(`${name}: ${errorMessage(error)}`)
          logger.warning(`${name} could not be restored: ${errorMessage(error)}`)
        }
      }
      stage.detail = `restored ${restored.join(', ') || 'nothing'}${kept.length ? `; still promoted: ${kept.join(', ')}` : ''}; canary kept`
      if (failures.length > 0) {
        report.sections.push({
          title: 'NOT restored: needs a person',
          body: failures.map(f => `- ${f}`).join('\n')
        })
        stage.detail += `; NOT restored: ${failures.length}`
      }
    })
  )
  report.facts.push(['canary', 'kept: promotion failed'])
}

/**
 * A PUT of the earlier pod template and annotations on the current object (its resourceVersion
 * guards the write), so a restored Deployment does not claim the release it no longer runs.
 */
async function putBack(cluster: Cluster, before: V1Deployment): Promise<void> {
  const name = before.metadata?.name ?? ''
  await replace<V1Deployment>(cluster, { kind: 'Deployment', name }, current => {
    if (!current.spec || !before.spec) throw new Error(`Deployment ${name} has no spec`)
    current.spec.template = before.spec.template
    current.metadata = { ...current.metadata, annotations: before.metadata?.annotations ?? {} }
    return current
  })
}
