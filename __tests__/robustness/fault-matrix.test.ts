/**
 * Every command, every fault an API server (or the network before it) produces, at every stage:
 * each run ends green, or red with one line that says what failed (never a stack trace); stable
 * Deployments change only through a promotion; a failed deploy leaves no canary behind.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import type { RequestRecord, TestCluster } from '../harness/cluster.js'
import { NAMESPACE, NEW_DIGEST, STABLE_IMAGE, startShop, type Shop } from '../commands/fixture.js'

type Command = 'deploy' | 'promote' | 'rollback'

interface Fault {
  name: string
  inject(cluster: TestCluster): void
  /** The HTTP status the fault answers with, where the request log can show that it was met. */
  answers?: number
  /** Meets only watches: no cell for a stage after which the command watches nothing. */
  watchOnly?: boolean
}

interface Stage {
  name: string
  /** The request that starts the stage; undefined: before the command connects. */
  startsWith?: (r: RequestRecord) => boolean
  /** Whether the command still opens a watch from this stage on. */
  watchesAfter: boolean
  /**
   * The canary's pods stay ContainerCreating until the stage's first watch arrives, so the wait
   * cannot settle from its first LIST and the fault armed at the stage's start meets that watch.
   */
  holdsCanary?: boolean
}

const MIGRATE = '["bin/rails", "db:migrate"]'

const FAULTS: Fault[] = [
  {
    name: 'watch stream ended',
    watchOnly: true,
    // The stage's first request is usually the LIST before the WATCH: end what is open a little later too.
    inject: c => {
      c.faults.endWatches()
      setTimeout(() => c.faults.endWatches(), 50)
      setTimeout(() => c.faults.endWatches(), 250)
    }
  },
  // The commands give no way to shorten the watch stall window (60 s): a stall shorter than it,
  // events held and then delivered, is what the default must ride out.
  { name: 'watch stalled 1 s', watchOnly: true, inject: c => c.faults.stallWatches(1_000) },
  { name: '410 Gone (HTTP)', watchOnly: true, inject: c => c.faults.goneNext(1), answers: 410 },
  {
    name: '410 Gone (in stream)',
    watchOnly: true,
    inject: c => c.faults.goneNext(1, { inStream: true })
  },
  { name: '429 Retry-After 1', inject: c => c.faults.tooManyNext(1, 1), answers: 429 },
  { name: '500', inject: c => c.faults.errorNext(2, 500), answers: 500 },
  { name: '503', inject: c => c.faults.errorNext(2, 503), answers: 503 },
  {
    // Slow for a second and a half from the stage on: long enough to meet its requests.
    name: 'latency 200 ms',
    inject: c => {
      c.faults.latency(200)
      setTimeout(() => c.faults.latency(0), 1_500)
    }
  },
  { name: 'refused 1.5 s', inject: c => c.faults.refuseFor(1_500) }
]

const isCanary = (r: RequestRecord) => r.resource === 'deployments' && /-canary$/.test(r.name ?? '')
const isWait = (r: RequestRecord) => r.verb === 'list' || r.verb === 'watch'

const STAGES: Record<Command, Stage[]> = {
  deploy: [
    { name: 'before connect', watchesAfter: true },
    {
      name: 'migration wait',
      startsWith: r => r.resource === 'jobs' && isWait(r),
      watchesAfter: true
    },
    {
      name: 'canary rollout wait',
      startsWith: r => r.resource === 'deployments' && isWait(r),
      watchesAfter: true,
      holdsCanary: true
    },
    { name: 'smoke', startsWith: r => r.subresource === 'proxy', watchesAfter: false }
  ],
  promote: [
    { name: 'before connect', watchesAfter: true },
    // The promotion waits for each stable rollout after the smoke checks.
    { name: 'smoke', startsWith: r => r.subresource === 'proxy', watchesAfter: true },
    {
      name: 'promotion',
      startsWith: r =>
        r.method === 'PATCH' && r.resource === 'deployments' && !isCanary(r) && !r.dryRun,
      watchesAfter: true
    }
  ],
  rollback: [
    { name: 'before connect', watchesAfter: false },
    {
      name: 'canary removal',
      startsWith: r => r.verb === 'delete' && isCanary(r),
      watchesAfter: false
    }
  ]
}

interface Cell {
  command: Command
  stage: Stage
  fault: Fault
}

const CELLS: Cell[] = (Object.keys(STAGES) as Command[]).flatMap(command =>
  STAGES[command].flatMap(stage =>
    FAULTS.filter(fault => stage.watchesAfter || !fault.watchOnly).map(fault => ({
      command,
      stage,
      fault
    }))
  )
)

