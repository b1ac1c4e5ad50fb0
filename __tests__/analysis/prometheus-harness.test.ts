/**
 * The test Prometheus itself: it scrapes real processes with the labels Kubernetes service
 * discovery and the usual relabelling give pods, and leaves nothing behind when stopped.
 */
import { access } from 'node:fs/promises'
import { startExampleApp } from '../harness/example-app.js'
import { startPrometheus } from '../harness/prometheus.js'

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('test Prometheus', () => {
  it('scrapes a pod with its pod labels, namespace and pod name as series labels', async () => {
    const prometheus = await startPrometheus()
    const app = await startExampleApp({ version: 'v1' })
    try {
      await prometheus.setTargets([
        {
          address: app.address,
          namespace: 'shop',
          pod: 'shop-web-6d4b9c-x1',
          podLabels: {
            app: 'shop-web',
            'canary-deploy.dev/track': 'stable',
            'pod-template-hash': '6d4b9c'
          }
        }
      ])

      expect(
        await prometheus.value(
          'up{namespace="shop", pod="shop-web-6d4b9c-x1", app="shop-web", canary_deploy_dev_track="stable", pod_template_hash="6d4b9c"}'
        )
      ).toBe(1)
    } finally {
      await app.stop()
      await prometheus.stop()
    }
  })

  it('stops its process and removes its storage', async () => {
    const prometheus = await startPrometheus()
    expect(isRunning(prometheus.pid)).toBe(true)

    await prometheus.stop()

    expect(isRunning(prometheus.pid)).toBe(false)
    await expect(access(prometheus.dir)).rejects.toThrow('ENOENT')
    await expect(fetch(`${prometheus.url}/-/ready`)).rejects.toThrow()
  })
})
