/**
 * promote (a maintainer's workflow_dispatch): the approved canary, bound to its version and image
 * digest, becomes stable. Every check runs before the first write; a refusal changes nothing. The
 * promote plan is applied with the inverse of each write kept: a promotion that fails is put back,
 * so web and worker never end on different releases. Its GitHub deployment record is the one the
 * workflow job's `environment:` makes; this command adds none of its own.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { ANNOTATION_DIGEST, ANNOTATION_VERSION, LABEL_TRACK, LABEL_VERSION } from '../k8s/labels.js'
import { rolloutStatus } from '../k8s/deployments.js'
import { waitForRollout } from '../k8s/wait.js'
import { carryOut, type CarryOutOptions } from '../release/execute.js'
import { releaseManifests, releaseTemplates } from '../release/manifests.js'
import { planPromote } from '../release/plan.js'
import { clusterReads, type Reads } from '../release/reads.js'
import { strategyFor } from '../release/strategies.js'
import type { Strategy } from '../release/types.js'
import { putBack, UndoLog } from '../release/undo.js'
import type { Settings } from '../settings.js'
import { judgePromotion, recordedVerdict } from './analysis-verdict.js'
import { checkApproval } from './approval.js'
import { Refusal } from './errors.js'
import { placeFacts, runFrame, type Frame } from './frame.js'
import { judgeCanary } from './judge.js'
import { imageOf, readStables, releaseOf } from './release.js'
import type { Session } from './session.js'
import type { CommandHandler } from './types.js'

/** A smoke result older than this (a long wait for the lock) is checked again before promoting. */
const SMOKE_FRESH_MS = 5_000

export const promote: CommandHandler = (settings, context) =>
  runFrame(
    settings,
    context,
    {
      title: `Promote ${settings.app} ${settings.version}`,
      facts: [...placeFacts(settings), ['version', settings.version]],
      failed: { version: '' }
    },
    async frame => {
      const { stage, report, logger } = frame
      // Checks, cheapest first. Nothing below writes until every one of them has passed.
      const approver = await stage('approval', async detail => {
        const approval = await checkApproval(settings, logger)
        detail(approval.reason)
        return approval.actor
      })
      report.facts.push(['approved by', approver])

      const session = await frame.session()
      const { cluster } = session
      const strategy = strategyFor(settings.strategy)
      const reads = clusterReads(cluster, settings)
      const { stables, canaries, digest, imageRef } = await stage('check canary', async detail => {
        const checked = await checkCanaries(reads, strategy, settings)
        detail(`${checked.canaries.map(c => c.metadata?.name).join(', ')} run ${checked.digest}`)
        return checked
      })
      report.facts.push(['digest', digest], ['image', imageRef])
      const analysis = checkAnalysis(canaries[0], settings, approver)
      if (analysis.recorded || settings.analysis)
        report.facts.push(['metric analysis', analysis.fact])
      if (analysis.acceptedInconclusive) logger.warning(`metric analysis: ${analysis.fact}`)

      const smoke = async (detail: (text: string) => void): Promise<void> => {
        const judged = await judgeCanary(frame, session, strategy, canaries[0].metadata?.name ?? '')
        detail(judged.detail)
        if (!judged.ok) throw new Refusal(`the canary is not healthy right now: ${judged.failure}`)
      }
      await stage('smoke', smoke)

      // Every check passed without a write. Lock, then make sure the canary did not change meanwhile.
      const waitedFrom = Date.now()
      await session.lock()
      await stage('recheck canary', async detail => {
        const again = await checkCanaries(reads, strategy, settings)
        if (again.digest !== digest)
          throw new Refusal(`the canary changed to ${again.digest} while this run checked it`)
        // A deploy of the same image may have analysed it again meanwhile.
        checkAnalysis(again.canaries[0], settings, approver)
        detail('unchanged')
      })
      // "Healthy right now" must still be true when the writes start, not as of before a lock wait.
      if (Date.now() - waitedFrom > SMOKE_FRESH_MS) await stage('smoke again', smoke)

      const planner = await strategy.observe(clusterReads(cluster, settings), stables)
      const manifests = releaseManifests(settings, imageRef)
      const plan = planPromote(planner, {
        settings,
        release: releaseOf(settings, { imageRef, digest }),
        stables,
        templates: releaseTemplates(stables, manifests),
        releases: canaries,
        approver,
        at: new Date().toISOString(),
        manifests
      })

      // The writes: the manifests' objects, then stable becomes the release and traffic follows.
      await session.phase(
        'promoting',
        canaries.map(c => c.metadata?.name ?? '')
      )
      // Before every write, the step state says how to put it back (the post step of a killed run
      // finishes the restore from it); cleared only once the promotion succeeded or was put back.
      const promoting = settings.deployments
      const undo = new UndoLog(cluster, kept => context.checkpoint?.({ promoting, undo: kept }))
      context.checkpoint?.({ promoting, undo: [] })
      let underWay = true
      frame.onFailure(async () => {
        if (!underWay) return
        await restore(frame, session, undo)
        context.checkpoint?.({ promoting: [], undo: [] })
      })
      if (plan.manifests.length > 0) {
        await stage('apply manifests', async detail => {
          await carryOut(cluster, plan.manifests, { logger, undo })
          detail(`${plan.manifests.length} object(s)`)
        })
      }
      const promoted = await stage('promote', async detail => {
        const said = await carryOut(cluster, plan.promote, {
          logger,
          undo,
          after: rollouts(session, frame)
        })
        detail(`${canaries.map(c => c.metadata?.name).join(', ')} on ${settings.version}`)
        return said
      })
      report.sections.push({
        title: 'Promotion',
        body: ['| what changed |', '| --- |', ...promoted.map(line => `| ${line} |`)].join('\n')
      })
      underWay = false
      context.checkpoint?.({ promoting: [], undo: [] })

      await stage('remove canary', async detail => {
        const removed = await carryOut(cluster, plan.retire, { logger })
        detail(removed.join('; ') || 'nothing to remove')
      })
      return { version: settings.version, image: imageRef, digest }
    }
  )

