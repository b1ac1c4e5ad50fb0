/**
 * Who may approve a promotion: a listed login, a member of a listed team, or (no list given)
 * anyone with write, maintain or admin on the repository. Any doubt refuses.
 */
import type { Logger } from '../logger.js'
import { describeApiError, httpStatus, type GitHubClient } from './client.js'

export interface ApproverQuery {
  owner: string
  repo: string
  actor: string
  /** Logins or 'org/team-slug' entries; empty means "anyone with write access". */
  approvers: string[]
  /** What is being approved, for the reason text. */
  action?: string
}

export interface ApproverDecision {
  allowed: boolean
  reason: string
  /** The approvers entry or the permission that allowed it. */
  via?: string
}

const WRITE_ROLES = new Set(['write', 'maintain', 'admin'])

export async function checkApprover(
  octokit: GitHubClient,
  query: ApproverQuery,
  logger: Logger
): Promise<ApproverDecision> {
  const actor = query.actor.trim()
  const action = query.action ?? 'promote'
  if (!actor)
    return { allowed: false, reason: `no actor is known for this run; ${action} needs one` }
  const approvers = query.approvers.map(a => a.trim().replace(/^@/, '')).filter(Boolean)
  return approvers.length > 0
    ? checkApproverList(octokit, actor, approvers, action, logger)
    : checkWriteAccess(octokit, query.owner, query.repo, actor, action)
}

async function checkApproverList(
  octokit: GitHubClient,
  actor: string,
  approvers: string[],
  action: string,
  logger: Logger
): Promise<ApproverDecision> {
  const login = approvers.find(a => !a.includes('/') && a.toLowerCase() === actor.toLowerCase())
  if (login) return { allowed: true, reason: `${actor} is listed in approvers`, via: login }

  const unchecked: string[] = []
  for (const team of approvers.filter(a => a.includes('/'))) {
    const [org, teamSlug] = team.split('/', 2)
    try {
      const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
        org,
        team_slug: teamSlug,
        username: actor
      })
      if (data.state === 'active') {
        return { allowed: true, reason: `${actor} is an active member of team ${team}`, via: team }
      }
      logger.debug(`${actor}'s membership of ${team} is ${data.state}, not active`)
    } catch (error) {
      if (httpStatus(error) === 404) {
        logger.debug(`${actor} is not a member of team ${team}`)
        continue
      }
      logger.warning(`Could not check membership of team ${team}: ${describeApiError(error)}`)
      unchecked.push(team)
    }
  }
  const list = approvers.join(', ')
  const hint =
    unchecked.length > 0
      ? `; team membership could not be checked for ${unchecked.join(', ')} (the token needs read:org)`
      : ''
  return {
    allowed: false,
    reason: `${actor} is not among the approvers of ${action} (${list})${hint}`
  }
}

async function checkWriteAccess(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  actor: string,
  action: string
): Promise<ApproverDecision> {
  const needs = `${action} needs write, maintain or admin`
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo,
      username: actor
    })
    // role_name says maintain/triage and custom roles; permission is the classic level they map to.
    const role = data.role_name || data.permission
    if (WRITE_ROLES.has(data.role_name) || WRITE_ROLES.has(data.permission)) {
      return {
        allowed: true,
        reason: `${actor} has ${role} permission on ${owner}/${repo}`,
        via: role
      }
    }
    if (data.permission === 'none') {
      return { allowed: false, reason: `${actor} has no permission on ${owner}/${repo}; ${needs}` }
    }
    return {
      allowed: false,
      reason: `${actor} has ${role} permission on ${owner}/${repo}; ${needs}`
    }
  } catch (error) {
    if (httpStatus(error) === 404) {
      return {
        allowed: false,
        reason: `${actor} is not a collaborator on ${owner}/${repo}; ${needs}`
      }
    }
    return {
      allowed: false,
      reason: `could not check ${actor}'s permission on ${owner}/${repo} (${describeApiError(error)}); ${needs}`
    }
  }
}
