/**
 * The undo log of a promotion: what it notes before and after each write, and what of it the step
 * state may hold (no Secret's data, a bounded size), against the test cluster.
 */
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node'
import { KEPT_BYTES, putBack, UndoLog, type Undoable } from '../../src/release/undo.js'
import { applyOf } from '../../src/release/writes.js'
import { MemoryLogger } from '../../src/logger.js'
import { NS, fixture, type Fixture } from '../k8s/helpers.js'

let f: Fixture
beforeEach(async () => {
  f = await fixture()
})
afterEach(() => f.stop())

const object = (kind: 'ConfigMap' | 'Secret', name: string, data: Record<string, string>) =>
  ({ apiVersion: 'v1', kind, metadata: { name, namespace: NS }, data }) as KubernetesObject
const base64 = (text: string) => Buffer.from(text).toString('base64')
const get = (kind: string, name: string) => f.tc.get<V1ConfigMap>(kind, NS, name)

describe('the undo log', () => {
  it('notes how to put back a write before making it, so a kill right after it is covered', async () => {
    f.tc.put(object('ConfigMap', 'shop-config', { GREETING: 'hello' }))
    const noted: Undoable[][] = []
    const undo = new UndoLog(f.cluster, kept => noted.push(kept))
    const write = applyOf('manifest', object('ConfigMap', 'shop-config', { GREETING: 'bonjour' }))
    const stop = f.tc.onRequest(request => {
      if (request.verb === 'patch') expect(noted.at(-1)?.[0].inverse?.verb).toBe('merge-patch')
    })
    await undo.perform(write)
    stop()
    expect(noted.at(-1)?.[0].inverse?.body).toEqual({ data: { GREETING: 'hello' } })
  })

  it('puts back what the apply changed, fields it dropped included, newest first', async () => {
    f.tc.put(object('ConfigMap', 'a', { KEEP: '1', OLD: '2' }))
    const undo = new UndoLog(f.cluster)
    await undo.perform(applyOf('manifest', object('ConfigMap', 'a', { KEEP: '1', OLD: '2' })))
    // Our field manager no longer names OLD: server-side apply removes it.
    await undo.perform(applyOf('manifest', object('ConfigMap', 'a', { KEEP: '1', NEW: '3' })))
    await undo.perform(applyOf('manifest', object('ConfigMap', 'b', { NEW: '3' })))
    expect(get('ConfigMap', 'a')?.data).toEqual({ KEEP: '1', NEW: '3' })

    const result = await putBack(f.cluster, undo.pending(), {
      logger: new MemoryLogger(),
      timeoutMs: 5_000
    })
    // The first apply changed nothing: there is nothing of it to put back.
    expect(result).toEqual({ restored: [`ConfigMap ${NS}/b`, `ConfigMap ${NS}/a`], failed: [] })
    expect(get('ConfigMap', 'a')?.data).toEqual({ KEEP: '1', OLD: '2' })
    expect(get('ConfigMap', 'b')).toBeUndefined()
  })

  it('keeps a Secret by name only in the step state, never its earlier data', async () => {
    f.tc.put(object('Secret', 'shop-db', { PASSWORD: base64('hunter2-earlier') }))
    const undo = new UndoLog(f.cluster)
    await undo.perform(
      applyOf('manifest', object('Secret', 'shop-db', { PASSWORD: base64('new') }))
    )
    expect(JSON.stringify(undo.kept())).not.toContain(base64('hunter2-earlier'))
    expect(undo.kept()).toEqual([
      expect.objectContaining({
        ref: expect.objectContaining({ name: 'shop-db' }),
        why: expect.stringContaining('Secret')
      })
    ])
    // In memory the run itself still puts it back.
    expect(JSON.stringify(undo.pending())).toContain(base64('hunter2-earlier'))
  })

  it('keeps at most KEPT_BYTES in the step state: past that, objects by name', async () => {
    const big = 'x'.repeat(KEPT_BYTES)
    f.tc.put(object('ConfigMap', 'big', { BLOB: big }))
    const undo = new UndoLog(f.cluster)
    await undo.perform(applyOf('manifest', object('ConfigMap', 'small', { A: '1' })))
    await undo.perform(applyOf('manifest', object('ConfigMap', 'big', { BLOB: 'y' })))
    const kept = undo.kept()
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThan(KEPT_BYTES)
    expect(kept.map(k => [k.ref.name, k.inverse?.verb ?? k.why])).toEqual([
      ['small', 'delete'],
      ['big', expect.stringContaining('did not fit in the step state')]
    ])
  })
})
