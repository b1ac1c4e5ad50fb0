/**
 * Replays recorded kube-apiserver v1.36.3 answers against the test cluster with raw HTTP and
 * compares status, content type and the JSON keys the recording shows; kubectl-only recordings
 * are checked for the facts they show. Every recording file must have an entry.
 */
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { lifecycleCases } from './cases-lifecycle.js'
import { readsCases } from './cases-reads.js'
import { writesCases } from './cases-writes.js'
import { readCase, readCaseText, recordingFiles, type RecordedAnswer } from './recording.js'
import { NS, project, token, type Check, type Entry, type Scenario } from './scenario.js'

const cases: Record<string, Entry> = { ...readsCases, ...writesCases, ...lifecycleCases }

function replayOf(e: Entry): { scenario: Scenario; controllers: boolean } | undefined {
  if (typeof e === 'function') return { scenario: e, controllers: false }
  if ('replay' in e) return { scenario: e.replay, controllers: e.controllers ?? true }
  return undefined
}

describe('conformance: recorded kube-apiserver v1.36.3 answers', () => {
  it('has a table entry for every recording file', () => {
    expect(Object.keys(cases).sort()).toEqual(recordingFiles())
  })

  const replayed = Object.entries(cases).flatMap(([file, e]): [string, Scenario, boolean][] => {
    const r = replayOf(e)
    return r ? [[file, r.scenario, r.controllers]] : []
  })
  const checked = Object.entries(cases).flatMap(([file, e]): [string, Check, boolean][] =>
    typeof e === 'object' && 'check' in e ? [[file, e.check, e.controllers ?? true]] : []
  )

  it('replays or checks every recording', () => {
    expect(replayed.length + checked.length).toBe(recordingFiles().length)
  })

  describe.each(replayed)('%s', (file, scenario, controllers) => {
    let cluster: TestCluster
    beforeEach(async () => {
      cluster = await startTestCluster({ controllers, namespace: NS, token })
    })
    afterEach(() => cluster.stop())

    it('answers with the recorded statuses, content types and bodies', async () => {
      const recorded: RecordedAnswer[] = readCase(file)
      const ours = await scenario(cluster, NS, readCaseText(file))
      expect(recorded.length).toBeGreaterThan(0)
      expect(ours.map(a => a.status)).toEqual(recorded.map(r => r.status))
      ours.forEach((a, i) => {
        const want = recorded[i]
        if (want.contentType) expect(a.contentType).toBe(want.contentType)
        expect(project(a.body, want.body)).toEqual(want.body)
      })
    })
  })

  describe.each(checked)('%s', (file, check, controllers) => {
    let cluster: TestCluster
    beforeEach(async () => {
      cluster = await startTestCluster({ controllers, namespace: NS, token })
    })
    afterEach(() => cluster.stop())

    it('shows the facts the kubectl recording shows', async () => {
      await check(cluster, NS, readCaseText(file))
    })
  })
})
