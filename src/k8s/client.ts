/**
 * Connecting to a cluster: finds the kubeconfig (the input, else KUBECONFIG, else ~/.kube/config,
 * else the in-cluster service account), masks every credential in it before anything can print
 * one, and connects to its context. The kubeconfig is loaded from memory: no file is written.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { KubeConfig } from '@kubernetes/client-node/dist/config.js'
import type { User } from '@kubernetes/client-node/dist/config_types.js'
import { GuardedKubeConfig } from './guarded-kubeconfig.js'
import { refuseUnsupported } from './kubeconfig-support.js'
import type { Logger } from '../logger.js'
import { isRecord } from '../json.js'

export interface ConnectOptions {
  /** The kubeconfig itself, as YAML or base64 of YAML (never a path). */
  kubeconfig?: string
  /** A context name from the kubeconfig; default its current-context. */
  context?: string
  namespace: string
  logger: Logger
  /** Where else a kubeconfig is looked for, as settings.ts read it from the environment. */
  env?: KubeconfigEnv
}

/** The environment variables that say where a kubeconfig is. */
export interface KubeconfigEnv {
  KUBECONFIG?: string
  HOME?: string
  KUBERNETES_SERVICE_HOST?: string
}

export interface Cluster {
  kubeConfig: KubeConfig
  /** The API server URL of the chosen context. */
  server: string
  namespace: string
  /** Stops every watch still open on this cluster. Safe to call twice. */
  dispose(): void
  /** Aborted by dispose(): long-running work (watches) listens to it. */
  readonly disposed: AbortSignal
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token'

/** Accepts the kubeconfig as YAML or as base64 of YAML (what people paste into a secret). */
export function decodeKubeconfig(input: string): string {
  const text = input.trim()
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && !text.includes(':')) {
    const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8')
    if (/(^|\n)\s*(apiVersion|clusters|kind)\s*:/.test(decoded)) return decoded
  }
  return input
}

/** Each secret a kubeconfig user entry can carry, plus the forms it travels in (base64, PEM body). */
export function credentialsOf(user: User): string[] {
  const secrets: string[] = []
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.trim().length >= 4) secrets.push(value.trim())
  }
  add(user.token)
  add(user.password)
  if (user.username && user.password)
    add(Buffer.from(`${user.username}:${user.password}`).toString('base64'))
  for (const data of [user.keyData, user.certData]) {
    if (!data) continue
    add(data)
    // The decoded PEM's body lines are what would show if it were ever printed.
    const pem = Buffer.from(data, 'base64').toString('utf8')
    for (const line of pem.split(/\r?\n/)) if (!line.startsWith('-----')) add(line)
  }
  const provider: unknown = user.authProvider
  if (isRecord(provider) && isRecord(provider.config)) {
    for (const [key, value] of Object.entries(provider.config)) {
      if (/token|secret|password|key/i.test(key)) add(value)
    }
  }
  const exec: unknown = user.exec
  if (isRecord(exec) && Array.isArray(exec.env)) {
    for (const entry of exec.env) if (isRecord(entry)) add(entry.value)
  }
  return secrets
}

/** Whether connect() has anything to connect with: the same search order as loadKubeConfig. */
export function hasKubeconfig(opts: Pick<ConnectOptions, 'kubeconfig' | 'env'>): boolean {
  const env = opts.env ?? {}
  if (opts.kubeconfig?.trim()) return true
  if (env.KUBECONFIG?.trim()) return true
  if (fs.existsSync(path.join(env.HOME || os.homedir(), '.kube', 'config'))) return true
  return Boolean(env.KUBERNETES_SERVICE_HOST) && fs.existsSync(SERVICE_ACCOUNT_TOKEN)
}

/** The password of a cluster's `proxy-url` (http://user:password@proxy:3128), as sent and as written. */
export function proxyCredentialsOf(proxyUrl: string | undefined): string[] {
  if (!proxyUrl) return []
  let url: URL
  try {
    url = new URL(proxyUrl)
  } catch {
    return []
  }
  if (!url.password) return []
  const password = decodeURIComponent(url.password)
  const userinfo = `${decodeURIComponent(url.username)}:${password}`
  return [password, url.password, Buffer.from(userinfo).toString('base64')].filter(
    (secret, i, all) => secret.length >= 4 && all.indexOf(secret) === i
  )
}

