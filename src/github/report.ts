/**
 * The structured report every command fills in, and its Markdown rendering. The report is data;
 * main.ts/cli.ts decide whether the Markdown goes to the job summary, a PR comment or a terminal.
 */
export type ReportStatus = 'success' | 'failure' | 'refused' | 'no-op'
export type StageStatus = 'ok' | 'failed' | 'skipped' | 'running'

export interface StageResult {
  name: string
  status: StageStatus
  durationMs: number
  detail?: string
}

export interface ReportSection {
  title: string
  /** Markdown. */
  body: string
  collapsed?: boolean
}

export interface Report {
  title: string
  command: string
  status: ReportStatus
  reason?: string
  stages: StageResult[]
  /** Key/value table: image, digest, version... */
  facts: [string, string][]
  sections: ReportSection[]
  /** What a person does next, e.g. how to promote. */
  next?: { title: string; markdown: string }
}

export interface RenderOptions {
  /** Upper bound of the rendered text in UTF-8 bytes. */
  maxBytes?: number
}

/** GitHub refuses job summaries over 1 MiB; stay a little under it. */
export const SUMMARY_MAX_BYTES = 1_000_000

export function newReport(command: string, title: string): Report {
  return { title, command, status: 'success', stages: [], facts: [], sections: [] }
}

const STATUS_HEADING: Record<ReportStatus, string> = {
  success: '✅ succeeded',
  failure: '❌ failed',
  refused: '⛔ refused',
  'no-op': '➖ nothing to do'
}

const STAGE_STATUS: Record<StageStatus, string> = {
  ok: '✅ ok',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  running: '⏳ running'
}

/** 1.2s below a minute, 2m 05s above: the precision a person reading a summary wants. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–'
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const totalSeconds = Math.round(ms / 1000)
  const minutes = Math.floor(totalSeconds / 60)
  const seconds = totalSeconds % 60
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`
}

/**
 * A table cell must stay on one line and must not end the cell early. The rest stays Markdown, so
 * callers may put `code` or links in cells (GitHub honours \| even inside code spans).
 */
export function escapeTableCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r\n|\r|\n/g, '<br>')
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A Markdown table; every cell escaped (escapeTableCell). */
export function markdownTable(header: [string, ...string[]], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map(escapeTableCell).join(' | ')} |`
  return [line(header), `|${header.map(() => ' --- |').join('')}`, ...rows.map(line)].join('\n')
}

function renderHeading(report: Report): string {
  const lines = [
    `## ${report.title}: ${STATUS_HEADING[report.status]}`,
    '',
    `Command: \`${report.command}\``
  ]
  if (report.reason) {
    lines.push('', ...report.reason.split(/\r?\n/).map(l => `> ${l}`))
  }
  return lines.join('\n')
}

function renderStages(stages: StageResult[]): string {
  const rows = stages.map(s => [
    s.name,
    STAGE_STATUS[s.status],
    s.status === 'skipped' ? '–' : formatDuration(s.durationMs),
    s.detail ?? ''
  ])
  return ['### Stages', '', markdownTable(['Stage', 'Status', 'Duration', 'Detail'], rows)].join(
    '\n'
  )
}

function renderSection(section: ReportSection): string {
  if (section.collapsed) {
    return [
      `<details><summary>${escapeHtml(section.title)}</summary>`,
      '',
      section.body,
      '',
      '</details>'
    ].join('\n')
  }
  return [`### ${section.title}`, '', section.body].join('\n')
}

