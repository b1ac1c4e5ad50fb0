/**
 * Replays recorded kube-apiserver v1.36.3 answers against the test cluster with raw HTTP and
 * compares status and the JSON keys the recording shows; kubectl-only recordings are checked for
 * the facts they show. Every recording file must have an entry.
 */
import { startTestCluster, type TestCluster } from '../harness/cluster.js'
import { lifecycleCases } from './cases-lifecycle.js'
import { readsCases } from './cases-reads.js'
import { writesCases } from './cases-writes.js'
import { readCase, readCaseText, recordingFiles, type RecordedAnswer } from './recording.js'
import { project, token, type Check, type Entry, type Scenario } from './scenario.js'

const cases: Record<string, Entry> = { ...readsCases, ...writesCases, ...lifecycleCases }

describe('conformance: recorded kube-apiserver v1.36.3 answers', () => {
  it('has a table entry for every recording file', () => {
    expect(Object.keys(cases).sort()).toEqual(recordingFiles())
  })

  const replayed = Object.entries(cases).filter(
    (e): e is [string, Scenario] => typeof e[1] === 'function'
  )
  const checked = Object.entries(cases).flatMap(([file, e]): [string, Check, boolean][] =>
    typeof e === 'object' && 'check' in e ? [[file, e.check, e.controllers ?? true]] : []
  )

  // Listed in the run as todo until each is replayed or checked.
  for (const [file, e] of Object.entries(cases)) {
    if (typeof e === 'object' && 'pending' in e) it.todo(`${file}: ${e.pending}`)
  }

  describe.each(replayed)('%s', (file, scenario) => {
    let cluster: TestCluster
    beforeEach(async () => {
      cluster = await startTestCluster({ controllers: false, namespace: 'replay', token })
    })
    afterEach(() => cluster.stop())

    it('answers with the recorded statuses and bodies', async () => {
      const recorded: RecordedAnswer[] = readCase(file)
      const ours = await scenario(cluster, 'replay')
      expect(ours.map(a => a.status)).toEqual(recorded.map(r => r.status))
      ours.forEach((a, i) => {
        expect(project(a.body, recorded[i].body, 'replay')).toEqual(recorded[i].body)
      })
    })
  })

  describe.each(checked)('%s', (file, check, controllers) => {
    let cluster: TestCluster
    beforeEach(async () => {
      cluster = await startTestCluster({ controllers, namespace: 'replay', token })
    })
    afterEach(() => cluster.stop())

    it('shows the facts the kubectl recording shows', async () => {
      await check(cluster, 'replay', readCaseText(file))
    })
  })
})
