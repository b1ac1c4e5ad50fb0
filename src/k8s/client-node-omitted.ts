/**
 * The parts of @kubernetes/client-node that the bundle leaves out, each replaced by a refusal that
 * names what is missing. scripts/bundle.js puts this module in place of the modules its config.js
 * imports for them: the generated API clients (gen/index.js, 86% of the package, which also pull a
 * second undici), the oidc/azure/gcp auth providers (openid-client, jsonpath-plus) and the SOCKS
 * proxy (socks, socks-proxy-agent). canary-deploy talks to the API server through k8s/rest.ts, and
 * connect() refuses these kubeconfigs first (kubeconfig-support.ts), so only a new caller could reach a
 * refusal here: it then fails at once and says why.
 */
import type { Authenticator } from '@kubernetes/client-node/dist/auth.js'
import type { User } from '@kubernetes/client-node/dist/config_types.js'
import { unsupportedAuthProvider, unsupportedProxy } from './kubeconfig-support.js'

function notBundled(what: string): Error {
  return new Error(
    `${what} of @kubernetes/client-node is not in the canary-deploy bundle (scripts/bundle.js leaves it out)`
  )
}

/** An auth provider the bundle has no code for: it claims its users, then refuses them by name. */
class RefusedAuthProvider implements Authenticator {
  constructor(private readonly provider: string) {}
  isAuthProvider(user: User): boolean {
    return user?.authProvider?.name === this.provider
  }
  async applyAuthentication(user: User): Promise<void> {
    throw new Error(unsupportedAuthProvider(user.name, this.provider))
  }
}

export class OpenIDConnectAuth extends RefusedAuthProvider {
  constructor() {
    super('oidc')
  }
}

export class AzureAuth extends RefusedAuthProvider {
  constructor() {
    super('azure')
  }
}

export class GoogleCloudPlatformAuth extends RefusedAuthProvider {
  constructor() {
    super('gcp')
  }
}

/** gen/index.js: only KubeConfig.makeApiClient() uses these. */
export function createConfiguration(): never {
  throw notBundled('makeApiClient (the generated API clients)')
}

export class ServerConfiguration {
  constructor() {
    throw notBundled('makeApiClient (the generated API clients)')
  }
}

/** undici: only the generated clients' fetch dispatcher (KubeConfig.createDispatcher) uses these. */
export class Agent {
  constructor() {
    throw notBundled('the undici dispatcher of the generated API clients')
  }
}

export class ProxyAgent extends Agent {}

/** socks-proxy-agent and socks: a socks5:// proxy-url. */
export class SocksProxyAgent {
  constructor(proxyUrl: string) {
    throw new Error(unsupportedProxy(proxyUrl))
  }
}

export const SocksClient = {
  createConnection(): never {
    throw new Error(unsupportedProxy('socks'))
  }
}
