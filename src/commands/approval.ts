/**
 * Whether promote may go on: approve is exactly "true", and the person who started this run may
 * promote. On GitHub the API decides (their permission, and `approvers` when set); from a shell
 * without a token, whoever holds cluster credentials is the approval.
 */
import { githubClient } from '../github/client.js'
import { checkApprover } from '../github/permissions.js'
import type { Logger } from '../logger.js'
import type { Settings } from '../settings.js'
import { Refusal } from './errors.js'

export async function checkApproval(
  settings: Settings,
  logger: Logger
): Promise<{ actor: string; reason: string }> {
  const { approve, approvers } = settings.approval
  if (approve !== 'true') {
    throw new Refusal(
      `approve must be exactly "true" to promote (got ${approve ? JSON.stringify(approve) : 'nothing'})`
    )
  }
  const { run } = settings
  const actor = run.triggeringActor || run.actor
  if (run.approval === 'cluster-credentials') {
    return {
      actor: actor || 'local user',
      reason: 'run from a shell: the cluster credentials are the approval'
    }
  }
  if (!settings.github.token) throw new Refusal('github-token is needed to check who may promote')
  if (!run.owner || !run.repo)
    throw new Refusal('GITHUB_REPOSITORY is needed to check who may promote')
  const octokit = githubClient(settings.github.token, run, logger)
  const decision = await checkApprover(
    octokit,
    { owner: run.owner, repo: run.repo, actor, approvers },
    logger
  )
  if (!decision.allowed) throw new Refusal(decision.reason)
  return { actor, reason: decision.reason }
}