/** After each stable Deployment takes the release: its rollout, waited for. */
function rollouts(session: Session, frame: Frame): CarryOutOptions['after'] {
  return async write => {
    if (!write.rollout) return
    await waitForRollout(session.cluster, write.ref.name, {
      timeoutMs: frame.settings.timeoutMs,
      logger: frame.logger,
      signal: session.signal,
      since: Date.now()
    })
  }
}

/**
 * A failed promotion: every write it made is put back, newest first (the stable Deployments, each
 * rollout waited for; the manifests' objects; the Service selector), so web and worker never end on
 * different releases. What could not be put back is said, not hidden.
 */
async function restore(frame: Frame, session: Session, undo: UndoLog): Promise<void> {
  const { settings, report, logger } = frame
  await frame.stage('restore', async detail => {
    const { restored, failed } = await putBack(session.cluster, undo.pending(), {
      logger,
      timeoutMs: settings.timeoutMs,
      onPutBack: entry => undo.putBack(entry)
    })
    detail(
      `restored ${restored.join(', ') || 'nothing'}; canary kept` +
        (failed.length ? `; NOT restored: ${failed.length}` : '')
    )
    if (failed.length > 0) {
      report.sections.push({
        title: 'NOT restored: needs a person',
        body: failed.map(f => `- ${f}`).join('\n')
      })
    }
  })
  report.facts.push(['canary', 'kept: promotion failed'])
}

/** Each canary exists, is available, and runs exactly the version (and digest) being approved. */
async function checkCanaries(reads: Reads, strategy: Strategy, settings: Settings) {
  const stables = await readStables(reads, settings)
  const canaries: V1Deployment[] = []
  let digest = ''
  let imageRef = ''
  for (const stable of stables) {
    const stableName = stable.metadata?.name ?? ''
    const canary = await strategy.find(reads, stableName)
    const name = canary?.metadata?.name ?? strategy.releaseName(stableName, settings)
    if (!canary)
      throw new Refusal(`there is no canary ${name} to promote: deploy ${settings.version} first`)
    const annotations = canary.metadata?.annotations ?? {}
    const version = canary.metadata?.labels?.[LABEL_VERSION] ?? annotations[ANNOTATION_VERSION]
    if (canary.metadata?.labels?.[LABEL_TRACK] !== 'canary')
      throw new Refusal(`${name} is not labelled as a canary`)
    if (version !== settings.version) {
      throw new Refusal(
        `${name} runs version ${version ?? '(none)'}, not ${settings.version}: the approval names another release`
      )
    }
    const canaryDigest = annotations[ANNOTATION_DIGEST] ?? ''
    if (settings.approval.digest && canaryDigest !== settings.approval.digest) {
      throw new Refusal(
        `${name} runs image ${canaryDigest || '(unknown digest)'}, not the approved ${settings.approval.digest}`
      )
    }
    const image = imageOf(canary, settings)
    if (!canaryDigest || !image.endsWith(`@${canaryDigest}`)) {
      throw new Refusal(
        `${name} runs ${image}, which does not match its recorded digest ${canaryDigest || '(none)'}`
      )
    }
    if (digest && canaryDigest !== digest)
      throw new Refusal(`the canaries run different images (${digest}, ${canaryDigest})`)
    const state = rolloutStatus(canary)
    if (!state.done) throw new Refusal(`${name} is not available: ${state.failed ?? state.message}`)
    digest = canaryDigest
    imageRef = image
    canaries.push(canary)
  }
  return { stables, canaries, digest, imageRef }
}

/**
 * The metric analysis deploy recorded on the judged canary: a failed or unfinished one is refused,
 * an inconclusive one unless the approver took it (accept-inconclusive). Returns the summary's fact.
 */
function checkAnalysis(
  canary: V1Deployment,
  settings: Settings,
  approver: string
): { fact: string; recorded: boolean; acceptedInconclusive?: boolean } {
  const recorded = recordedVerdict(canary)
  const decided = judgePromotion(
    canary.metadata?.name ?? '',
    recorded,
    settings.approval.acceptInconclusive,
    approver
  )
  if (!decided.ok) throw new Refusal(decided.refusal)
  return { ...decided, recorded: recorded !== undefined }
}
