/**
 * Inputs -> one typed, validated Settings object. The only place inputs are read: main.ts hands in
 * the action's inputs, cli.ts its flags. Every bad input is reported at once, by name, before
 * anything touches a cluster, a registry or GitHub.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse } from 'yaml'
import { ACTION_INPUTS } from './action-inputs.js'
import type { KubeconfigEnv } from './k8s/client.js'
import * as build from './image/build-inputs.js'
import type { BuildOptions } from './image/types.js'
import { parseImageRef } from './image/image-ref.js'
import type { Check } from './analysis/checks.js'
import {
  defaultWindow,
  parseAnalysisConfig,
  parsePrometheusService,
  queryTemplate,
  type AnalysisLimits,
  type PrometheusLocation
} from './analysis/config.js'
import { loadManifests, ManifestError } from './k8s/manifests.js'
import * as v from './validate.js'

export const COMMANDS = ['deploy', 'promote', 'rollback', 'diff', 'cleanup'] as const
export const STRATEGIES = [
  'replicas',
  'ingress-host',
  'gateway',
  'ingress-weight',
  'rainbow'
] as const
export const CACHE_MODES = ['auto', 'registry', 'none'] as const

export type Command = (typeof COMMANDS)[number]
/**
 * The post step's command (post.ts): cleans up after a main step that was killed outright, from
 * what that step recorded as action state. Not an input value people choose.
 */
export const ABANDON = 'abandon'
export type CommandName = Command | typeof ABANDON
export type Strategy = (typeof STRATEGIES)[number]
export type CacheMode = (typeof CACHE_MODES)[number]

/** Reads one raw input by its action.yml name; '' when not given. */
export type InputReader = (name: string) => string

export interface Settings {
  command: CommandName
  /**
   * Where the cluster is. `kubeconfig` is the raw input (YAML or base64), undefined to auto-detect
   * from `env` (KUBECONFIG, then ~/.kube/config, then the in-cluster service account).
   */
  cluster: { kubeconfig?: string; context?: string; namespace: string; env: KubeconfigEnv }
  app: string
  /** Stable Deployments that take the new image; the first serves HTTP and is smoke-checked. */
  deployments: string[]
  container?: string
  /** Absolute paths of manifest files or folders, all inside the workspace. */
  manifests: string[]
  version: string
  image: {
    /** Repository to push to (build) or the image to deploy (no build). */
    name: string
    build: boolean
    context: string
    dockerfile: string
    buildArgs: Record<string, string>
    cache: CacheMode
    registry?: string
    username?: string
    password?: string
    /** Platforms, target, extra tags, labels, secrets and attestations of the build. */
    options: BuildOptions
  }
  migration?: { command: string[]; timeoutMs: number; backoffLimit: number }
  strategy: Strategy
  canary: {
    replicas: number
    host?: string
    weight: number
    steps: number[]
    stepIntervalMs: number
  }
  smoke: {
    url?: string
    port?: number | string
    healthPath: string
    versionPath: string
    expectedVersion: string
    timeoutMs: number
  }
  /** Bound on each rollout wait. */
  timeoutMs: number
  lockTimeoutMs: number
  approval: {
    approve: string
    digest?: string
    approvers: string[]
    /** promote takes a canary whose metric analysis was inconclusive. */
    acceptInconclusive: boolean
  }
  rollbackOnFailure: boolean
  rainbow: { keepReleases: number; drainMinAgeMs: number }
  /** Metric analysis of the canary; undefined: none. */
  analysis?: {
    checks: Check[]
    rounds: number
    intervalMs: number
    /** {{window}} of the checks' rate() and increase(). */
    windowMs: number
    limits: AnalysisLimits
    /** Pod label -> Prometheus label, where not the usual sanitised name. */
    labels: Record<string, string>
  }
  /** Where Prometheus is, for the analysis and drain-query; undefined: none given. */
  prometheus?: PrometheusLocation
  /** How cleanup measures a rainbow release's load; undefined: by age alone. */
  drain?: { query?: string; path?: string; threshold: number }
  /** The gateway strategy: the user's HTTPRoute (default: the app name) and the optional header rule. */
  gateway: { route: string; header?: { name: string; value: string } }
  diff: { baseRef?: string; comment: boolean }
  github: { token?: string; environment: string }
  /** Where this run comes from and who started it: the only place the environment is read for it. */
  run: RunContext
}

