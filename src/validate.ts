/**
 * Pure checks for input values. Each returns the parsed value or throws an InputProblem whose text
 * says what was expected; settings.ts collects every problem into one error.
 */
import { realpathSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'

export class InputProblem extends Error {}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/
const GITHUB_TEAM = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/[A-Za-z0-9._-]{1,100}$/
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
const VERSION = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/
const DIGEST = /^sha256:[a-f0-9]{64}$/

// The reference grammar of distribution/reference, without the parts registries reject anyway.
const IMAGE_REF =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?|\[[0-9a-fA-F:]+\](?::[0-9]{1,5})?)\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/

export function dnsLabel(value: string): string {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new InputProblem(
      "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
    )
  }
  return value
}

/** Deployment names may be subdomains, but we append `-canary`, so they must leave room for it. */
export function deploymentName(value: string): string {
  if (value.length > 63 - '-canary'.length || !DNS1123_LABEL.test(value)) {
    throw new InputProblem(
      "a DNS-1123 label of at most 56 characters (room for '-canary'): lowercase letters, digits and '-'"
    )
  }
  return value
}

export function hostName(value: string): string {
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value.replace(/^\*\./, 'wildcard.'))) {
    throw new InputProblem('a host name such as canary.example.com')
  }
  return value
}

export function imageRef(value: string): string {
  if (value.length > 512 || !IMAGE_REF.test(value)) {
    throw new InputProblem(
      'an image reference such as ghcr.io/org/app, ghcr.io/org/app:1.2 or ghcr.io/org/app@sha256:<64 hex>'
    )
  }
  return value
}

export function registryHost(value: string): string {
  if (
    !/^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/.test(
      value
    )
  ) {
    throw new InputProblem('a registry host such as ghcr.io or 127.0.0.1:5000 (no scheme, no path)')
  }
  return value
}

export function version(value: string): string {
  if (!VERSION.test(value)) {
    throw new InputProblem(
      "a version of 1 to 63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit"
    )
  }
  return value
}

export function digest(value: string): string {
  if (!DIGEST.test(value))
    throw new InputProblem('a digest of the form sha256:<64 lowercase hex digits>')
  return value
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `90s`, `10m`, `1h`, `1h30m`: bounded, because every wait of a deploy action must end. */
export function duration(value: string, min = 1000, max = 6 * 3_600_000): number {
  const parts = /^(?:\d{1,6}(?:ms|s|m|h))+$/.test(value) ? value.match(/\d+(?:ms|s|m|h)/g) : null
  if (!parts) throw new InputProblem('a duration such as 90s, 10m, 1h or 1h30m')
  const ms = parts.reduce((sum, part) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h)$/.exec(part) as RegExpExecArray
    return sum + Number(n) * UNIT_MS[unit]
  }, 0)
  if (ms < min || ms > max) {
    throw new InputProblem(`a duration between ${formatMs(min)} and ${formatMs(max)}`)
  }
  return ms
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

export function integer(value: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputProblem(`a whole number from ${min} to ${max}`)
  }
  return Number(value)
}

/** The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them. */
export function boolean(value: string): boolean {
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputProblem('true or false')
}

export function oneOf<T extends string>(value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputProblem(`one of ${allowed.join(', ')}`)
  }
  return value as T
}

/** http(s) only, no credentials in the URL (they would reach logs), no fragments. */
export function httpUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputProblem('an http(s) URL such as https://canary.example.com')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputProblem('an http(s) URL (other schemes such as file: are refused)')
  }
  if (url.username || url.password) {
    throw new InputProblem('an http(s) URL without credentials in it')
  }
  if (!url.hostname) throw new InputProblem('an http(s) URL with a host')
  if (url.hash) throw new InputProblem('an http(s) URL without a #fragment')
  return url.toString().replace(/\/$/, '')
}

/** A URL that API paths are appended to: no query string, which would end up before the path. */
export function baseUrl(value: string): string {
  const url = httpUrl(value)
  if (new URL(url).search) {
    throw new InputProblem(
      'an http(s) URL without a ?query (the API path and its query are added to it)'
    )
  }
  return url
}