/** Masks every user's credentials, not only the current one's: any of them could be printed. */
function maskCredentials(kc: KubeConfig, logger: Logger): void {
  for (const user of kc.getUsers()) for (const secret of credentialsOf(user)) logger.mask(secret)
  for (const cluster of kc.getClusters())
    for (const secret of proxyCredentialsOf(cluster.proxyUrl)) logger.mask(secret)
}

/**
 * Masks each credential of a kubeconfig given as text, never the text itself: a runner masks line
 * by line, and every line of a kubeconfig masked would hide lines like `kind: Config` in every log.
 * Text that does not parse masks nothing more: connect() refuses it without quoting it.
 */
export function maskKubeconfigCredentials(input: string, logger: Logger): void {
  const text = input.trim()
  if (text !== '' && !text.includes('\n')) logger.mask(text)
  const kc = new KubeConfig()
  try {
    kc.loadFromString(decodeKubeconfig(input))
  } catch {
    return
  }
  maskCredentials(kc, logger)
}

function loadKubeConfig(opts: ConnectOptions): { kc: KubeConfig; source: string } {
  const kc = new GuardedKubeConfig(opts.logger)
  if (opts.kubeconfig && opts.kubeconfig.trim() !== '') {
    try {
      kc.loadFromString(decodeKubeconfig(opts.kubeconfig))
    } catch {
      // The parser's message may quote the input, so it is not repeated here.
      throw new Error('the kubeconfig input is neither kubeconfig YAML nor base64 of it')
    }
    return { kc, source: 'the kubeconfig input' }
  }
  const env = opts.env ?? {}
  const fromEnv = env.KUBECONFIG
  if (fromEnv && fromEnv.trim() !== '') {
    kc.loadFromDefault()
    return { kc, source: `KUBECONFIG (${fromEnv})` }
  }
  const home = path.join(env.HOME || os.homedir(), '.kube', 'config')
  if (fs.existsSync(home)) {
    kc.loadFromFile(home)
    return { kc, source: home }
  }
  if (env.KUBERNETES_SERVICE_HOST && fs.existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster()
    return { kc, source: 'the in-cluster service account' }
  }
  throw new Error(
    'no kubeconfig: give the kubeconfig input, set KUBECONFIG, create ~/.kube/config, or run inside the cluster'
  )
}

/** Finds the kubeconfig, masks its credentials, and connects the API clients to its context. */
export async function connect(opts: ConnectOptions): Promise<Cluster> {
  const { kc, source } = loadKubeConfig(opts)
  maskCredentials(kc, opts.logger)

  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map(c => c.name)
      throw new Error(
        `context "${opts.context}" is not in ${source} (it has: ${known.join(', ') || 'none'})`
      )
    }
    kc.setCurrentContext(opts.context)
  }
  const cluster = kc.getCurrentCluster()
  if (!cluster)
    throw new Error(
      `${source} has no current context with a cluster; name one with the context input`
    )
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new Error(
      `the server ${cluster.server} in ${source} is plain HTTP; that is allowed only with insecure-skip-tls-verify: true`
    )
  }
  if (cluster.skipTLSVerify)
    opts.logger.warning(
      `TLS verification of ${cluster.server} is off (insecure-skip-tls-verify in ${source})`
    )

  try {
    refuseUnsupported(kc)
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)} (in ${source})`)
  }
  // Credentials made at run time (exec plugins, the in-cluster token) are masked as they are made.
  try {
    await kc.applyToHTTPSOptions({})
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : 'unknown error'
    throw new Error(`could not get credentials for ${cluster.server} from ${source}: ${reason}`)
  }
  opts.logger.debug(`kubernetes: ${cluster.server} (from ${source}), namespace ${opts.namespace}`)

  const controller = new AbortController()
  return {
    kubeConfig: kc,
    server: cluster.server,
    namespace: opts.namespace,
    disposed: controller.signal,
    dispose: () => controller.abort(new Error('the cluster connection was disposed'))
  }
}
