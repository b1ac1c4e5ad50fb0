/**
 * The `manifests` input: Kubernetes objects read from YAML/JSON files or folders (in the working
 * tree, or as they were at a git ref).
 * Files are untrusted pull request content: size, alias expansion and shape are all bounded.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { extname, join, relative, resolve, sep } from 'node:path'
import { getExecOutput } from '@actions/exec'
import type { KubernetesObject } from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'

/** A manifest larger than this is refused rather than parsed. */
export const MAX_MANIFEST_BYTES = 5 * 1024 * 1024
/** Few aliases are legitimate in a manifest; many are a billion-laughs expansion. */
const MAX_ALIAS_COUNT = 100
const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json'])

export class ManifestError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ManifestError'
  }
}

interface ManifestFile {
  /** Shown in errors: the path as the person wrote it or as git names it. */
  label: string
  text: string
}

/** Every manifest under the given files and folders, in a stable order. */
export function loadManifests(paths: string[]): KubernetesObject[] {
  return paths.flatMap(path =>
    manifestFiles(path).flatMap(file => {
      const size = statSync(file).size
      if (size > MAX_MANIFEST_BYTES) throw tooLarge(file, size)
      return parseManifest({ label: file, text: readFileSync(file, 'utf8') })
    })
  )
}

/**
 * The same paths as they were at a git ref (e.g. a pull request's base), read with git itself.
 * A path that did not exist at the ref has no objects.
 */
export async function loadManifestsAtRef(
  paths: string[],
  ref: string,
  cwd: string
): Promise<KubernetesObject[]> {
  if (ref.startsWith('-')) throw new ManifestError(`Refusing git ref "${ref}": it starts with "-"`)
  // git names files from the top of the work tree; run every command there so names agree.
  const top = await git(cwd, ['rev-parse', '--show-toplevel'])
  if (top.exitCode !== 0) throw new ManifestError(`${cwd} is not inside a git work tree`)
  const root = realpathSync(top.stdout.trim())
  const objects: KubernetesObject[] = []
  for (const path of paths) {
    const inRepo =
      relative(root, realPath(resolve(cwd, path)))
        .split(sep)
        .join('/') || '.'
    if (inRepo.startsWith('..')) throw new ManifestError(`${path} is outside the git work tree`)
    const listed = await git(root, ['ls-tree', '-r', '-z', '--name-only', ref, '--', inRepo])
    if (listed.exitCode !== 0) {
      throw new ManifestError(
        `git could not list ${inRepo} at ${ref}: ${listed.stderr.trim() || `exit ${listed.exitCode}`}`
      )
    }
    const files = listed.stdout
      .split('\0')
      .filter(file => file !== '')
      .filter(file => file === inRepo || isManifestName(file, inRepo))
      .sort()
    for (const file of files) {
      const shown = await git(root, ['cat-file', '-s', `${ref}:${file}`])
      const size = Number(shown.stdout.trim())
      if (shown.exitCode === 0 && size > MAX_MANIFEST_BYTES) throw tooLarge(`${ref}:${file}`, size)
      const content = await git(root, ['show', `${ref}:${file}`])
      if (content.exitCode !== 0) {
        throw new ManifestError(`git could not read ${file} at ${ref}: ${content.stderr.trim()}`)
      }
      objects.push(...parseManifest({ label: `${ref}:${file}`, text: content.stdout }))
    }
  }
  return objects
}

/** The path with symlinks resolved where it exists (it may exist only at the ref). */
function realPath(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

async function git(
  cwd: string,
  args: string[]
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return getExecOutput('git', args, { cwd, silent: true, ignoreReturnCode: true })
}

/** A file inside a listed folder counts when it has a manifest extension and no hidden part. */
function isManifestName(file: string, folder: string): boolean {
  const inside = folder === '.' ? file : file.slice(folder.length + 1)
  const parts = inside.split('/')
  return (
    MANIFEST_EXTENSIONS.has(extname(file).toLowerCase()) &&
    !parts.some(part => part.startsWith('.'))
  )
}

/** A file as given, or a folder's manifest files (recursively, hidden folders skipped), sorted. */
function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  const found: string[] = []
  const visit = (folder: string): void => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    )
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      const full = join(folder, entry.name)
      if (entry.isDirectory()) visit(full)
      else if (entry.isFile() && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
        found.push(full)
      }
    }
  }
  visit(path)
  return found
}

function tooLarge(label: string, size: number): ManifestError {
  return new ManifestError(
    `${label} is ${size} bytes; manifests larger than ${MAX_MANIFEST_BYTES} bytes (5 MiB) are refused`
  )
}

/** Every non-empty document of one file, each checked to be a Kubernetes object. */
export function parseManifest(file: ManifestFile): KubernetesObject[] {
  if (Buffer.byteLength(file.text) > MAX_MANIFEST_BYTES) {
    throw tooLarge(file.label, Buffer.byteLength(file.text))
  }
  const documents = parseAllDocuments(file.text, { prettyErrors: false })
  // parseAllDocuments returns an EmptyStream (not an array) for a file with no documents.
  if (!Array.isArray(documents)) return []
  const objects: KubernetesObject[] = []
  documents.forEach((document, index) => {
    const where = `${file.label} (document ${index + 1})`
    const [error] = document.errors
    if (error) throw new ManifestError(`${where} is not valid YAML: ${error.message}`)
    let value: unknown
    try {
      value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause)
      throw new ManifestError(
        /alias/i.test(message)
          ? `${where} expands too many YAML aliases (at most ${MAX_ALIAS_COUNT}); refused as an alias bomb`
          : `${where} could not be read: ${message}`
      )
    }
    if (value === null || value === undefined) return
    objects.push(checkObject(value, where))
  })
  return objects
}

function checkObject(value: unknown, where: string): KubernetesObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestError(
      `${where} is not a Kubernetes object (a mapping with apiVersion and kind)`
    )
  }
  const object = value as Record<string, unknown>
  const metadata = object.metadata as Record<string, unknown> | undefined
  const missing = [
    typeof object.apiVersion === 'string' && object.apiVersion ? undefined : 'apiVersion',
    typeof object.kind === 'string' && object.kind ? undefined : 'kind',
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof metadata.name === 'string' &&
    metadata.name
      ? undefined
      : 'metadata.name'
  ].filter(field => field !== undefined)
  if (missing.length > 0) throw new ManifestError(`${where} has no ${missing.join(', ')}`)
  return object as KubernetesObject
}

/** `Deployment/web` or `Deployment prod/web`: how an object is named in messages and reports. */
export function objectLabel(object: KubernetesObject): string {
  const namespace = object.metadata?.namespace
  return `${object.kind ?? '?'} ${namespace ? `${namespace}/` : ''}${object.metadata?.name ?? '?'}`
}
