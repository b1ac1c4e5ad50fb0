import type { V1Deployment } from '@kubernetes/client-node'
import {
  canaryFromStable,
  LABEL_MIGRATION,
  migrationJobFromStable,
  promotedStable,
  targetContainer,
  type Release
} from '../../src/release/render.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const release: Release = {
  app: 'web',
  version: '1.2.3',
  imageRef: `ghcr.io/org/web@${DIGEST}`,
  digest: DIGEST,
  source: 'org/web@abc1234 run:42'
}

/** A stable Deployment as the API server returns it: server fields, history, two containers. */
function liveStable(): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'prod',
      uid: '0b5d1a32-0000-4000-8000-000000000001',
      resourceVersion: '4711',
      generation: 7,
      creationTimestamp: new Date('2024-01-01T00:00:00Z'),
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 'owner', uid: 'u-1' }],
      labels: { app: 'web', team: 'payments', 'canary-deploy.dev/track': 'stable' },
      annotations: {
        'deployment.kubernetes.io/revision': '7',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        'example.com/owner': 'payments'
      }
    },
    spec: {
      replicas: 5,
      progressDeadlineSeconds: 300,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%', maxUnavailable: 0 } },
      selector: { matchLabels: { app: 'web', 'canary-deploy.dev/track': 'stable' } },
      template: {
        metadata: {
          labels: { app: 'web', 'canary-deploy.dev/track': 'stable', tier: 'frontend' },
          annotations: { 'prometheus.io/scrape': 'true' }
        },
        spec: {
          serviceAccountName: 'web-sa',
          imagePullSecrets: [{ name: 'ghcr' }],
          volumes: [{ name: 'config', configMap: { name: 'web-config' } }],
          containers: [
            {
              name: 'web',
              image: 'ghcr.io/org/web@sha256:' + 'b'.repeat(64),
              args: ['serve', '--port=8080'],
              env: [
                { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } }
              ],
              envFrom: [{ secretRef: { name: 'web-env' } }],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
              livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
              startupProbe: { httpGet: { path: '/healthz', port: 8080 } },
              volumeMounts: [{ name: 'config', mountPath: '/etc/web' }]
            },
            { name: 'proxy', image: 'envoyproxy/envoy:v1.30.0', ports: [{ containerPort: 9901 }] }
          ]
        }
      }
    },
    status: { replicas: 5, readyReplicas: 5 }
  }
}

describe('targetContainer', () => {
  it('is the first container when none is named', () => {
    expect(targetContainer(liveStable().spec!.template.spec!).name).toBe('web')
  })

  it('is the named container', () => {
    expect(targetContainer(liveStable().spec!.template.spec!, 'proxy').name).toBe('proxy')
  })

  it('throws naming the Deployment and the missing container', () => {
    expect(() =>
      canaryFromStable(liveStable(), { ...release, container: 'worker' }, { replicas: 1 })
    ).toThrow(/Deployment prod\/web has no container named "worker" \(containers: web, proxy\)/)
  })
})

