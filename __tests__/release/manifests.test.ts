import type { KubernetesObject } from '@kubernetes/client-node'
import { substituteImage } from '../../src/release/manifests.js'

describe('substituteImage', () => {
  const pod = (
    containers: { name: string; image: string }[],
    init: { name: string; image: string }[] = []
  ) => ({
    containers,
    ...(init.length ? { initContainers: init } : {})
  })
  const workloads = (image: string): KubernetesObject[] =>
    [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: {
          template: {
            spec: pod(
              [
                { name: 'app', image },
                { name: 'sidecar', image: 'envoy:1' }
              ],
              [{ name: 'init', image }]
            )
          }
        }
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 's' },
        spec: { template: { spec: pod([{ name: 'app', image }]) } }
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'ds' },
        spec: { template: { spec: pod([{ name: 'app', image }]) } }
      },
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j' },
        spec: { template: { spec: pod([{ name: 'app', image }]) } }
      },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'cj' },
        spec: { jobTemplate: { spec: { template: { spec: pod([{ name: 'app', image }]) } } } }
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: pod([{ name: 'app', image }])
      }
    ] as unknown as KubernetesObject[]
  const images = (objects: KubernetesObject[]): string[] =>
    JSON.stringify(objects).match(/"image":"[^"]+"/g) ?? []

  it('replaces the image in containers and init containers of every workload kind', () => {
    const result = substituteImage(
      workloads('ghcr.io/org/web:old'),
      'ghcr.io/org/web',
      'ghcr.io/org/web:new'
    )
    expect(images(result)).toEqual([
      '"image":"ghcr.io/org/web:new"',
      '"image":"envoy:1"',
      '"image":"ghcr.io/org/web:new"',
      ...Array(5).fill('"image":"ghcr.io/org/web:new"')
    ])
  })

  it('matches an image given by digest, and Docker Hub short names', () => {
    const digest = `sha256:${'c'.repeat(64)}`
    expect(
      images(substituteImage(workloads(`ghcr.io/org/web@${digest}`), 'ghcr.io/org/web', 'X:1'))[0]
    ).toBe('"image":"X:1"')
    expect(
      images(substituteImage(workloads('nginx:1.25'), 'docker.io/library/nginx', 'nginx:1.27'))[0]
    ).toBe('"image":"nginx:1.27"')
  })

  it('leaves other repositories alone, including ones that share a prefix', () => {
    const result = substituteImage(
      workloads('ghcr.io/org/web-worker:1'),
      'ghcr.io/org/web',
      'ghcr.io/org/web:new'
    )
    expect(images(result).every(i => !i.includes(':new'))).toBe(true)
  })

  it('does not change the objects it was given', () => {
    const given = workloads('ghcr.io/org/web:old')
    substituteImage(given, 'ghcr.io/org/web', 'ghcr.io/org/web:new')
    expect(images(given)[0]).toBe('"image":"ghcr.io/org/web:old"')
  })

  it('leaves a ConfigMap that mentions the image untouched', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { image: 'ghcr.io/org/web:old' }
    }
    expect(substituteImage([cm], 'ghcr.io/org/web', 'ghcr.io/org/web:new')).toEqual([cm])
  })
})
