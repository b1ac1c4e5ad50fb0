/**
 * Which kubeconfig credentials and proxies canary-deploy can use: a token, a client certificate,
 * basic auth, an exec credential plugin, the in-cluster service account (a token file) and an
 * http(s) proxy-url. The auth-provider plugins (oidc, azure, gcp: the last two are gone from kubectl
 * since 1.26) and SOCKS proxies are refused before any request, by name, with what to use instead.
 */
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js'
import { isRecord } from '../json.js'

export function unsupportedAuthProvider(user: string, provider: string): string {
  return (
    `kubeconfig user "${user}" uses auth-provider "${provider}", which canary-deploy does not support: ` +
    'give it a token, a client certificate or an exec credential plugin instead' +
    (provider === 'oidc' ? ' (for OIDC, kubelogin as an exec plugin)' : '')
  )
}

export function unsupportedProxy(proxyUrl: string): string {
  const scheme = proxyUrl.split(':')[0]
  return `the kubeconfig proxy-url is a ${scheme} proxy, which canary-deploy does not support: use an http:// or https:// proxy`
}

/** An auth-provider entry client-node serves without the left-out plugins: a token file or exec. */
function isServedAuthProvider(provider: unknown): boolean {
  if (!isRecord(provider)) return true
  const config = provider.config
  if (isRecord(config) && (config.tokenFile || config.exec)) return true
  return provider.name === 'exec'
}

/** Throws, naming the kubeconfig entry, when the current context needs what is not supported. */
export function refuseUnsupported(kc: KubeConfig): void {
  const user = kc.getCurrentUser()
  const provider: unknown = user?.authProvider
  if (user && provider !== undefined && !isServedAuthProvider(provider)) {
    const name = isRecord(provider) && typeof provider.name === 'string' ? provider.name : '?'
    throw new Error(unsupportedAuthProvider(user.name, name))
  }
  const proxyUrl = kc.getCurrentCluster()?.proxyUrl
  if (proxyUrl && !/^https?:\/\//i.test(proxyUrl)) throw new Error(unsupportedProxy(proxyUrl))
}