function renderAll(report: Report, sections: ReportSection[], note?: string): string {
  const parts = [renderHeading(report)]
  if (report.stages.length > 0) parts.push(renderStages(report.stages))
  if (report.facts.length > 0) parts.push(markdownTable(['Item', 'Value'], report.facts))
  parts.push(...sections.map(renderSection))
  if (report.next) parts.push([`### ${report.next.title}`, '', report.next.markdown].join('\n'))
  if (note) parts.push(note)
  return parts.join('\n\n') + '\n'
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8')

/** The longest prefix of text that fits in maxBytes, never splitting a character. */
export function truncateToBytes(text: string, maxBytes: number): string {
  const buffer = Buffer.from(text, 'utf8')
  if (buffer.length <= maxBytes) return text
  let end = Math.max(0, maxBytes)
  // Step back off UTF-8 continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && (buffer[end] & 0xc0) === 0x80) end--
  return buffer.subarray(0, end).toString('utf8')
}

/** A cut inside a ``` fence would swallow everything after it; close the fence. */
export function closeOpenFence(markdown: string): string {
  const fences = markdown.split('\n').filter(l => /^\s*(```|~~~)/.test(l)).length
  return fences % 2 === 1 ? `${markdown}\n\`\`\`` : markdown
}

const sectionCutMarker = (bytes: number): string =>
  `\n\n_… ${bytes.toLocaleString('en-US')} bytes of this section were cut._`

const truncationNote = (bytes: number): string =>
  `> ⚠️ This summary was truncated: ${bytes.toLocaleString('en-US')} bytes were cut from its ` +
  `largest sections to stay under GitHub's 1 MiB job summary limit. The full output is in the job log.`

/** Room kept for the markers and the note whose digits are not known until the cut is done. */
const MARKER_SLACK_BYTES = 160

/**
 * Renders the report as GitHub-flavoured Markdown no longer than maxBytes (default 1,000,000).
 * When too long, the largest sections are cut first and a note says how many bytes went.
 */
export function renderMarkdown(report: Report, opts: RenderOptions = {}): string {
  const maxBytes = opts.maxBytes ?? SUMMARY_MAX_BYTES
  const full = renderAll(report, report.sections)
  if (byteLength(full) <= maxBytes) return full

  const originals = report.sections.map(s => s.body)
  const kept = [...originals]
  const cutBytes = (): number =>
    originals.reduce((sum, body, i) => sum + byteLength(body) - byteLength(kept[i]), 0)
  const current = (): ReportSection[] =>
    report.sections.map((s, i) =>
      kept[i] === originals[i]
        ? s
        : {
            ...s,
            body:
              closeOpenFence(kept[i]) +
              sectionCutMarker(byteLength(originals[i]) - byteLength(kept[i]))
          }
    )

  // Each pass cuts the largest remaining section by what is still over; a few passes settle it.
  for (let pass = 0; pass < report.sections.length * 2; pass++) {
    const excess = byteLength(renderAll(report, current(), truncationNote(cutBytes()))) - maxBytes
    if (excess <= 0) break
    let largest = -1
    for (let i = 0; i < kept.length; i++) {
      if (kept[i].length > 0 && (largest < 0 || byteLength(kept[i]) > byteLength(kept[largest]))) {
        largest = i
      }
    }
    if (largest < 0) break
    kept[largest] = truncateToBytes(
      kept[largest],
      byteLength(kept[largest]) - excess - MARKER_SLACK_BYTES
    )
  }

  const note = truncationNote(cutBytes())
  const rendered = renderAll(report, current(), note)
  if (byteLength(rendered) <= maxBytes) return rendered
  // Sections alone could not make room (huge facts or stages): cut the text itself, keep the note.
  const tail = `\n\n${truncationNote(byteLength(full) - maxBytes)}\n`
  return truncateToBytes(full, Math.max(0, maxBytes - byteLength(tail))) + tail
}

export type Clock = () => number

/**
 * Records a stage around an async function: 'running' while it runs, then 'ok' or 'failed' with
 * its duration. The function may set `stage.detail`. Errors are re-thrown unchanged.
 */
export async function timeStage<T>(
  report: Report,
  name: string,
  fn: (stage: StageResult) => Promise<T>,
  now: Clock = () => performance.now()
): Promise<T> {
  const stage: StageResult = { name, status: 'running', durationMs: 0 }
  report.stages.push(stage)
  const started = now()
  try {
    const result = await fn(stage)
    stage.status = 'ok'
    return result
  } catch (error) {
    stage.status = 'failed'
    stage.detail ??= firstLine(error instanceof Error ? error.message : String(error))
    throw error
  } finally {
    stage.durationMs = Math.max(0, now() - started)
  }
}

/** Records a stage that did not run, with why. */
export function skipStage(report: Report, name: string, detail?: string): void {
  report.stages.push({ name, status: 'skipped', durationMs: 0, ...(detail ? { detail } : {}) })
}

function firstLine(message: string): string {
  const line = message.split(/\r?\n/)[0] ?? ''
  return line.length > 300 ? `${line.slice(0, 299)}…` : line
}

/** Text as a fenced block that no backticks inside it can close early. */
export function codeBlock(text: string): string {
  return `\`\`\`\n${text.replace(/```/g, "'''")}\n\`\`\``
}
