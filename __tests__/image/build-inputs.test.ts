/**
 * The build inputs (docker/build-push-action's names) as settings reads them: what each becomes,
 * the defaults build-push-action chooses, and bad values refused by name before anything runs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { readSettings, SettingsError, type Settings } from '../../src/settings.js'

const dir = mkdtempSync(join(tmpdir(), 'build-inputs-'))
const event = (isPrivate: boolean): string => {
  const file = join(dir, `event-${isPrivate}.json`)
  writeFileSync(
    file,
    JSON.stringify({ repository: { full_name: 'acme/shop', private: isPrivate } })
  )
  return file
}
const ENV = {
  GITHUB_WORKSPACE: dir,
  GITHUB_SHA: 'abcdef1234567890abcdef1234567890abcdef12',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_RUN_ID: '42',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_SERVER_URL: 'https://github.com'
}
const BASE = { app: 'shop', image: 'ghcr.io/acme/shop' }

function options(
  inputs: Record<string, string>,
  env: Record<string, string> = {}
): Settings['image']['options'] {
  const all: Record<string, string> = { ...BASE, ...inputs }
  return readSettings(name => all[name] ?? '', { ...ENV, ...env }).image.options
}

function refusal(inputs: Record<string, string>): SettingsError {
  try {
    options(inputs)
  } catch (error) {
    if (error instanceof SettingsError) return error
    throw error
  }
  throw new Error('the inputs were accepted')
}

describe('build inputs: defaults', () => {
  it('are a plain build: no platforms, target, tags, labels or secrets, no SBOM', () => {
    expect(options({})).toMatchObject({ platforms: [], tags: [], labels: {}, secrets: [] })
    expect(options({}).target).toBeUndefined()
    expect(options({}).attestations.sbom).toBe(false)
  })

  it('attest provenance mode=max for a public repository, as build-push-action does', () => {
    expect(options({}, { GITHUB_EVENT_PATH: event(false) }).attestations).toEqual({
      provenance: 'max',
      provenanceIsDefault: true,
      sbom: false,
      builderId: 'https://github.com/acme/shop/actions/runs/42/attempts/2'
    })
  })

  it('attest provenance mode=min for a private repository', () => {
    expect(options({}, { GITHUB_EVENT_PATH: event(true) }).attestations.provenance).toBe('min')
  })

  it('take a repository the event does not describe as public (mode=max)', () => {
    expect(options({}).attestations.provenance).toBe('max')
  })
})

describe('build inputs: values', () => {
  it.each([
    ['true', 'min'],
    ['mode=min', 'min'],
    ['mode=max', 'max']
  ])('provenance %s asks for mode=%s', (value, mode) => {
    expect(options({ provenance: value }).attestations).toMatchObject({
      provenance: mode,
      provenanceIsDefault: false
    })
  })

  it('provenance false asks for none', () => {
    expect(options({ provenance: 'false' }).attestations.provenance).toBeUndefined()
  })

  it('sbom true asks for an SBOM', () => {
    expect(options({ sbom: 'true' }).attestations.sbom).toBe(true)
  })

  it('platforms are a comma separated list, each once', () => {
    expect(options({ platforms: 'linux/amd64, linux/arm64/v8,linux/amd64' }).platforms).toEqual([
      'linux/amd64',
      'linux/arm64/v8'
    ])
  })

  it('a tag alone tags the image repository; a full reference is kept', () => {
    expect(options({ tags: 'latest\nregistry.example.com/shop:stable' }).tags).toEqual([
      'ghcr.io/acme/shop:latest',
      'registry.example.com/shop:stable'
    ])
  })

  it('labels are KEY=VALUE lines', () => {
    expect(options({ labels: 'org.opencontainers.image.title=Shop\nteam=web' }).labels).toEqual({
      'org.opencontainers.image.title': 'Shop',
      team: 'web'
    })
  })

  it('secrets are ID=VALUE lines, the value kept whole after its first =', () => {
    expect(options({ secrets: 'npm_token=abc=def\nGIT_AUTH_TOKEN=ghp_x' }).secrets).toEqual([
      { id: 'npm_token', value: 'abc=def' },
      { id: 'GIT_AUTH_TOKEN', value: 'ghp_x' }
    ])
  })

  it('target names a stage', () => {
    expect(options({ target: 'runtime' }).target).toBe('runtime')
  })
})

describe.each([
  ['provenance', 'mode=full'],
  ['provenance', 'yes'],
  ['sbom', 'spdx'],
  ['platforms', 'amd64'],
  ['platforms', 'linux/amd64;rm -rf /'],
  ['tags', 'ghcr.io/acme/shop@sha256:' + 'a'.repeat(64)],
  ['tags', 'bad tag'],
  ['tags', 'ghcr.io/acme/shop'],
  ['tags', 'latest,stable'],
  ['labels', '=nokey'],
  ['target', '-stage'],
  ['secrets', 'no-equals-sign'],
  ['secrets', 'id with space=1'],
  ['secrets', 'npm_token='],
  ['secrets', 'a=1\na=2']
])('invalid %s %j', (input, value) => {
  it('is refused by settings, naming the input', () => {
    const error = refusal({ [input]: value })
    expect(error.problems.map(p => p.input)).toEqual([input])
  })
})

describe('a malformed secret', () => {
  const value = 'npm_token=s3cret-value\nthis line leaks s3cret-2'

  it('is refused with the line that is wrong, never its value', () => {
    const error = refusal({ secrets: value })
    expect(error.message).toContain('secrets: expected one ID=VALUE a line (line 2 does not start')
    expect(error.message).toContain('(value hidden)')
    expect(error.message).not.toContain('s3cret')
  })
})

describe('tags, where they differ from docker/build-push-action', () => {
  const action = parse(readFileSync(join(process.cwd(), 'action.yml'), 'utf8')) as {
    inputs: Record<string, { description: string }>
  }
  const description = action.inputs.tags.description

  it('action.yml says a bare tag tags image, where build-push-action would name an image', () => {
    expect(options({ tags: 'latest' }).tags).toEqual(['ghcr.io/acme/shop:latest'])
    expect(description).toContain('a bare tag such as `latest` tags the repository of `image`')
    expect(description).toContain('docker/build-push-action')
  })

  it('action.yml says one a line, no commas, as settings reads them', () => {
    expect(refusal({ tags: 'latest,stable' }).problems.map(p => p.input)).toEqual(['tags'])
    expect(description).toContain('one a line (no commas)')
  })
})
