/**
 * `npm run demo`: the main job on the bundled example, on any machine. Without --kubeconfig it
 * starts the project's own test cluster (a SIMULATED Kubernetes API server, in this process), loads
 * examples/k8s as the live stable release, and runs `canary-deploy deploy` against it: a real
 * buildah build pushed to a local registry when buildah is installed, `build: false` otherwise.
 * With --kubeconfig <file> it runs the same deploy against that real cluster instead.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createInterface } from 'node:readline'
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node'
import { startTestCluster } from '../__tests__/harness/cluster.js'
import { buildahSandbox } from '../__tests__/harness/buildah.js'
import { startRegistry } from '../__tests__/harness/registry.js'
import { cli } from '../src/cli.js'
import { loadManifests } from '../src/k8s/manifests.js'
import { flagValue, realClusterDeployArgs, VERSION_BUILD_ARG } from './demo-real-cluster.js'

const say = (text: string): void => {
  process.stderr.write(`demo: ${text}\n`)
}

function hasBuildah(): boolean {
  try {
    execFileSync('buildah', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A real process of examples/app/server.js answering as one release. */
async function startExampleApp(version: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['examples/app/server.js'], {
    env: { ...process.env, PORT: '0', APP_VERSION: version },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const lines = createInterface({ input: child.stdout! })
  for await (const line of lines) {
    const port = /listening on :(\d+)/.exec(line)?.[1]
    if (port) return { port: Number(port), child }
  }
  throw new Error('examples/app/server.js did not start')
}

/** A fresh version each run, so a demo never meets an earlier run's release of the same name. */
const demoVersion = (): string => `demo-${Date.now().toString(36).slice(-5)}`

const runCli = (argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> =>
  cli(
    argv,
    {
      stdout: t => process.stdout.write(t),
      stderr: t => process.stderr.write(t),
      env
    },
    new AbortController().signal
  )

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const at = args.indexOf('--kubeconfig')
  const common = ['--app', 'shop', '--namespace', 'shop', '--deployments', 'shop-web,shop-worker']
  if (at >= 0) {
    const path = args[at + 1]
    const rest = args.filter((_, i) => i !== at && i !== at + 1)
    if (!path || flagValue(rest, 'image') === undefined) {
      say(
        'a real cluster needs the image to deploy: npm run demo -- --kubeconfig FILE --image REGISTRY/REPO ' +
          '(built from examples/app and pushed; add --registry-username and CANARY_DEPLOY_REGISTRY_PASSWORD), ' +
          'or --build false --image REF@sha256:DIGEST for an image that exists'
      )
      return 2
    }
    if (!existsSync(path)) {
      say(`--kubeconfig ${path}: no such file; give the path of your kubeconfig file`)
      return 2
    }
    say(`deploying examples/ to the REAL cluster in ${path}`)
    // The kubeconfig goes through the environment, never argv, where other users could read it.
    const env = { ...process.env, CANARY_DEPLOY_KUBECONFIG: readFileSync(path, 'utf8') }
    return runCli(realClusterDeployArgs(common, rest, demoVersion()), env)
  }

  say(
    "starting a SIMULATED cluster: the project's in-process Kubernetes API test server (__tests__/harness), not a real cluster"
  )
  const cluster = await startTestCluster({ namespace: 'shop' })
  const apps: ChildProcess[] = []
  const registry = hasBuildah() ? await startRegistry() : undefined
  // Its own buildah storage (vfs, chroot isolation) in a temp dir: nothing of the machine's is touched.
  const sandbox = registry ? await buildahSandbox() : undefined
  Object.assign(process.env, sandbox?.env)
  try {
    for (const object of loadManifests(['examples/k8s'])) cluster.put(object as KubernetesObject)
    await cluster.settle()
    // The migration Job's pods are simulated too: they run to the end, as examples/app/migrate.js does.
    cluster.kubelet.behave(
      { pod: /-migrate-/ },
      { kind: 'succeed', logs: ['migrated to the new version'] }
    )
    say('loaded examples/k8s as the live stable release (shop-web, shop-worker)')

    // Pods are simulated, but what they answer is real: each version is examples/app/server.js.
    const version = demoVersion()
    const stable = await startExampleApp('initial')
    const canary = await startExampleApp(version)
    apps.push(stable.child, canary.child)
    const portOf = (pod: V1Pod): number =>
      pod.metadata?.labels?.['canary-deploy.dev/track'] === 'canary' ? canary.port : stable.port
    cluster.kubelet.serve({ label: { app: 'shop-web' } }, pod => (req, res) => {
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: portOf(pod),
          path: req.url,
          method: req.method,
          headers: req.headers
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      req.pipe(upstream)
    })

    const image = registry
      ? [
          '--build',
          'true',
          '--image',
          `${registry.host}/shop`,
          '--build-context',
          'examples/app',
          '--dockerfile',
          'examples/app/Dockerfile.offline',
          '--build-args',
          `${VERSION_BUILD_ARG}=${version}`,
          '--cache',
          'none'
        ]
      : ['--build', 'false', '--image', `registry.example.com/shop/app@sha256:${'d'.repeat(64)}`]
    say(
      registry
        ? `buildah found: building examples/app for real and pushing to the local registry ${registry.host}`
        : 'buildah not installed: deploying with build: false (no image is built)'
    )
    return await runCli([
      'deploy',
      ...common,
      '--kubeconfig',
      cluster.kubeconfig,
      '--version',
      version,
      '--migrate-command',
      '["node", "migrate.js"]',
      '--timeout',
      '1m',
      '--smoke-timeout',
      '20s',
      ...image,
      ...args
    ])
  } finally {
    for (const app of apps) app.kill()
    await registry?.stop()
    await sandbox?.dispose()
    await cluster.stop()
  }
}

process.exitCode = await main()