export function urlPath(value: string): string {
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,255}$/.test(value)) {
    throw new InputProblem('a URL path starting with /, such as /health')
  }
  return value
}

/** A path that must stay inside the workspace: no `..` escapes, no absolute paths elsewhere. */
export function workspacePath(value: string, workspace: string): string {
  if (value.includes('\0')) throw new InputProblem('a path inside the workspace')
  const full = resolve(workspace, value)
  if (!isInside(full, workspace))
    throw new InputProblem(`a path inside the workspace (${workspace})`)
  return full
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path)
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

/** An existing path whose real location (symlinks followed) is still inside the workspace. */
export function existingWorkspacePath(value: string, workspace: string): string {
  const full = workspacePath(value, workspace)
  let real: string
  try {
    real = realpathSync(full)
  } catch {
    throw new InputProblem('an existing file or folder inside the workspace')
  }
  if (!isInside(real, realpathSync(workspace))) {
    throw new InputProblem('a path inside the workspace (it is a link that leads outside)')
  }
  return full
}

/** Comma- or newline-separated, blanks dropped. */
export function list(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map(item => item.trim())
    .filter(item => item.length > 0)
}

export function lines(value: string): string[] {
  return value
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0)
}

export function approver(value: string): string {
  if (!GITHUB_LOGIN.test(value) && !GITHUB_TEAM.test(value)) {
    throw new InputProblem('GitHub logins or org/team slugs, comma separated')
  }
  return value
}

export function buildArgs(value: string): Record<string, string> {
  const args: Record<string, string> = {}
  for (const line of lines(value)) {
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq) : ''
    if (!ENV_KEY.test(key))
      throw new InputProblem('one KEY=VALUE a line, KEY made of letters, digits and _')
    args[key] = line.slice(eq + 1)
  }
  return args
}

/** One argument a line, or a JSON array of strings. Never a shell string: no shell ever runs it. */
export function commandArgs(value: string): string[] {
  let args: unknown
  if (value.trimStart().startsWith('[')) {
    try {
      args = JSON.parse(value)
    } catch {
      throw new InputProblem('a JSON array of strings, or one argument a line')
    }
  } else {
    args = lines(value)
  }
  if (
    !Array.isArray(args) ||
    args.length === 0 ||
    args.length > 256 ||
    !args.every(a => typeof a === 'string' && a.length > 0 && a.length <= 4096 && !a.includes('\0'))
  ) {
    throw new InputProblem(
      'a JSON array of non-empty strings, or one argument a line (at most 256)'
    )
  }
  return args as string[]
}

export function steps(value: string): number[] {
  const weights = list(value).map(step => integer(step, 1, 100))
  if (weights.some((w, i) => i > 0 && w <= weights[i - 1])) {
    throw new InputProblem('ascending weights from 1 to 100, comma separated, such as 10,25,50')
  }
  return weights
}

/** A Kubernetes object name that may contain dots (an HTTPRoute's): a DNS-1123 subdomain. */
export function dnsSubdomain(value: string): string {
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    throw new InputProblem(
      "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters"
    )
  }
  return value
}

// Gateway API's HTTPHeaderMatch: an RFC 7230 token name of at most 256, a value of 1 to 4096.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$/
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const HEADER_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]{1,4096}$/

/** `Name: value`, e.g. `X-Canary: always`: spaces around the value are dropped, as HTTP does. */
export function httpHeader(value: string): { name: string; value: string } {
  const colon = value.indexOf(':')
  const name = value.slice(0, Math.max(colon, 0)).trim()
  const given = value.slice(colon + 1).trim()
  if (colon < 0 || !HEADER_NAME.test(name) || !HEADER_VALUE.test(given)) {
    throw new InputProblem(
      "a header as `Name: value`, e.g. `X-Canary: always` (name: letters, digits and !#$%&'*+-.^_`|~, at most 256; value: 1 to 4096 characters, no control characters)"
    )
  }
  return { name, value: given }
}
