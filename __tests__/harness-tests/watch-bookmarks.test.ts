/**
 * Watch bookmarks as the watch cache sends them (cacheWatcher.nextBookmarkTime): about once a
 * minute, and once 2 s before the watch's timeoutSeconds ends it; the bookmark is the kind's empty
 * object, written as Go writes a zero value, with only a resourceVersion.
 */
import { startTestCluster, type TestCluster } from '../harness/cluster.js'

interface Event {
  type: string
  object: Record<string, unknown>
}

/** A raw watch, read to its end (the server closes it at timeoutSeconds). */
async function watchToEnd(cluster: TestCluster, path: string): Promise<Event[]> {
  const res = await fetch(cluster.url + path, { headers: { authorization: 'Bearer test-token' } })
  const text = await res.text()
  return text
    .split('\n')
    .filter(l => l.trim() !== '')
    .map(l => JSON.parse(l) as Event)
}

describe('test cluster: watch bookmarks', () => {
  let cluster: TestCluster
  beforeEach(async () => {
    cluster = await startTestCluster({ controllers: false })
  })
  afterEach(() => cluster.stop())

  it('sends one bookmark, 2 s before the timeout, to a short watch that allows them', async () => {
    const events = await watchToEnd(
      cluster,
      '/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=3'
    )
    expect(events.map(e => e.type)).toEqual(['BOOKMARK'])
  })

  it('sends no bookmark when the timeout leaves no 2 s before it', async () => {
    const events = await watchToEnd(
      cluster,
      '/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=2'
    )
    expect(events).toEqual([])
  })

  it('sends a pod bookmark as an empty Pod carrying the current resourceVersion', async () => {
    const events = await watchToEnd(
      cluster,
      '/api/v1/namespaces/default/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=3'
    )
    expect(events).toEqual([
      {
        type: 'BOOKMARK',
        object: {
          kind: 'Pod',
          apiVersion: 'v1',
          metadata: { resourceVersion: expect.stringMatching(/^\d+$/) },
          spec: { containers: null },
          status: {}
        }
      }
    ])
  })
})
