/**
 * Reads the recorded kube-apiserver v1.36.3 answers (shared/k8s-reference) into the raw HTTP
 * answers each case file holds, in order, so a test can replay them against the test cluster.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

export interface RecordedAnswer {
  status: number
  contentType: string
  /** parsed JSON when the body is JSON, else the raw text (possibly empty) */
  body: unknown
}

/** Repo root is the jest rootDir; in CI shared/ sits beside the clone the same way. */
export const recordingsDir = path.resolve(
  process.cwd(),
  '..',
  'shared',
  'k8s-reference',
  'kube-apiserver-v1.36.3'
)

export function recordingFiles(): string[] {
  if (!existsSync(recordingsDir)) {
    throw new Error(`kube-apiserver recordings not found: looked in ${recordingsDir}`)
  }
  return readdirSync(recordingsDir)
    .filter(f => f.endsWith('.txt'))
    .sort()
}

const header = /^\[http (\d+)(?: ([^\]]*))?\]$/

/** Every `[http N type]` answer of one case file, with the body that follows it. */
export function parseAnswers(text: string): RecordedAnswer[] {
  // A body printed without its final newline runs into the next answer's header (recording 49).
  const lines = text.replace(/\}\[http /g, '}\n[http ').split('\n')
  const answers: RecordedAnswer[] = []
  for (let i = 0; i < lines.length; i++) {
    const m = header.exec(lines[i])
    if (!m) continue
    const bodyLines: string[] = []
    // A body runs until the next command, answer, exit code or comment.
    while (i + 1 < lines.length && !/^(\$ |\[http |\[rc=|\[curl |# )/.test(lines[i + 1])) {
      bodyLines.push(lines[++i])
    }
    const raw = bodyLines.join('\n').trim()
    let body: unknown = raw
    try {
      body = JSON.parse(raw)
    } catch {
      // not JSON: keep the text
    }
    answers.push({ status: Number(m[1]), contentType: m[2] ?? '', body })
  }
  return answers
}

export function readCaseText(file: string): string {
  return readFileSync(path.join(recordingsDir, file), 'utf8')
}

export function readCase(file: string): RecordedAnswer[] {
  return parseAnswers(readCaseText(file))
}

export function readManifestText(name: string): string {
  return readFileSync(path.join(recordingsDir, 'manifests', name), 'utf8')
}

export function readManifest(name: string): unknown {
  return JSON.parse(readManifestText(name))
}
