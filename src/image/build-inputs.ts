/**
 * The build inputs named after docker/build-push-action's (platforms, target, tags, labels,
 * secrets, provenance, sbom), parsed for settings.ts: each parser takes the raw input and throws
 * InputProblem saying what was expected, never echoing a secret. They mean what build-push-action's
 * mean, except:
 * - tags: references pushed beside the release tag `<image>:<version>`, one a line (no commas). A
 *   bare tag (`latest`) tags the repository of `image`, giving `ghcr.io/acme/shop:latest`; in
 *   build-push-action every entry is an image name, so `latest` would be `docker.io/library/latest`.
 *   A reference names its tag (`ghcr.io/org/app:stable`; not `ghcr.io/org/app`, not a digest).
 * - provenance: mode=min, mode=max, true or false, without further attestation attributes.
 * - sbom: true or false, without generator attributes.
 * - secrets: ID=VALUE lines only (no secret-files or secret-envs).
 */
import { readFileSync } from 'node:fs'
import { InputProblem, lines, list } from '../validate.js'
import { parseImageRef } from './image-ref.js'
import type { Attestations, BuildSecret, ProvenanceMode } from './types.js'

const STAGE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/
const TAG = /^[\w][\w.-]{0,127}$/
const SECRET_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$/
const MAX_PLATFORMS = 16
const MAX_TAGS = 32

export function target(value: string): string {
  if (!STAGE.test(value)) throw new InputProblem('a Dockerfile stage name (letters, digits, _ . -)')
  return value
}

export function platforms(value: string): string[] {
  const all = [...new Set(list(value))]
  if (all.length > MAX_PLATFORMS || all.some(p => !PLATFORM.test(p))) {
    throw new InputProblem(
      `platforms such as linux/amd64,linux/arm64/v8, comma separated, at most ${MAX_PLATFORMS}`
    )
  }
  return all
}

/** Each line a bare tag of the image's repository (`latest`), or a tagged reference, no digest. */
export function tags(value: string, repository: string | undefined): string[] {
  const all = lines(value)
  if (all.length > MAX_TAGS) throw new InputProblem(`at most ${MAX_TAGS} tags`)
  return all.map(entry => {
    if (TAG.test(entry) && !entry.includes(':')) {
      if (!repository) throw new InputProblem('full image references (no image to tag)')
      return `${repository}:${entry}`
    }
    try {
      // A tag of its own: `registry:5000/app` names none.
      const tagged = entry.lastIndexOf(':') > entry.lastIndexOf('/')
      if (!parseImageRef(entry).digest && tagged) return entry
    } catch {
      // Described below, with the rest.
    }
    throw new InputProblem(
      'one a line (no commas): a bare tag such as latest (a tag of image), or a reference with its tag such as ghcr.io/org/app:stable (no digest)'
    )
  })
}

export function labels(value: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of lines(value)) {
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq) : ''
    if (!LABEL_KEY.test(key)) {
      throw new InputProblem('one KEY=VALUE a line, KEY such as org.opencontainers.image.title')
    }
    out[key] = line.slice(eq + 1)
  }
  return out
}

/** One ID=VALUE a line; the message says which line is wrong, never what it holds. */
export function secrets(value: string): BuildSecret[] {
  const out: BuildSecret[] = []
  for (const [index, line] of value.split('\n').entries()) {
    if (line.trim() === '') continue
    const eq = line.indexOf('=')
    const id = eq > 0 ? line.slice(0, eq).trim() : ''
    const secret = eq > 0 ? line.slice(eq + 1).trim() : ''
    const problem = !SECRET_ID.test(id)
      ? 'does not start with an ID (letters, digits, _ . -) and ='
      : secret === ''
        ? 'has an empty value'
        : out.some(s => s.id === id)
          ? `repeats the ID ${id}`
          : undefined
    if (problem) {
      throw new InputProblem(`one ID=VALUE a line (line ${index + 1} ${problem})`)
    }
    out.push({ id, value: secret })
  }
  return out
}

export function provenance(
  value: string
): { mode?: ProvenanceMode; isDefault: boolean } | 'default' {
  switch (value) {
    case '':
      return 'default'
    case 'true':
    case 'mode=min':
      return { mode: 'min', isDefault: false }
    case 'mode=max':
      return { mode: 'max', isDefault: false }
    case 'false':
      return { isDefault: false }
    default:
      throw new InputProblem(
        'mode=min, mode=max, true (mode=min) or false; empty: mode=min for a private repository, mode=max for a public one'
      )
  }
}

/** What the run's event says of the repository: `private`, as build-push-action reads it. */
export function repositoryIsPrivate(eventPath: string | undefined): boolean {
  if (!eventPath) return false
  try {
    const event: unknown = JSON.parse(readFileSync(eventPath, 'utf8'))
    const repository = (event as { repository?: { private?: unknown } } | null)?.repository
    return repository?.private === true
  } catch {
    return false
  }
}

/**
 * docker/build-push-action's attestations: provenance mode=min for a private repository, mode=max
 * for a public (or unknown) one, unless the input says otherwise; SBOM only when asked.
 */
export function attestations(
  asked: ReturnType<typeof provenance>,
  sbom: boolean,
  run: { private: boolean; builderId?: string }
): Attestations {
  const chosen =
    asked === 'default'
      ? { mode: run.private ? ('min' as const) : ('max' as const), isDefault: true }
      : asked
  return {
    ...(chosen.mode ? { provenance: chosen.mode } : {}),
    provenanceIsDefault: chosen.isDefault,
    sbom,
    ...(run.builderId ? { builderId: run.builderId } : {})
  }
}