describe('canaryFromStable', () => {
  const canary = (): V1Deployment => canaryFromStable(liveStable(), release, { replicas: 2 })

  it('is named <stable>-canary in the stable namespace', () => {
    expect(canary().metadata).toMatchObject({ name: 'web-canary', namespace: 'prod' })
    expect(canary()).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' })
  })

  it("keeps the stable's labels and adds track canary and the version", () => {
    expect(canary().metadata!.labels).toEqual({
      app: 'web',
      team: 'payments',
      'canary-deploy.dev/track': 'canary',
      'canary-deploy.dev/version': '1.2.3'
    })
  })

  it('is annotated with the version, the image digest and the source', () => {
    expect(canary().metadata!.annotations).toMatchObject({
      'canary-deploy.dev/version': '1.2.3',
      'canary-deploy.dev/image-digest': DIGEST,
      'canary-deploy.dev/source': 'org/web@abc1234 run:42',
      'example.com/owner': 'payments'
    })
  })

  it('carries no server-managed fields, owner references, history or status', () => {
    const result = canary()
    const metadata = result.metadata!
    for (const field of [
      'resourceVersion',
      'uid',
      'managedFields',
      'creationTimestamp',
      'ownerReferences',
      'generation'
    ]) {
      expect(metadata).not.toHaveProperty(field)
    }
    expect(metadata.annotations).not.toHaveProperty(['deployment.kubernetes.io/revision'])
    expect(metadata.annotations).not.toHaveProperty([
      'kubectl.kubernetes.io/last-applied-configuration'
    ])
    expect(result).not.toHaveProperty('status')
  })

  it("does not inherit the approver of the stable's last promotion", () => {
    const promoted = liveStable()
    promoted.metadata!.annotations!['canary-deploy.dev/approved-by'] = 'octocat'
    const result = canaryFromStable(promoted, release, { replicas: 1 })
    expect(result.metadata!.annotations).not.toHaveProperty(['canary-deploy.dev/approved-by'])
  })

  it('runs its own replica count', () => {
    expect(canary().spec!.replicas).toBe(2)
  })

  it('puts the release image by digest in the target container only', () => {
    const containers = canary().spec!.template.spec!.containers
    expect(containers.map(c => c.image)).toEqual([release.imageRef, 'envoyproxy/envoy:v1.30.0'])
  })

  it('puts the image in the named container when one is given', () => {
    const containers = canaryFromStable(
      liveStable(),
      { ...release, container: 'proxy' },
      { replicas: 1 }
    ).spec!.template.spec!.containers
    expect(containers.map(c => c.image)).toEqual([
      liveStable().spec!.template.spec!.containers[0].image,
      release.imageRef
    ])
  })

  it('keeps the pod template: env, envFrom, volumes, probes, service account, pull secrets', () => {
    const stableSpec = liveStable().spec!.template.spec!
    const spec = canary().spec!.template.spec!
    const { image: _canaryImage, ...canaryWeb } = spec.containers[0]
    const { image: _stableImage, ...stableWeb } = stableSpec.containers[0]
    expect(canaryWeb).toEqual(stableWeb)
    expect(spec.volumes).toEqual(stableSpec.volumes)
    expect(spec.serviceAccountName).toBe('web-sa')
    expect(spec.imagePullSecrets).toEqual([{ name: 'ghcr' }])
  })

  it('labels its pods track canary and the version, keeping app for the shared Service', () => {
    expect(canary().spec!.template.metadata!.labels).toEqual({
      app: 'web',
      tier: 'frontend',
      'canary-deploy.dev/track': 'canary',
      'canary-deploy.dev/version': '1.2.3'
    })
  })

  it("selects on the stable's labels plus track canary, so it never selects stable pods", () => {
    const selector = canary().spec!.selector.matchLabels!
    expect(selector).toEqual({ app: 'web', 'canary-deploy.dev/track': 'canary' })
    const stablePodLabels = liveStable().spec!.template.metadata!.labels!
    expect(Object.entries(selector).every(([k, v]) => stablePodLabels[k] === v)).toBe(false)
  })

  it('adds track canary to a selector that had only app', () => {
    const stable = liveStable()
    stable.spec!.selector = { matchLabels: { app: 'web' } }
    expect(canaryFromStable(stable, release, { replicas: 1 }).spec!.selector.matchLabels).toEqual({
      app: 'web',
      'canary-deploy.dev/track': 'canary'
    })
  })

  it("keeps the stable's strategy and progress deadline", () => {
    expect(canary().spec!.strategy).toEqual(liveStable().spec!.strategy)
    expect(canary().spec!.progressDeadlineSeconds).toBe(300)
  })

  it('leaves the stable Deployment it was given unchanged', () => {
    const stable = liveStable()
    canaryFromStable(stable, release, { replicas: 2 })
    expect(stable).toEqual(liveStable())
  })
})

