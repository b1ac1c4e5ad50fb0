/**
 * One comment per pull request and purpose, kept current: found again by a hidden marker and
 * edited in place, so a pull request does not collect a new comment on every push.
 */
import type { GitHubClient } from './client.js'
import { closeOpenFence } from './report.js'

/** GitHub rejects issue comment bodies longer than this many characters. */
export const COMMENT_MAX_CHARS = 65_536

export interface PullRequestComment {
  owner: string
  repo: string
  issueNumber: number
  /** Names the comment's purpose, e.g. 'diff' or 'diff:web'. Letters, digits and . _ : / - only. */
  marker: string
  body: string
}

export function commentMarker(marker: string): string {
  if (!/^[A-Za-z0-9._:/-]+$/.test(marker) || marker.includes('--')) {
    throw new Error(
      `Comment marker "${marker}" may use only letters, digits and . _ : / - (no "--")`
    )
  }
  return `<!-- canary-deploy:${marker} -->`
}

/** The marker line followed by the body, cut to GitHub's limit with a note saying so. */
export function commentBody(marker: string, body: string, maxChars = COMMENT_MAX_CHARS): string {
  const head = `${commentMarker(marker)}\n`
  const full = head + body
  if (full.length <= maxChars) return full
  const note = (cut: number): string =>
    `\n\n_… ${cut.toLocaleString('en-US')} characters were cut to fit GitHub's ` +
    `${maxChars.toLocaleString('en-US')}-character comment limit; the full text is in the run's summary._`
  // Room for the note (its digits bounded by the body's length) and a closing fence.
  const room = Math.max(0, maxChars - head.length - note(body.length).length - 4)
  let kept = body.slice(0, room)
  // Do not leave half a surrogate pair at the cut.
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1)
  return head + closeOpenFence(kept) + note(body.length - kept.length)
}

export async function upsertPullRequestComment(
  octokit: GitHubClient,
  comment: PullRequestComment
): Promise<{ id: number; created: boolean }> {
  const { owner, repo, issueNumber } = comment
  const marker = commentMarker(comment.marker)
  const body = commentBody(comment.marker, comment.body)

  const existing = await findComment(octokit, owner, repo, issueNumber, marker)
  if (existing !== undefined) {
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing, body })
    return { id: existing, created: false }
  }
  const { data } = await octokit.rest.issues.createComment({
    owner,
    repo,
    issue_number: issueNumber,
    body
  })
  return { id: data.id, created: true }
}

async function findComment(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  issueNumber: number,
  marker: string
): Promise<number | undefined> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issueNumber,
    per_page: 100
  })
  for await (const page of pages) {
    const found = page.data.find(c => c.body?.includes(marker))
    if (found) return found.id
  }
  return undefined
}
