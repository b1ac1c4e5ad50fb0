/**
 * How a diff reads: facts and one collapsed section per object that changes (what deploy and
 * promote do to it, and the unified diff), the unchanged ones listed, what is left alone, the
 * notes; the `diff` output cut to a size GitHub takes; one pull request comment kept current.
 */
import { githubClient, describeApiError } from '../github/client.js'
import { upsertPullRequestComment } from '../github/comment.js'
import { renderMarkdown, type Report } from '../github/report.js'
import { LABEL_APP } from '../k8s/labels.js'
import type { Logger } from '../logger.js'
import type { ChangeKind, ObjectChange } from '../release/dry-run.js'
import type { Settings } from '../settings.js'

/** The diff output stays under GitHub's output size comfort zone. */
export const DIFF_OUTPUT_MAX_BYTES = 1024 * 1024

export interface DiffOutcome {
  mode: 'cluster' | 'offline'
  changes: ObjectChange[]
  /** Objects that are there (labelled app=<app>, or in the base manifests) and are never pruned. */
  leftAlone: string[]
  notes: string[]
}

const KIND_HEADING: Record<ChangeKind, string> = {
  create: 'created',
  update: 'changed',
  delete: 'deleted',
  unchanged: 'unchanged',
  refused: 'refused by the cluster',
  unreadable: 'not readable by this identity'
}

export const countOf = (changes: ObjectChange[], kind: ChangeKind): number =>
  changes.filter(c => c.kind === kind).length

export function countLine(changes: ObjectChange[]): string {
  const count = (kind: ChangeKind) => countOf(changes, kind)
  const extra = [
    count('delete') ? `${count('delete')} deleted` : '',
    count('refused') ? `${count('refused')} refused` : '',
    count('unreadable') ? `${count('unreadable')} not readable` : ''
  ].filter(Boolean)
  return [
    `${count('create')} created, ${count('update')} changed, ${count('unchanged')} unchanged`,
    ...extra
  ].join(', ')
}

export function noManifestsNote(): string {
  return (
    'No manifests were given, so there is nothing to render: deploy derives the canary from the ' +
    'live Deployments, which cannot be read without cluster access.'
  )
}

/** The outcome into the report: facts, notes, one section per changed object, the rest listed. */
export function summarize(report: Report, settings: Settings, outcome: DiffOutcome): void {
  const { changes, leftAlone, notes } = outcome
  const count = (kind: ChangeKind) => countOf(changes, kind)
  report.title = `Diff ${settings.app} ${settings.version}${outcome.mode === 'offline' ? ' (approximate)' : ''}`
  report.facts.push(
    [
      'compared',
      outcome.mode === 'cluster'
        ? 'live objects vs. server-side apply dry run'
        : 'manifests at the base ref vs. this commit (no cluster access)'
    ],
    ['objects created', String(count('create'))],
    ['objects changed', String(count('update'))],
    ['objects unchanged', String(count('unchanged'))],
    ['objects left alone', String(leftAlone.length)]
  )
  if (count('delete') > 0) report.facts.push(['objects deleted', String(count('delete'))])
  if (count('refused') > 0) report.facts.push(['objects refused', String(count('refused'))])
  if (count('unreadable') > 0)
    report.facts.push(['objects not readable', String(count('unreadable'))])
  if (notes.length > 0)
    report.sections.push({ title: 'Notes', body: notes.map(n => `- ${n}`).join('\n') })

  for (const change of changes) {
    if (change.kind === 'unchanged' && !change.note) continue
    const body = [
      change.note ? `> ${change.note.split('\n').join('\n> ')}` : '',
      change.steps.length ? `${sentence(change.steps)}.` : '',
      change.text ? fenced(change.text) : ''
    ]
      .filter(Boolean)
      .join('\n\n')
    report.sections.push({
      title: `${change.label}: ${KIND_HEADING[change.kind]}`,
      body,
      collapsed: true
    })
  }
  const unchanged = changes.filter(c => c.kind === 'unchanged' && !c.note)
  if (unchanged.length > 0) {
    report.sections.push({
      title: `Unchanged (${unchanged.length})`,
      // What would be written all the same, though it changes nothing.
      body: unchanged
        .map(c => `- ${c.label}${c.steps.length ? ` (${c.steps.join('; ')})` : ''}`)
        .join('\n'),
      collapsed: true
    })
  }
  if (leftAlone.length > 0) {
    report.sections.push({
      title: `Would be left alone (${leftAlone.length})`,
      body:
        `Not in the manifests${outcome.mode === 'cluster' ? ` but labelled \`${LABEL_APP}=${settings.app}\`` : ' any more'}; nothing is ever pruned:\n\n` +
        leftAlone.map(l => `- ${l}`).join('\n'),
      collapsed: true
    })
  }
  const refused = changes.filter(c => c.kind === 'refused')
  if (refused.length > 0) {
    report.status = 'failure'
    report.reason = `${refused.length} object(s) would be refused by the cluster: ${refused.map(c => c.label).join(', ')}`
  } else if (outcome.mode === 'offline' && changes.length === 0) {
    report.status = 'no-op'
    report.reason = noManifestsNote()
  }
}

/** `deploy applies it; promote deletes it`, its first letter a capital. */
function sentence(steps: string[]): string {
  const text = steps.join('; ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** A ```diff fence longer than any backtick run inside, so the text cannot close it. */
function fenced(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return `${fence}diff\n${text.trimEnd()}\n${fence}`
}

export function truncateOutput(text: string): string {
  if (Buffer.byteLength(text) <= DIFF_OUTPUT_MAX_BYTES) return text
  const note = `\n… the diff was cut at ${DIFF_OUTPUT_MAX_BYTES} bytes; the full text is in the job log.\n`
  const room = DIFF_OUTPUT_MAX_BYTES - Buffer.byteLength(note)
  const buffer = Buffer.from(text)
  let end = room
  while (end > 0 && (buffer[end] & 0xc0) === 0x80) end--
  return buffer.subarray(0, end).toString('utf8') + note
}

/** One PR comment per app and namespace, kept current; a failure to comment only warns. */
export async function commentOnPullRequest(
  report: Report,
  settings: Settings,
  logger: Logger
): Promise<void> {
  const { run } = settings
  const token = settings.github.token
  if (!token || run.prNumber === undefined || !run.owner) {
    logger.debug('diff: no PR comment (needs github-token, a pull request and GITHUB_REPOSITORY)')
    return
  }
  try {
    const octokit = githubClient(token, run, logger)
    const result = await upsertPullRequestComment(octokit, {
      owner: run.owner,
      repo: run.repo,
      issueNumber: run.prNumber,
      marker: `diff:${settings.app}:${settings.cluster.namespace}`,
      body: renderMarkdown(report)
    })
    report.facts.push([
      'PR comment',
      `${result.created ? 'created' : 'updated'} on #${run.prNumber}`
    ])
  } catch (error) {
    logger.warning(`could not comment on pull request #${run.prNumber}: ${describeApiError(error)}`)
    report.facts.push(['PR comment', `failed: ${describeApiError(error)}`])
  }
}
