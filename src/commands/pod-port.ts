/**
 * The port the API server's pod proxy calls on a release's pods (smoke checks, drain-path): the
 * smoke-port input, else the target container's first port, resolved to a number per pod.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node'
import { targetContainer } from '../release/render.js'
import type { Settings } from '../settings.js'

/** The port the pod proxy calls, as given: the input, else the target container's first port. */
export function proxyPort(release: V1Deployment, settings: Settings): number | string {
  if (settings.smoke.port !== undefined) return settings.smoke.port
  const container = targetContainer(
    release.spec?.template.spec ?? { containers: [] },
    settings.container
  )
  const port = container.ports?.[0]
  if (!port) {
    throw new Error(
      `container ${container.name} of ${release.metadata?.name} declares no port for the pod proxy to call (smoke checks, drain-path): set smoke-port`
    )
  }
  return port.name ?? port.containerPort
}

/**
 * The port NUMBER of that pod: kube-apiserver's pod proxy joins the podIP with the port as given and
 * never resolves a name (a named port breaks the connection), so a name is looked up in the pod's own
 * spec, per pod.
 */
export function podPortNumber(pod: V1Pod, port: number | string): number {
  if (typeof port === 'number') return port
  const ports = (pod.spec?.containers ?? []).flatMap(container => container.ports ?? [])
  const named = ports.find(candidate => candidate.name === port)
  if (named) return named.containerPort
  const declared = ports.map(p =>
    p.name ? `${p.name}=${p.containerPort}` : String(p.containerPort)
  )
  throw new Error(
    `pod ${pod.metadata?.name} has no container port named ${port} (its ports: ${declared.join(', ') || 'none'}): set smoke-port to one of them`
  )
}