const outcomes: string[] = []
let green = 0
let redWithMessage = 0

afterAll(() => {
  console.log(
    `fault matrix: ${CELLS.length} cells, ${green} green, ${redWithMessage} red-with-message\n${outcomes.join('\n')}`
  )
})

let shop: Shop
afterEach(async () => {
  shop.cluster.faults.clear()
  await shop.stop()
})

const deployment = (name: string) => shop.cluster.get<V1Deployment>('Deployment', NAMESPACE, name)
const imageOf = (name: string) => deployment(name)?.spec?.template.spec?.containers[0].image

/** A command run the way a maintainer's shell would: no GitHub, the cluster credentials approve. */
function run(command: Command) {
  const inputs: Record<string, string> =
    command === 'deploy'
      ? { 'migrate-command': MIGRATE }
      : command === 'promote'
        ? { approve: 'true', digest: NEW_DIGEST }
        : {}
  return shop.run(command, { 'lock-timeout': '10s', ...inputs })
}

describe('fault matrix', () => {
  test.each(CELLS.map(c => [c.command, c.stage.name, c.fault.name, c] as const))(
    '%s, %s, %s: green, or red with a message',
    async (command, stageName, faultName, cell) => {
      shop = await startShop()
      if (command !== 'deploy') {
        const deployed = await run('deploy')
        expect(deployed.report.status).toBe('success')
      }
      const before = shop.stableSpecs()
      shop.cluster.resetRequests()

      let injected = false
      const inject = () => {
        injected = true
        cell.fault.inject(shop.cluster)
      }
      const { startsWith } = cell.stage
      const canaryPods = { pod: /-canary-/ }
      let held = cell.stage.holdsCanary === true
      if (held) shop.cluster.kubelet.behave(canaryPods, { kind: 'hold' })
      if (!startsWith) inject()
      const unsubscribe = shop.cluster.onRequest(r => {
        if (!injected && startsWith?.(r)) inject()
        if (held && injected && r.verb === 'watch') {
          held = false
          shop.cluster.kubelet.release(canaryPods)
        }
      })
      const result = await run(command).finally(unsubscribe)
      shop.cluster.faults.clear()

      const { status, reason } = result.report
      const cellName = `${command} | ${stageName} | ${faultName}`
      expect({ cell: cellName, injected }).toEqual({ cell: cellName, injected: true })
      if (cell.stage.holdsCanary) {
        // The wait had to watch: the canary was not ready at its first LIST.
        expect({ cell: cellName, watched: !held }).toEqual({ cell: cellName, watched: true })
      }
      if (cell.fault.answers) {
        const met = shop.cluster.requests.some(r => r.status === cell.fault.answers)
        expect({ cell: cellName, met }).toEqual({ cell: cellName, met: true })
      }
      const ok = status === 'success' || status === 'no-op'
      outcomes.push(`  ${ok ? 'green' : 'red  '} ${cellName}${ok ? '' : `: ${reason}`}`)

      if (!ok) {
        // Red with the reason a person needs: one line, naming what failed, no stack trace.
        expect(reason).toEqual(expect.any(String))
        expect(reason).not.toMatch(/\n/)
        expect(reason).toMatch(
          /shop|deployments?|pods?|jobs?|leases?|lock|canary|migration|smoke|127\.0\.0\.1/i
        )
        const everything = JSON.stringify(result.report)
        expect(everything).not.toMatch(/\\n\s+at \S+ \(|\bat (async )?\S+\.(js|ts):\d+/)
      }

      // Stable Deployments change only through a promotion that succeeded, or not at all.
      if (command === 'promote' && ok) {
        expect(imageOf('shop-web')).not.toBe(STABLE_IMAGE)
      } else if (command === 'promote') {
        expect(imageOf('shop-web')).toBe(STABLE_IMAGE)
        expect(imageOf('shop-worker')).toBe(STABLE_IMAGE)
      } else {
        expect(shop.stableSpecs()).toBe(before)
      }
      // A failed deploy (rollback-on-failure: true by default) orphans no canary.
      if (command === 'deploy' && !ok) {
        expect(deployment('shop-web-canary')).toBeUndefined()
        expect(deployment('shop-worker-canary')).toBeUndefined()
      }
      if (command === 'rollback' && ok) expect(deployment('shop-web-canary')).toBeUndefined()
      if (ok) green++
      else redWithMessage++
    },
    30_000
  )
})
