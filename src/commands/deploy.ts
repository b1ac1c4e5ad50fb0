/**
 * deploy (every push): build + push the image -> migration Job, once -> the release Deployment
 * beside each stable one -> judged (smoke checks) -> exposed, step by step, judged after each ->
 * a summary that says how to promote. Nothing here touches a stable Deployment; a failure removes
 * what this run added (rollback-on-failure).
 */
import { skipStage } from '../github/report.js'
import { waitForRollout } from '../k8s/wait.js'
import { sleep } from '../k8s/retry.js'
import { carryOut, type CarryOutOptions } from '../release/execute.js'
import { releaseManifests, releaseTemplates } from '../release/manifests.js'
import { observeMigration, preflightMigration } from '../release/migration.js'
import { planDeploy } from '../release/plan.js'
import { clusterReads } from '../release/reads.js'
import { strategyFor } from '../release/strategies.js'
import type { Planner } from '../release/types.js'
import { errorMessage } from './errors.js'
import { placeFacts, runFrame, type Frame } from './frame.js'
import { prepareImage, type PreparedImage } from './image.js'
import { deployAnalyses, judgeCanary } from './judge.js'
import { migrate } from './migrate.js'
import { promoteInstructions, readStables, releaseOf } from './release.js'
import type { Session } from './session.js'
import type { CommandHandler } from './types.js'

