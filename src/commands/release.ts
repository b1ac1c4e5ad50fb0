/**
 * What the commands share about one release of one app: the live stable Deployments it starts
 * from, the release itself once its image is known, and how to promote it.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { Reads } from '../release/reads.js'
import { targetContainer, type Release } from '../release/render.js'
import type { Settings } from '../settings.js'

/** The live stable Deployments, in the order given; a missing one is an error naming it. */
export async function readStables(reads: Reads, settings: Settings): Promise<V1Deployment[]> {
  const stables: V1Deployment[] = []
  for (const name of settings.deployments) {
    const stable = await reads.read<V1Deployment>({ kind: 'Deployment', name })
    if (!stable) {
      throw new Error(
        `Deployment ${name} not found in namespace ${settings.cluster.namespace}: the deployments input names the stable Deployments, which must exist before a canary can be derived from them`
      )
    }
    // Fails early, naming the Deployment, when the container input matches nothing.
    targetContainer(
      stable.spec?.template.spec ?? { containers: [] },
      settings.container,
      `Deployment ${name}`
    )
    stables.push(stable)
  }
  return stables
}

/** The release of this run, once its image is known. */
export function releaseOf(
  settings: Settings,
  image: { imageRef: string; digest: string }
): Release {
  return {
    app: settings.app,
    version: settings.version,
    imageRef: image.imageRef,
    digest: image.digest,
    source: settings.run.source,
    container: settings.container
  }
}

/** The image the target container of a Deployment runs. */
export function imageOf(deployment: V1Deployment, settings: Settings): string {
  const spec = deployment.spec?.template.spec ?? { containers: [] }
  return (
    targetContainer(spec, settings.container, `Deployment ${deployment.metadata?.name}`).image ?? ''
  )
}

/** A word for a POSIX shell: as is when it holds nothing the shell reads, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w.,:/@=+-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`
}

/**
 * The exact workflow_dispatch inputs, then the CLI lines, that promote or roll back this release:
 * the CLI as a clone runs it (`node dist/cli.js`, README "From a shell"; the package is not on npm,
 * so there is no `canary-deploy` on PATH), with every input that finds this release again.
 */
export function promoteInstructions(settings: Settings, digest: string): string {
  const flags = (pairs: [string, string | undefined][]): string =>
    pairs.flatMap(([name, value]) => (value ? [`--${name} ${shellWord(value)}`] : [])).join(' ')
  const release = flags([
    ['app', settings.app],
    ['namespace', settings.cluster.namespace],
    ['context', settings.cluster.context],
    ['deployments', settings.deployments.join(',')],
    ['container', settings.container],
    ['strategy', settings.strategy === 'replicas' ? undefined : settings.strategy],
    ['version', settings.version]
  ])
  return [
    'Run the promote workflow (workflow_dispatch) with:',
    '',
    '| input | value |',
    '| --- | --- |',
    '| `command` | `promote` (or `rollback`) |',
    `| \`version\` | \`${settings.version}\` |`,
    `| \`digest\` | \`${digest}\` |`,
    '| `approve` | `true` |',
    '',
    "or from a shell, in a clone of canary-deploy (Node 24), with the promote identity's kubeconfig in `KUBECONFIG`:",
    '',
    '```sh',
    ...(settings.manifests.length > 0
      ? ['# with --manifests naming the same files, in a checkout of this repository']
      : []),
    `node dist/cli.js promote ${release} --digest ${digest} --approve true`,
    `node dist/cli.js rollback ${release}`,
    '```'
  ].join('\n')
}
