/**
 * What each command costs against the in-process test cluster, build skipped:
 * - API requests of a clean deploy, promote, rollback and diff, by verb and resource, checked
 *   against at most 2 LIST + 2 WATCH per waited resource and no polling loop;
 * - the action's own overhead: deploy wall time minus the pod start time the cluster was told to
 *   take (median of a few fresh clusters);
 * - scale: deploy of one app with 20 stable Deployments.
 * (The bundle's start-up and memory are in bench/bundle.ts.)
 */
import type { RequestRecord } from '../__tests__/harness/server.js'
import { median, round, type Row } from './row.js'
import { DIGEST, startShop } from './shop.js'

/** What the cluster is made to take per round of pod starts in the overhead trials. */
const POD_START_MS = 500
const OVERHEAD_TRIALS = 3
const OVERHEAD_TARGET_MS = 1000
/**
 * Two pod starts long enough for every wait to open its watches: a polling loop reads more in the
 * slower run, a watch does not. (Against a 20 ms start, a wait that finishes before its pods'
 * watch opens would look like a loop: it is not one.)
 */
const SLOW_POD_START_MS = 1500
const SLOWER_POD_START_MS = 3000

const PROMOTE = { approve: 'true', digest: DIGEST }

function resourceOf(r: RequestRecord): string {
  return r.subresource ? `${r.resource}/${r.subresource}` : r.resource
}

/** "list pods 2, watch pods 2, ..." in request order of first appearance. */
function byVerbAndResource(requests: RequestRecord[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of requests) {
    const key = `${r.verb}${r.dryRun ? ' (dry-run)' : ''} ${resourceOf(r)}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

/** Any verb and resource read more often in the slower run than in the slow one polls. */
function pollingLoops(fast: Map<string, number>, slow: Map<string, number>): string[] {
  return [...slow]
    .filter(([key, n]) => n > (fast.get(key) ?? 0))
    .map(([key, n]) => `${key} ${fast.get(key) ?? 0} -> ${n}`)
}

interface CommandCase {
  command: string
  inputs: Record<string, string>
  /** Resources the command waits on (each a watch-based wait). */
  waited: number
}

function requestRows(
  c: CommandCase,
  requests: RequestRecord[],
  slow: RequestRecord[],
  slower: RequestRecord[]
): Row[] {
  const lists = requests.filter(r => r.verb === 'list').length
  const watches = requests.filter(r => r.verb === 'watch').length
  const counts = byVerbAndResource(requests)
  const loops = pollingLoops(byVerbAndResource(slow), byVerbAndResource(slower))
  const ok = lists <= 2 * c.waited && watches <= 2 * c.waited
  return [
    {
      name: `requests: ${c.command} (${c.waited} waited) total — ${lists} LIST, ${watches} WATCH`,
      value: requests.length,
      unit: 'requests',
      target: `<= ${2 * c.waited} LIST + ${2 * c.waited} WATCH`,
      met: ok
    },
    ...[...counts].map(([key, n]) => ({
      name: `  ${c.command}: ${key}`,
      value: n,
      unit: 'requests',
      target: '',
      met: null
    })),
    {
      name: `requests: ${c.command} polling loops (reads growing from a ${SLOW_POD_START_MS} to a ${SLOWER_POD_START_MS} ms pod start)${loops.length ? `: ${loops.join(', ')}` : ''}`,
      value: loops.length,
      unit: 'loops',
      target: '0',
      met: loops.length === 0
    }
  ]
}

const CASES = (n: number): CommandCase[] => [
  // The migration Job and each canary Deployment.
  { command: 'deploy', inputs: { 'migrate-command': 'bin/migrate' }, waited: n + 1 },
  // Each stable Deployment rolls out the canary's image.
  { command: 'promote', inputs: PROMOTE, waited: n },
  // Only sets up the rollback; not measured.
  { command: 'deploy', inputs: { version: 'v3' }, waited: n },
  // Each canary is deleted.
  { command: 'rollback', inputs: { version: 'v3' }, waited: n },
  { command: 'diff', inputs: { version: 'v4' }, waited: 0 }
]

/** Runs the clean sequence and returns each measured command's requests. */
async function requestSequence(podStartMs: number): Promise<Map<string, RequestRecord[]>> {
  const shop = await startShop(2, podStartMs)
  try {
    const byCommand = new Map<string, RequestRecord[]>()
    for (const c of CASES(shop.deployments.length)) {
      shop.cluster.resetRequests()
      await shop.run(c.command, c.inputs)
      await shop.cluster.settle()
      if (!byCommand.has(c.command)) byCommand.set(c.command, [...shop.cluster.requests])
    }
    return byCommand
  } finally {
    await shop.stop()
  }
}

/** deploy (with a migration), promote, rollback (after a second deploy), diff: one clean run each. */
async function requestsPerCommand(): Promise<Row[]> {
  const fast = await requestSequence(20)
  const slow = await requestSequence(SLOW_POD_START_MS)
  const slower = await requestSequence(SLOWER_POD_START_MS)
  const rows: Row[] = []
  for (const c of CASES(2)) {
    const requests = fast.get(c.command)
    if (!requests || rows.some(r => r.name.startsWith(`requests: ${c.command} `))) continue
    rows.push(...requestRows(c, requests, slow.get(c.command) ?? [], slower.get(c.command) ?? []))
  }
  return rows
}

/** Deploy wall time minus what the cluster was made to take: one round of pod starts. */
async function overhead(
  processTypes: number,
  trials: number
): Promise<{ ms: number; requests: RequestRecord[] }> {
  const times: number[] = []
  let requests: RequestRecord[] = []
  for (let i = 0; i < trials; i++) {
    const shop = await startShop(processTypes, POD_START_MS)
    try {
      shop.cluster.resetRequests()
      const { ms } = await shop.run('deploy')
      times.push(ms - POD_START_MS)
      requests = [...shop.cluster.requests]
    } finally {
      await shop.stop()
    }
  }
  return { ms: median(times), requests }
}

async function guarded(name: string, rows: () => Promise<Row[]>): Promise<Row[]> {
  try {
    return await rows()
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return [{ name, value: null, unit: '', target: `skipped: ${reason}`, met: null }]
  }
}

export async function benchCommands(): Promise<Row[]> {
  return [
    ...(await guarded('requests per command', requestsPerCommand)),
    ...(await guarded('overhead', async () => {
      const small = await overhead(2, OVERHEAD_TRIALS)
      return [
        {
          name: `overhead: deploy wall time minus ${POD_START_MS} ms pod start (2 Deployments, median of ${OVERHEAD_TRIALS})`,
          value: round(small.ms, 0),
          unit: 'ms',
          target: `< ${OVERHEAD_TARGET_MS} ms`,
          met: small.ms < OVERHEAD_TARGET_MS
        }
      ]
    })),
    ...(await guarded('scale: 20 Deployments', async () => {
      const big = await overhead(20, 1)
      return [
        {
          name: `scale: deploy with 20 stable Deployments, wall time minus ${POD_START_MS} ms pod start`,
          value: round(big.ms, 0),
          unit: 'ms',
          target: `< ${OVERHEAD_TARGET_MS} ms`,
          met: big.ms < OVERHEAD_TARGET_MS
        },
        ...requestRows(
          { command: 'deploy with 20 stable Deployments', inputs: {}, waited: 20 },
          big.requests,
          big.requests,
          big.requests
        ).slice(0, 1)
      ]
    }))
  ]
}
