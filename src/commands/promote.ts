/**
 * promote (a maintainer's workflow_dispatch): the approved canary, bound to its version and image
 * digest, becomes stable. Every check runs before the first write; a refusal changes nothing. A
 * stable rollout that fails is put back, so web and worker never end on different releases.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { githubClient } from '../github/client.js'
import { readGitHubContext } from '../github/context.js'
import { checkApprover } from '../github/permissions.js'
import { codeBlock, newReport, type Report } from '../github/report.js'
import { ANNOTATION_DIGEST, ANNOTATION_VERSION, LABEL_TRACK } from '../k8s/labels.js'
import type { Release } from '../k8s/render.js'
import { rolloutStatus } from '../k8s/deployments.js'
import type { Settings } from '../settings.js'
import { trackDeployment } from './deployment-status.js'
import { applyOthers, releaseManifests } from './release-manifests.js'
import { openSession, type Session } from './session.js'
import { errorMessage, readStables, smokeCanary, sourceOf } from './release.js'
import { strategyFor, type ReleaseStrategy, type StrategyRun } from './strategies/index.js'
import { imageOf } from './strategies/in-place.js'
import { PromotionFailed } from './strategies/types.js'
import { stageRunner } from './stage.js'
import type { CommandContext, CommandHandler, CommandResult } from './types.js'

/** A smoke result older than this (a long wait for the lock) is checked again before promoting. */
const SMOKE_FRESH_MS = 5_000

/** Raised for a check that failed: the run is refused, nothing was written. */
export class Refusal extends Error {}

export const promote: CommandHandler = async (settings, context) => {
  const { logger } = context
  const report = newReport('promote', `Promote ${settings.app} ${settings.version}`)
  report.facts.push(
    ['app', settings.app],
    ['namespace', settings.cluster.namespace],
    ['version', settings.version]
  )
  const stage = stageRunner(report, logger)

  let session: Session | undefined
  try {
    // Checks, cheapest first. Nothing below writes until every one of them has passed.
    const approver = await stage('approval', async detail => {
      if (settings.approval.approve !== 'true') {
        throw new Refusal(
          `approve must be exactly "true" to promote (got ${settings.approval.approve ? JSON.stringify(settings.approval.approve) : 'nothing'})`
        )
      }
      const who = await checkActor(settings, context)
      detail(who.reason)
      return who.actor
    })
    report.facts.push(['approved by', approver])

    session = await openSession(settings, context, report)
    const live = session.cluster
    const { signal } = context
    const strategy = strategyFor(settings.strategy)
    const checkRun: StrategyRun = { cluster: live, settings, logger, signal, report }
    const { stables, canaries, digest, imageRef } = await stage('check canary', async detail => {
      const checked = await checkCanaries(checkRun, strategy)
      detail(`${checked.canaries.map(c => c.metadata?.name).join(', ')} run ${checked.digest}`)
      return checked
    })
    report.facts.push(['digest', digest], ['image', imageRef])

    const smoke = async (detail: (text: string) => void): Promise<void> => {
      const outcome = await smokeCanary(
        live,
        canaries[0],
        settings,
        logger,
        signal,
        strategy.podSelector(canaries[0])
      )
      report.sections.push({ title: 'Smoke checks', body: codeBlock(outcome.summary) })
      detail(`${outcome.results.filter(r => r.ok).length}/${outcome.results.length} passed`)
      if (!outcome.ok) {
        throw new Refusal(
          `the canary is not healthy right now: ${outcome.results.find(r => !r.ok)?.message}`
        )
      }
    }
    await stage('smoke', smoke)

    // Every check passed without a write. Lock, then make sure the canary did not change meanwhile.
    const waitedFrom = Date.now()
    await session.lock()
    const locked = session
    await stage('recheck canary', async detail => {
      const again = await checkCanaries(checkRun, strategy)
      if (again.digest !== digest)
        throw new Refusal(`the canary changed to ${again.digest} while this run checked it`)
      detail('unchanged')
    })
    // "Healthy right now" must still be true when the writes start, not as of before a lock wait.
    if (Date.now() - waitedFrom > SMOKE_FRESH_MS) await stage('smoke again', smoke)

    // The writes: traffic moves to the release (the image onto stable, or the Service selector).
    const tracked = await trackDeployment(
      settings,
      context,
      settings.github.environment,
      `promote ${settings.version}`
    )
    const release: Release = {
      app: settings.app,
      version: settings.version,
      imageRef,
      digest,
      source: sourceOf(settings),
      container: settings.container
    }
    await session.phase(
      'promoting',
      canaries.map(c => c.metadata?.name ?? '')
    )
    const manifests = releaseManifests(settings, imageRef)
    const run: StrategyRun = {
      cluster: live,
      settings,
      logger,
      signal: locked.signal,
      report,
      manifests
    }
    let undoManifests: (() => Promise<void>) | undefined
    context.checkpoint?.({ promoting: settings.deployments })
    try {
      if (manifests.others.length > 0) {
        undoManifests = await stage('apply manifests', async detail => {
          const undo = await applyOthers(live, manifests.others, logger)
          detail(`${manifests.others.length} object(s)`)
          return undo
        })
      }
      const promotion = await stage('promote', async detail => {
        const done = await strategy.promote(run, stables, canaries, release, approver)
        detail(done.detail)
        return done
      })
      if (promotion.section) report.sections.push(promotion.section)
    } catch (error) {
      // Each undo runs whatever the others do; what could not be undone is said, not hidden.
      const undone = await Promise.allSettled([
        error instanceof PromotionFailed ? error.undo() : Promise.resolve(),
        // The manifests' other objects are part of the release: they go back with it.
        undoManifests?.() ?? Promise.resolve()
      ])
      for (const outcome of undone) {
        if (outcome.status === 'rejected') {
          logger.warning(`could not undo part of the promotion: ${errorMessage(outcome.reason)}`)
          report.sections.push({
            title: 'NOT undone: needs a person',
            body: errorMessage(outcome.reason)
          })
        }
      }
      await tracked.finish('failure', { description: errorMessage(error).slice(0, 140) })
      context.checkpoint?.({ promoting: [] })
      throw error instanceof PromotionFailed ? error.cause : error
    }

    context.checkpoint?.({ promoting: [] })
    await stage('remove canary', async detail => {
      const removed = await strategy.retire(run)
      detail(removed.join(', '))
    })
    await tracked.finish('success', { description: `${settings.version} promoted by ${approver}` })
    return { report, outputs: { version: settings.version, image: imageRef, digest } }
  } catch (error) {
    return failed(report, error, context.signal)
  } finally {
    await session?.close()
  }
}