export const deploy: CommandHandler = (settings, context) =>
  runFrame(
    settings,
    context,
    {
      title: `Deploy ${settings.app} ${settings.version}`,
      facts: [
        ...placeFacts(settings),
        ['version', settings.version],
        ['deployments', settings.deployments.join(', ')],
        ['strategy', settings.strategy]
      ],
      failed: { version: settings.version }
    },
    async frame => {
      const { stage, report, logger } = frame
      // Before the first write (the deployment record, the Lease): an input the builder cannot
      // honour is refused here, having cost nothing.
      const source: PreparedImage = settings.image.build
        ? await stage('builder', async detail => {
            const prepared = await prepareImage(settings, context)
            detail(prepared.detail ?? '')
            return prepared
          })
        : await prepareImage(settings, context)
      const session = await frame.session()
      const { cluster } = session
      const strategy = strategyFor(settings.strategy)
      // Only reads until the lock: a wrong Deployment name or a strategy's refusal writes nothing
      // anywhere, not a GitHub deployment record, not a Lease.
      const stables = await stage('read stable', async detail => {
        const found = await readStables(clusterReads(cluster, settings), settings)
        detail(found.map(d => `${d.metadata?.name}@${d.metadata?.resourceVersion}`).join(', '))
        return found
      })
      // With manifests, the release is derived from them; without, from the live stable Deployments.
      const templates = releaseTemplates(stables, releaseManifests(settings))
      const checked = await strategy.observe(clusterReads(cluster, settings), stables)
      checked.preflight(message => logger.warning(message))
      preflightMigration(settings, await observeMigration(clusterReads(cluster, settings)))

      const tracked = await frame.track(
        `${settings.github.environment}-canary`,
        `canary ${settings.version}`
      )
      await session.lock()
      // Planned from what is there once the lock is held: another run may have written meanwhile.
      const reads = clusterReads(cluster, settings)
      const planner = await strategy.observe(reads, stables)
      planner.preflight(() => undefined)
      const migrated = await observeMigration(reads)

      const image = await stage(settings.image.build ? 'build' : 'resolve image', async detail => {
        const built = await source.produce()
        detail(built.detail)
        return built
      })
      report.facts.push(['image', image.imageRef], ['digest', image.digest])
      const ctx = { settings, release: releaseOf(settings, image), stables, templates }
      const plan = planDeploy(planner, ctx, migrated)
      if (plan.live.length > 0) {
        // Promoted already (rainbow): the release is stable's now; deploy writes nothing of it.
        const live = `${plan.live.join(', ')} already live`
        skipStage(report, 'canary', `${live}: not written again`)
        report.facts.push(['canary', `none: ${live}`])
        report.status = 'no-op'
        await tracked.finish('success', { description: `${settings.version} is already live` })
        return {
          version: settings.version,
          image: image.imageRef,
          digest: image.digest,
          ...(image.imageId ? { imageid: image.imageId } : {}),
          ...(image.metadata ? { metadata: image.metadata } : {})
        }
      }

      const { migration } = settings
      if (plan.migration && migration) {
        const planned = plan.migration
        const outcome = await stage('migrate', async detail => {
          const result = await migrate(cluster, planned, migration, logger, session.signal)
          detail(result)
          return result
        })
        report.facts.push(['migration', outcome])
      } else {
        skipStage(report, 'migrate', 'no migrate-command')
      }

      const applied: string[] = []
      frame.onFailure(() => takeBack(frame, session, planner, applied))
      await stage('canary', async detail => {
        for (const write of plan.releaseDeployments) {
          // Recorded before the write: one that lands but whose answer is lost, or a kill right
          // after it, must still be taken back (discarding a release never written is harmless).
          applied.push(write.ref.name)
          context.checkpoint?.({ applied: [...applied] })
          await carryOut(cluster, [write], { logger })
        }
        await Promise.all(
          applied.map(name =>
            waitForRollout(cluster, name, {
              timeoutMs: settings.timeoutMs,
              logger,
              signal: session.signal
            })
          )
        )
        detail(`${applied.join(', ')} available, ${settings.canary.replicas} replica(s) each`)
      })

      await session.phase('smoke', applied)
      // The metric analysis runs where the canary has traffic to judge: after each weight step
      // when only those steps send it traffic, else once, after the smoke checks.
      const weighted = plan.steps.some(step => step.weight !== undefined)
      const analyses = settings.analysis
        ? deployAnalyses(frame, session, strategy, {
            release: applied[0],
            stable: stables[0],
            digest: image.digest
          })
        : undefined
      const analyse = async (detail: (text: string) => void, where = ''): Promise<void> => {
        if (!analyses) return
        const result = await analyses.analyse(where.replace(/: $/, ''))
        detail(`${result.verdict}: ${result.rounds.length} of ${result.plannedRounds} round(s)`)
        if (result.verdict === 'failed') {
          throw new Error(`${where}metric analysis failed: ${result.reason}`)
        }
      }
      // The hook between weight steps: the smoke checks, then the metric analysis.
      const judge = async (
        detail: (text: string) => void,
        where = '',
        analysed = weighted
      ): Promise<void> => {
        const judged = await judgeCanary(frame, session, strategy, applied[0])
        detail(judged.detail)
        if (!judged.ok) throw new Error(`${where}smoke check failed: ${judged.failure}`)
        if (analysed) await analyse(detail, where)
      }
      await stage('smoke', detail => judge(detail, '', false))
      if (analyses && !weighted) await stage('analysis', detail => analyse(detail))

      const exposure = planner.exposure(ctx)
      if (plan.steps.length > 0 || exposure) {
        await stage('expose', async detail => {
          const writing: CarryOutOptions = {
            logger,
            after: async (_write, done) => {
              if (done.object) await planner.verify?.(cluster, done.object, session.signal)
            }
          }
          const weights = plan.steps.map(step => step.weight).join(',')
          for (const [index, step] of plan.steps.entries()) {
            if (index > 0) await sleep(settings.canary.stepIntervalMs, session.signal)
            await carryOut(cluster, step.writes, writing)
            if (index > 0 || (analyses && weighted)) {
              await judge(() => undefined, `at ${step.weight}% (steps ${weights}): `)
            }
          }
          if (exposure) detail(exposure.detail)
          report.facts.push(...(exposure?.facts ?? []))
        })
      }

      await session.phase('ready', applied)
      report.facts.push(['canary', applied.join(', ')])
      report.next = {
        title: 'Promote or roll back',
        markdown: promoteInstructions(settings, image.digest)
      }
      const analysed = analyses?.recorded
      if (analysed) {
        report.facts.push(['metric analysis', `${analysed.verdict}: ${analysed.reason}`])
        if (analysed.verdict === 'inconclusive') {
          report.next.markdown = `**The metric analysis was inconclusive**: promote takes this canary only with \`accept-inconclusive: true\`, the approver's decision.\n\n${report.next.markdown}`
        }
      }
      await tracked.finish('success', { description: `canary ${settings.version} is live` })
      return {
        version: settings.version,
        image: image.imageRef,
        digest: image.digest,
        ...(image.imageId ? { imageid: image.imageId } : {}),
        ...(image.metadata ? { metadata: image.metadata } : {}),
        canary: applied.join(',')
      }
    }
  )

/** A failed deploy: removes what it added (rollback-on-failure), or keeps it marked failed. */
async function takeBack(
  frame: Frame,
  session: Session,
  planner: Planner,
  applied: string[]
): Promise<void> {
  const { settings, report, logger, context } = frame
  if (applied.length === 0) return
  if (!settings.rollbackOnFailure) {
    await session.phase('failed', applied)
    report.facts.push(['canary', 'kept for inspection (rollback-on-failure: false)'])
    return
  }
  try {
    await frame.stage('rollback', async detail => {
      // Not tied to the run's signal: a cancelled run must still take its release back.
      const removed = await carryOut(session.cluster, planner.discard(), { logger })
      detail(removed.length > 0 ? removed.join('; ') : 'no canary to delete')
    })
    report.facts.push(['canary', 'removed (rollback-on-failure)'])
    context.checkpoint?.({ applied: [] })
  } catch (error) {
    report.facts.push(['canary', `could NOT be removed: ${errorMessage(error)}`])
  }
}