/**
 * The run: repository, commit, workflow run, job, actor, event, pull request. Read once, here, from
 * the GITHUB_* variables the runner sets; outside GitHub every field has a default that works.
 */
export interface RunContext {
  /** 'owner/repo'; empty outside GitHub unless GITHUB_REPOSITORY is set. */
  repository: string
  owner: string
  repo: string
  /** The commit (GITHUB_SHA; the CLI sets it from the checked-out HEAD); empty when unknown. */
  sha: string
  ref: string
  /** Kept as text: it goes into labels and URLs, never into arithmetic. Empty outside a run. */
  runId: string
  runAttempt: number
  job: string
  /** Who started the workflow (github.actor). */
  actor: string
  /** Who started this attempt (differs from actor on a re-run): the person an approval is about. */
  triggeringActor: string
  /** push, pull_request, workflow_dispatch...; 'local' outside GitHub. */
  event: string
  prNumber?: number
  /** The pull request's base branch (GITHUB_BASE_REF), what an offline diff compares with. */
  baseRef?: string
  serverUrl: string
  apiUrl: string
  /** Link to this run's page; undefined outside a GitHub Actions run. */
  workflowRunUrl?: string
  /** True when GITHUB_ACTIONS=true. */
  inActions: boolean
  /** The event says the repository is private (provenance then records less). */
  repositoryPrivate: boolean
  /**
   * Who decides whether promote may go on: GitHub (the actor's permission and `approvers`), or,
   * from a shell without a token, whoever holds cluster credentials.
   */
  approval: 'github' | 'cluster-credentials'
  /** Where relative paths are resolved: GITHUB_WORKSPACE, else the working directory. */
  workspace: string
  /** `owner/repo@sha run:<id>`: recorded on everything written (canary-deploy.dev/source). */
  source: string
  /**
   * The whole environment image builders give their tools (PATH, HOME, DOCKER_CONFIG, RUNNER_TEMP,
   * the Actions cache variables): this process's, less the action's inputs (INPUT_*, and the CLI's
   * CANARY_DEPLOY_*), which hold the kubeconfig, tokens and passwords no build tool needs.
   */
  toolEnv: Record<string, string>
  /**
   * An HTTP(S) proxy is set (https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY): GitHub API calls
   * then go through @actions/github's proxy-aware fetch.
   */
  viaProxy: boolean
}

export type ReadFile = (path: string) => string

export interface InputError {
  input: string
  given: string
  expected: string
}

export class SettingsError extends Error {
  constructor(readonly problems: InputError[]) {
    super(
      `Invalid input${problems.length > 1 ? 's' : ''}: ` +
        problems.map(p => `${p.input}: expected ${p.expected}, got ${p.given}`).join('; ')
    )
    this.name = 'SettingsError'
  }
}

/** Inputs whose values are never echoed back, even in an error. */
export const SECRET_INPUTS = new Set(['kubeconfig', 'registry-password', 'github-token', 'secrets'])
const MAX_INPUT_BYTES = 256 * 1024
const MAX_KUBECONFIG_BYTES = 1024 * 1024
const DEFAULTS = new Map(ACTION_INPUTS.map(input => [input.name, input.default]))

/** Shows a bad value safely: quoted, control characters escaped, long values cut, secrets hidden. */
function describeGiven(name: string, value: string): string {
  if (SECRET_INPUTS.has(name)) return '(value hidden)'
  if (value === '') return '(empty)'
  if (name.endsWith('-url')) return describeUrl(value)
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  return value.length > 60 ? `${shown} (${value.length} characters)` : shown
}

/**
 * A URL input without what can carry a credential (user:password@, the query, the fragment): such
 * a URL may come from a secret, and the runner masks only the whole secret, never a part of it.
 */
function describeUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `(not shown: ${value.length} characters that do not parse as a URL)`
  }
  const hidden = Boolean(url.username || url.password || url.search || url.hash)
  const shown = JSON.stringify(`${url.protocol}//${url.host}${url.pathname}`.slice(0, 60))
  return hidden ? `${shown} (credentials, query and fragment not shown)` : shown
}

export function readSettings(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  readFile: ReadFile = path => readFileSync(path, 'utf8')
): Settings {
  const problems: InputError[] = []
  const raw = (name: string): string => {
    if (!DEFAULTS.has(name))
      throw new Error(`settings.ts reads an input missing from action.yml: ${name}`)
    const given = read(name).trim()
    if (given !== '') return given
    // A default such as `${{ github.token }}` is only expanded by the runner; elsewhere it means none.
    const fallback = DEFAULTS.get(name) ?? ''
    return fallback.includes('${{') ? '' : fallback
  }
  /** Runs one check; a failure becomes a problem naming the input, and the result undefined. */
  const check = <T>(name: string, parse: (value: string) => T): T | undefined => {
    const value = raw(name)
    const limit = name === 'kubeconfig' ? MAX_KUBECONFIG_BYTES : MAX_INPUT_BYTES
    try {
      if (Buffer.byteLength(value) > limit) throw new v.InputProblem(`at most ${limit / 1024} KiB`)
      if (value.includes('\0')) throw new v.InputProblem('free of NUL characters')
      return parse(value)
    } catch (error) {
      const expected = error instanceof v.InputProblem ? error.message : 'valid'
      problems.push({ input: name, given: describeGiven(name, value), expected })
      return undefined
    }
  }
  const optional =
    <T>(parse: (value: string) => T) =>
    (value: string): T | undefined =>
      value === '' ? undefined : parse(value)
  const required =
    <T>(what: string, parse: (value: string) => T) =>
    (value: string): T => {
      if (value === '') throw new v.InputProblem(`${what} (required)`)
      return parse(value)
    }

  const token = check(
    'github-token',
    optional(value => boundedText(value, 4096))
  )
  const run = readRunContext(env, readFile, Boolean(token))
  const { workspace, sha, repository } = run

  const command = check('command', value =>
    value === ABANDON ? ABANDON : v.oneOf(value, COMMANDS)
  )
  const app = check('app', required('an app name', v.dnsLabel))
  const deployments = check('deployments', value => {
    const names = v.list(value).map(v.deploymentName)
    return names.length > 0 ? [...new Set(names)] : undefined
  })
  const build = check('build', v.boolean)
  const image = check('image', value => {
    if (value !== '') return v.imageRef(value)
    // On GitHub the repository's own GHCR package is the obvious home for its image.
    return repository ? v.imageRef(`ghcr.io/${repository.toLowerCase()}`) : ''
  })
  const version = check('version', value => {
    if (value !== '') return v.version(value)
    if (sha.length >= 7) return sha.slice(0, 7).toLowerCase()
    throw new v.InputProblem(
      'a version (required outside GitHub, where there is no GITHUB_SHA to default to)'
    )
  })
  const buildOptions = readBuildOptions(check, image, run)
  const buildContext = check('build-context', value => v.workspacePath(value, workspace))
  const dockerfile = check(
    'dockerfile',
    optional(value => v.workspacePath(value, workspace))
  )
  const migrateCommand = check('migrate-command', optional(v.commandArgs))
  const migrateTimeoutMs = check('migrate-timeout', value => v.duration(value, 10_000))
  const migrateBackoffLimit = check('migrate-backoff-limit', value => v.integer(value, 0, 10))
  const strategy = check('strategy', value => v.oneOf(value, STRATEGIES))
  const canaryHost = check('canary-host', optional(v.hostName))
  const route = check('route', optional(v.dnsSubdomain))
  const canaryHeader = check('canary-header', optional(v.httpHeader))
  const smokeUrl = check('smoke-url', optional(v.httpUrl))
  const smokePort = check(
    'smoke-port',
    optional(value => (/^\d+$/.test(value) ? v.integer(value, 1, 65535) : v.dnsLabel(value)))
  )
  const kubeconfig = check('kubeconfig', optional(kubeconfigText))
  const manifests = check('manifests', value => {
    const paths = v.lines(value).map(path => v.existingWorkspacePath(path, workspace))
    // Read now, so an oversized file or an alias bomb is refused before any cluster call.
    try {
      loadManifests(paths)
    } catch (error) {
      if (error instanceof ManifestError)
        throw new v.InputProblem(`readable manifests (${error.message})`)
      throw error
    }
    return paths
  })

  const namespace = check('namespace', v.dnsLabel)
  const analysis = check('analysis', optional(parseAnalysisConfig))
  const analysisIntervalMs = check('analysis-interval', value => v.duration(value, 1000, 3_600_000))
  const analysisRounds = check('analysis-rounds', value => v.integer(value, 1, 100))
  const prometheusUrl = check('prometheus-url', optional(v.baseUrl))
  const prometheusService = check(
    'prometheus-service',
    optional(value => parsePrometheusService(value, namespace ?? 'default'))
  )
  const drainQuery = check(
    'drain-query',
    optional(value => queryTemplate(value, ''))
  )
  const drainPath = check('drain-path', optional(v.urlPath))
  const drainThreshold = check('drain-threshold', decimal)
  const prometheus: PrometheusLocation | undefined = prometheusUrl
    ? { url: prometheusUrl }
    : prometheusService
      ? { service: prometheusService }
      : undefined

  const settings = {
    command,
    cluster: {
      kubeconfig,
      context: check(
        'context',
        optional(value => boundedText(value, 253))
      ),
      namespace,
      env: {
        KUBECONFIG: env.KUBECONFIG,
        HOME: env.HOME,
        KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST
      }
    },
    app,
    deployments: deployments ?? (app ? [app] : []),
    container: check('container', optional(v.dnsLabel)),
    manifests,
    version,
    image: {
      name: image,
      build,
      context: buildContext,
      dockerfile: dockerfile ?? (buildContext ? resolve(buildContext, 'Dockerfile') : undefined),
      buildArgs: check('build-args', v.buildArgs),
      cache: check('cache', value => v.oneOf(value, CACHE_MODES)),
      registry: check('registry', optional(v.registryHost)),
      username: check(
        'registry-username',
        optional(value => boundedText(value, 256))
      ),
      password: check(
        'registry-password',
        optional(value => boundedText(value, 4096))
      ),
      options: buildOptions
    },
    migration:
      migrateCommand && migrateTimeoutMs !== undefined && migrateBackoffLimit !== undefined
        ? {
            command: migrateCommand,
            timeoutMs: migrateTimeoutMs,
            backoffLimit: migrateBackoffLimit
          }
        : undefined,
    strategy,
    canary: {
      replicas: check('canary-replicas', value => v.integer(value, 1, 100)),
      host: canaryHost,
      weight: check('canary-weight', value => v.integer(value, 0, 100)),
      steps: check('steps', v.steps),
      stepIntervalMs: check('step-interval', value => v.duration(value, 1000, 3_600_000))
    },
    smoke: {
      url: smokeUrl,
      port: smokePort,
      healthPath: check('health-path', v.urlPath),
      versionPath: check('version-path', v.urlPath),
      expectedVersion: check('expected-version', value => boundedText(value, 256)) || version,
      timeoutMs: check('smoke-timeout', value => v.duration(value, 1000, 3_600_000))
    },
    timeoutMs: check('timeout', value => v.duration(value, 10_000)),
    lockTimeoutMs: check('lock-timeout', value => v.duration(value, 0, 3_600_000)),
    approval: {
      approve: check('approve', value => boundedText(value, 16)),
      digest: check('digest', optional(v.digest)),
      approvers: check('approvers', value => v.list(value).map(v.approver)),
      acceptInconclusive: check('accept-inconclusive', v.boolean)
    },
    rollbackOnFailure: check('rollback-on-failure', v.boolean),
    rainbow: {
      keepReleases: check('keep-releases', value => v.integer(value, 2, 100)),
      drainMinAgeMs: check('drain-min-age', value => v.duration(value, 0, 30 * 24 * 3_600_000))
    },
    analysis:
      analysis && analysisIntervalMs !== undefined && analysisRounds !== undefined
        ? {
            checks: analysis.checks,
            rounds: analysisRounds,
            intervalMs: analysisIntervalMs,
            windowMs: analysis.windowMs ?? defaultWindow(analysisIntervalMs),
            limits: analysis.limits,
            labels: analysis.labels
          }
        : undefined,
    prometheus,
    drain:
      (drainQuery || drainPath) && drainThreshold !== undefined
        ? { query: drainQuery, path: drainPath, threshold: drainThreshold }
        : undefined,
    gateway: { route: route ?? app, header: canaryHeader },
    diff: {
      baseRef: check('base-ref', optional(gitRef)),
      comment: check('comment', v.boolean)
    },
    github: {
      token,
      environment: check('environment', value => boundedText(value, 255, /^[^\s'"`$\\][^'"`$\\]*$/))
    },
    run
  }

  // Rules that join inputs: only meaningful once each input is valid on its own.
  if (command === 'deploy' && build === false && image === '') {
    problems.push({
      input: 'image',
      given: '(empty)',
      expected: 'the image to deploy (required with build: false)'
    })
  }
  if (command === 'deploy' && build === true && image === '') {
    problems.push({
      input: 'image',
      given: '(empty)',
      expected: 'the repository to push the build to, e.g. ghcr.io/org/app (required to build)'
    })
  }
  if (build === true && image && /[@]sha256:/.test(image)) {
    problems.push({
      input: 'image',
      given: describeGiven('image', image),
      expected: 'a repository without a digest when build is true (the build makes the digest)'
    })
  }
  // The approval names the image: promoting "whatever the canary runs" approves nothing.
  if (
    command === 'promote' &&
    !settings.approval.digest &&
    problems.every(p => p.input !== 'digest')
  ) {
    problems.push({
      input: 'digest',
      given: '(empty)',
      expected:
        'the image digest (sha256:...) being approved: the deploy run prints it in its summary and its `digest` output (rollback needs none)'
    })
  }
  if (strategy === 'ingress-host' && !canaryHost && (command === 'deploy' || command === 'diff')) {
    problems.push({
      input: 'canary-host',
      given: '(empty)',
      expected: 'the canary host name (required by the ingress-host strategy)'
    })
  }
  // Metrics need a Prometheus, exactly one.
  if (prometheusUrl && prometheusService) {
    problems.push({
      input: 'prometheus-service',
      given: describeGiven('prometheus-service', raw('prometheus-service')),
      expected: 'empty when prometheus-url is given (one Prometheus)'
    })
  }
  const noPrometheus = !prometheus && problems.every(p => !p.input.startsWith('prometheus-'))
  if (analysis && noPrometheus) {
    problems.push({
      input: 'prometheus-url',
      given: '(empty)',
      expected: 'the Prometheus the analysis queries: prometheus-url or prometheus-service'
    })
  }
  if (drainQuery && noPrometheus) {
    problems.push({
      input: 'drain-query',
      given: describeGiven('drain-query', drainQuery),
      expected:
        'a Prometheus to run it on (prometheus-url or prometheus-service), or drain-path instead'
    })
  }
  if (drainQuery && drainPath) {
    problems.push({
      input: 'drain-path',
      given: describeGiven('drain-path', drainPath),
      expected: 'empty when drain-query is given (one way to measure a release)'
    })
  }
  // Read by the gateway strategy only: refused rather than silently ignored with another.
  for (const [input, parsed] of Object.entries({ route, 'canary-header': canaryHeader })) {
    if (parsed !== undefined && strategy && strategy !== 'gateway') {
      problems.push({
        input,
        given: describeGiven(input, raw(input)),
        expected: `no value with the ${strategy} strategy (only the gateway strategy reads it)`
      })
    }
  }
  // The migration Job is named after the version: it must make a valid Job name, retries included.
  const jobName = `${app}-migrate-${version?.toLowerCase()}-10`
  if (
    app &&
    version &&
    migrateCommand &&
    (jobName.length > 63 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(jobName))
  ) {
    problems.push({
      input: 'version',
      given: describeGiven('version', version),
      expected: `a version that makes Job ${app}-migrate-<version>-<n> a valid name (letters, digits, '-' and '.', 63 characters at most)`
    })
  }
  if (problems.length > 0) throw new SettingsError(problems)
  return settings as Settings
}

type InputCheck = <T>(name: string, parse: (value: string) => T) => T | undefined

/** The build inputs, as docker/build-push-action names them. */
function readBuildOptions(
  check: InputCheck,
  image: string | undefined,
  run: RunContext
): BuildOptions {
  const repository = image ? repositoryOrUndefined(image) : undefined
  const provenance = check('provenance', build.provenance)
  const sbom = check('sbom', v.boolean)
  const runUrl = run.workflowRunUrl && `${run.workflowRunUrl}/attempts/${run.runAttempt}`
  const target = check('target', value => (value === '' ? undefined : build.target(value)))
  return {
    platforms: check('platforms', build.platforms) ?? [],
    ...(target ? { target } : {}),
    tags: check('tags', value => build.tags(value, repository)) ?? [],
    labels: check('labels', build.labels) ?? {},
    secrets: check('secrets', build.secrets) ?? [],
    attestations: build.attestations(provenance ?? 'default', sbom ?? false, {
      private: run.repositoryPrivate,
      builderId: runUrl
    })
  }
}

/** The repository part of an image reference, when it parses (a bad one is reported by `image`). */
function repositoryOrUndefined(image: string): string | undefined {
  try {
    return parseImageRef(image).name
  } catch {
    return undefined
  }
}

function boundedText(value: string, max: number, pattern?: RegExp): string {
  if (value.length > max || /[\r\n]/.test(value) || (pattern && value && !pattern.test(value))) {
    throw new v.InputProblem(
      `a single line of at most ${max} characters${pattern ? ' without quotes, $ or backslashes' : ''}`
    )
  }
  return value
}

/** A load threshold: a plain non-negative number such as 0, 5 or 0.5. */
function decimal(value: string): number {
  if (!/^\d{1,9}(\.\d{1,6})?$/.test(value)) {
    throw new v.InputProblem('a number of 0 or more, such as 0, 5 or 0.5')
  }
  return Number(value)
}

function gitRef(value: string): string {
  // git check-ref-format's rules, minus the ones that cannot matter for a read-only diff.
  if (
    !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/.test(value) ||
    value.includes('..') ||
    value.endsWith('.lock')
  ) {
    throw new v.InputProblem('a git ref such as main or origin/main')
  }
  return value
}

/** Raw YAML or base64 of it; checked here so a wrong secret fails before any connection. */
function kubeconfigText(value: string): string {
  const text =
    /^[A-Za-z0-9+/=\s]+$/.test(value) && !value.includes(':')
      ? Buffer.from(value, 'base64').toString('utf8')
      : value
  let doc: unknown
  try {
    doc = parse(text, { maxAliasCount: 50 })
  } catch {
    throw new v.InputProblem('a kubeconfig: YAML, or base64 of YAML')
  }
  const clusters =
    typeof doc === 'object' && doc !== null && 'clusters' in doc ? doc.clusters : undefined
  if (!Array.isArray(clusters) || clusters.length === 0) {
    throw new v.InputProblem('a kubeconfig with clusters, users and contexts')
  }
  for (const entry of clusters as unknown[]) {
    const server = (entry as { cluster?: { server?: unknown } } | null)?.cluster?.server
    if (typeof server !== 'string' || !/^https?:\/\/[^\s/]/.test(server)) {
      throw new v.InputProblem('a kubeconfig whose every cluster has an http(s) server URL')
    }
  }
  return text
}

const present = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const value = env[name]?.trim()
  return value ? value : undefined
}

/** The run context from the runner's GITHUB_* variables (and its event file, for the PR number). */
export function readRunContext(
  env: NodeJS.ProcessEnv,
  readFile: ReadFile,
  hasToken: boolean
): RunContext {
  const repository = present(env, 'GITHUB_REPOSITORY') ?? ''
  const [owner = '', repo = ''] = repository.includes('/') ? repository.split('/', 2) : ['', '']
  const serverUrl = (present(env, 'GITHUB_SERVER_URL') ?? 'https://github.com').replace(/\/+$/, '')
  const apiUrl = (present(env, 'GITHUB_API_URL') ?? 'https://api.github.com').replace(/\/+$/, '')
  const sha = present(env, 'GITHUB_SHA') ?? ''
  const runId = present(env, 'GITHUB_RUN_ID') ?? ''
  const attempt = Number.parseInt(present(env, 'GITHUB_RUN_ATTEMPT') ?? '1', 10)
  const actor = present(env, 'GITHUB_ACTOR') ?? present(env, 'USER') ?? 'unknown'
  const ref = present(env, 'GITHUB_REF') ?? ''
  const event = readEvent(present(env, 'GITHUB_EVENT_PATH'), readFile)
  const prNumber = pullRequestNumber(event) ?? pullRequestFromRef(ref)
  const inActions = env.GITHUB_ACTIONS === 'true'
  const baseRef = present(env, 'GITHUB_BASE_REF')
  return {
    repository,
    owner,
    repo,
    sha,
    ref,
    runId,
    runAttempt: Number.isFinite(attempt) && attempt > 0 ? attempt : 1,
    job: present(env, 'GITHUB_JOB') ?? '',
    actor,
    triggeringActor: present(env, 'GITHUB_TRIGGERING_ACTOR') ?? actor,
    event: present(env, 'GITHUB_EVENT_NAME') ?? 'local',
    ...(prNumber !== undefined ? { prNumber } : {}),
    ...(baseRef ? { baseRef } : {}),
    serverUrl,
    apiUrl,
    ...(repository && runId
      ? { workflowRunUrl: `${serverUrl}/${repository}/actions/runs/${runId}` }
      : {}),
    inActions,
    repositoryPrivate: field(field(event, 'repository'), 'private') === true,
    approval: inActions || hasToken ? 'github' : 'cluster-credentials',
    workspace: resolve(present(env, 'GITHUB_WORKSPACE') ?? process.cwd()),
    source: `${repository || 'local'}@${sha ? sha.slice(0, 12) : 'unknown'} run:${runId || 'local'}`,
    toolEnv: toolEnvironment(env),
    viaProxy: PROXY_VARIABLES.some(name => present(env, name) !== undefined)
  }
}

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']

/** The environment less the inputs: the runner's INPUT_<NAME> and the CLI's CANARY_DEPLOY_<NAME>. */
function toolEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !/^(INPUT_|CANARY_DEPLOY_)/.test(name)) out[name] = value
  }
  return out
}

function readEvent(path: string | undefined, readFile: ReadFile): unknown {
  if (!path) return undefined
  try {
    return JSON.parse(readFile(path)) as unknown
  } catch {
    // A missing or unreadable event file only costs the PR number, which the ref may still give.
    return undefined
  }
}

function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null
    ? (object as Record<string, unknown>)[key]
    : undefined
}

function pullRequestNumber(event: unknown): number | undefined {
  const fromPullRequest = field(field(event, 'pull_request'), 'number')
  if (typeof fromPullRequest === 'number') return fromPullRequest
  // issue_comment on a pull request: the issue carries a pull_request link.
  const issue = field(event, 'issue')
  const issueNumber = field(issue, 'number')
  if (field(issue, 'pull_request') !== undefined && typeof issueNumber === 'number')
    return issueNumber
  return undefined
}

function pullRequestFromRef(ref: string): number | undefined {
  const match = /^refs\/pull\/(\d+)\//.exec(ref)
  return match ? Number(match[1]) : undefined
}