function failed(report: Report, error: unknown, signal: AbortSignal): CommandResult {
  report.status = error instanceof Refusal ? 'refused' : 'failure'
  report.reason = errorMessage(error).split('\n')[0]
  if (signal.aborted) report.reason = `cancelled: ${report.reason}`
  if (errorMessage(error).includes('\n')) {
    report.sections.push({
      title: 'What went wrong',
      body: codeBlock(errorMessage(error))
    })
  }
  return { report, outputs: { version: '' } }
}

/** Who is promoting, and may they? On GitHub the API decides; from a shell, cluster access does. */
async function checkActor(
  settings: Settings,
  context: CommandContext
): Promise<{ actor: string; reason: string }> {
  const gh = readGitHubContext(context.env)
  const actor = gh.triggeringActor || gh.actor
  if (!gh.inActions && !settings.github.token) {
    return {
      actor: actor || 'local user',
      reason: 'run from a shell: the cluster credentials are the approval'
    }
  }
  if (!settings.github.token) throw new Refusal('github-token is needed to check who may promote')
  if (!gh.owner || !gh.repo)
    throw new Refusal('GITHUB_REPOSITORY is needed to check who may promote')
  const octokit = githubClient(settings.github.token, gh.apiUrl, context.logger)
  const decision = await checkApprover(
    octokit,
    { owner: gh.owner, repo: gh.repo, actor, approvers: settings.approval.approvers },
    context.logger
  )
  if (!decision.allowed) throw new Refusal(decision.reason)
  return { actor, reason: decision.reason }
}

/** Each canary exists, is available, and runs exactly the version (and digest) being approved. */
async function checkCanaries(run: StrategyRun, strategy: ReleaseStrategy) {
  const { cluster, settings } = run
  const stables = await readStables(cluster, settings)
  const canaries: V1Deployment[] = []
  let digest = ''
  let imageRef = ''
  for (const stable of stables) {
    const { name, deployment: canary } = await strategy.find(run, stable.metadata?.name ?? '')
    if (!canary)
      throw new Refusal(`there is no canary ${name} to promote: deploy ${settings.version} first`)
    const annotations = canary.metadata?.annotations ?? {}
    const version = canary.metadata?.labels?.[ANNOTATION_VERSION] ?? annotations[ANNOTATION_VERSION]
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