describe('migrationJobFromStable', () => {
  const opts = {
    name: 'web-migrate-1.2.3',
    command: ['bin/migrate', '--up'],
    timeoutMs: 90_500,
    backoffLimit: 1
  }
  const job = () => migrationJobFromStable(liveStable(), release, opts)

  it('is a batch/v1 Job with the given name in the stable namespace', () => {
    expect(job()).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'web-migrate-1.2.3', namespace: 'prod' }
    })
  })

  it('is labelled with the app and version and annotated with the source', () => {
    expect(job().metadata!.labels).toEqual({ app: 'web', 'canary-deploy.dev/version': '1.2.3' })
    expect(job().metadata!.annotations).toMatchObject({
      'canary-deploy.dev/source': 'org/web@abc1234 run:42'
    })
  })

  it('runs only the target container, by digest, with the migration command and no args', () => {
    const containers = job().spec!.template.spec!.containers
    expect(containers).toHaveLength(1)
    expect(containers[0]).toMatchObject({
      name: 'web',
      image: release.imageRef,
      command: ['bin/migrate', '--up']
    })
    expect(containers[0]).not.toHaveProperty('args')
  })

  it('keeps env, envFrom, volume mounts, volumes, service account and pull secrets', () => {
    const spec = job().spec!.template.spec!
    const stableWeb = liveStable().spec!.template.spec!.containers[0]
    expect(spec.containers[0].env).toEqual(stableWeb.env)
    expect(spec.containers[0].envFrom).toEqual(stableWeb.envFrom)
    expect(spec.containers[0].volumeMounts).toEqual(stableWeb.volumeMounts)
    expect(spec.volumes).toEqual(liveStable().spec!.template.spec!.volumes)
    expect(spec.serviceAccountName).toBe('web-sa')
    expect(spec.imagePullSecrets).toEqual([{ name: 'ghcr' }])
  })

  it('has no probes and no ports', () => {
    const container = job().spec!.template.spec!.containers[0]
    for (const field of ['readinessProbe', 'livenessProbe', 'startupProbe', 'ports']) {
      expect(container).not.toHaveProperty(field)
    }
  })

  it('never restarts, and is bounded by backoff limit, deadline (seconds, rounded up) and a day of TTL', () => {
    const result = job()
    expect(result.spec!.template.spec!.restartPolicy).toBe('Never')
    expect(result.spec).toMatchObject({
      backoffLimit: 1,
      activeDeadlineSeconds: 91,
      ttlSecondsAfterFinished: 86_400
    })
  })

  it("gives its pods none of the labels the Service or the stable's selector match, and a migration label", () => {
    const labels = job().spec!.template.metadata!.labels!
    expect(labels).toEqual({ tier: 'frontend', [LABEL_MIGRATION]: '1.2.3' })
    expect(labels).not.toHaveProperty('app')
  })
})

describe('promotedStable', () => {
  const body = () => promotedStable(liveStable(), release, 'octocat')

  it('sets only the target container image and the release annotations', () => {
    expect(body()).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'prod',
        annotations: {
          'canary-deploy.dev/version': '1.2.3',
          'canary-deploy.dev/image-digest': DIGEST,
          'canary-deploy.dev/source': 'org/web@abc1234 run:42',
          'canary-deploy.dev/approved-by': 'octocat'
        }
      },
      spec: {
        template: {
          metadata: { annotations: { 'canary-deploy.dev/version': '1.2.3' } },
          spec: { containers: [{ name: 'web', image: release.imageRef }] }
        }
      }
    })
  })

  it('names the chosen container when one is given', () => {
    const result = promotedStable(liveStable(), { ...release, container: 'proxy' }, 'octocat')
    expect(result.spec!.template.spec!.containers).toEqual([
      { name: 'proxy', image: release.imageRef }
    ])
  })

  it('throws naming the Deployment when the container is missing', () => {
    expect(() =>
      promotedStable(liveStable(), { ...release, container: 'nope' }, 'octocat')
    ).toThrow(/Deployment prod\/web.*"nope"/)
  })
})
