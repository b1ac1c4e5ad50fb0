/** A test cluster with a connected Cluster and a MemoryLogger, torn down together. */
import { startTestCluster, type TestCluster, type TestClusterOptions } from '../harness/cluster.js'
import type { RequestRecord } from '../harness/server.js'
import { connect, type Cluster } from '../../src/k8s/client.js'
import { MemoryLogger } from '../../src/logger.js'

export const NS = 'prod'

export interface Fixture {
  tc: TestCluster
  cluster: Cluster
  logger: MemoryLogger
  stop(): Promise<void>
}

export async function fixture(opts: TestClusterOptions = {}): Promise<Fixture> {
  const tc = await startTestCluster({ namespace: NS, ...opts })
  const logger = new MemoryLogger()
  const cluster = await connect({ kubeconfig: tc.kubeconfig, namespace: NS, logger })
  return {
    tc,
    cluster,
    logger,
    stop: async () => {
      cluster.dispose()
      await tc.stop()
    }
  }
}

/** Fast fault handling for tests: short stall window and backoff. */
export const FAST = { stallMs: 300, backoff: { baseMs: 20, capMs: 200 } }

export function count(requests: RequestRecord[], verb: string, resource?: string): number {
  return requests.filter(
    r => r.verb === verb && (resource === undefined || r.resource === resource)
  ).length
}

/** Resolves when pred holds, checking at each macrotask turn (test plumbing, not product code). */
export async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise(r => setTimeout(r, 2))
  }
}

/** The rejection of p (fails the test if p resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the promise to reject, it resolved')
}
