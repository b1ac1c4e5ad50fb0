import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KubernetesObject } from '@kubernetes/client-node'
import {
  loadManifests,
  loadManifestsAtRef,
  MAX_MANIFEST_BYTES,
  substituteImage
} from '../../src/k8s/manifests.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'manifests-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function write(path: string, text: string): string {
  const full = join(dir, path)
  mkdirSync(join(full, '..'), { recursive: true })
  writeFileSync(full, text)
  return full
}

const configMap = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`
const names = (objects: KubernetesObject[]): (string | undefined)[] =>
  objects.map(o => o.metadata?.name)

describe('loadManifests', () => {
  it('reads every document of a multi-document YAML file, skipping empty ones', () => {
    const file = write('all.yaml', `${configMap('a')}---\n---\n${configMap('b')}`)
    expect(names(loadManifests([file]))).toEqual(['a', 'b'])
  })

  it('reads JSON files', () => {
    const file = write(
      'cm.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } })
    )
    expect(names(loadManifests([file]))).toEqual(['j'])
  })

  it('reads a folder in sorted order, only manifest extensions, skipping hidden entries', () => {
    write('b.yml', configMap('b'))
    write('a.yaml', configMap('a'))
    write(
      'c.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })
    )
    write('README.md', '# not a manifest')
    write('.hidden/x.yaml', configMap('hidden'))
    write('.dot.yaml', configMap('dot'))
    write('sub/d.yaml', configMap('d'))
    expect(names(loadManifests([dir]))).toEqual(['a', 'b', 'c', 'd'])
  })

  it('keeps the order of the paths given', () => {
    const second = write('z.yaml', configMap('z'))
    const first = write('y.yaml', configMap('y'))
    expect(names(loadManifests([second, first]))).toEqual(['z', 'y'])
  })

  it('refuses an alias bomb, naming the file', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]'
    ].join('\n')
    const file = write('bomb.yaml', bomb)
    expect(() => loadManifests([file])).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(document 1\\).*alias`)
    )
  })

  it('refuses a file over 5 MiB, naming it', () => {
    const file = write(
      'big.yaml',
      `${configMap('big')}data:\n  x: "${'y'.repeat(MAX_MANIFEST_BYTES)}"\n`
    )
    expect(() => loadManifests([file])).toThrow(/big\.yaml is \d+ bytes.*5 MiB/)
  })

  it('names the file and document index of a document without metadata.name', () => {
    const file = write(
      'bad.yaml',
      `${configMap('ok')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n`
    )
    expect(() => loadManifests([file])).toThrow(/bad\.yaml \(document 2\) has no metadata\.name/)
  })

  it('names every missing field of a document that is not a Kubernetes object', () => {
    const file = write('bad.yaml', 'hello: world\n')
    expect(() => loadManifests([file])).toThrow(
      /bad\.yaml \(document 1\) has no apiVersion, kind, metadata\.name/
    )
  })

  it('names the file of invalid YAML', () => {
    const file = write('broken.yaml', 'a: [1, 2\n')
    expect(() => loadManifests([file])).toThrow(/broken\.yaml \(document 1\) is not valid YAML/)
  })
})

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

describe('loadManifestsAtRef', () => {
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e'
      }
    })

  beforeEach(() => {
    git('init', '-q', '-b', 'main')
    write('deploy/a.yaml', configMap('base-a'))
    write('deploy/notes.txt', 'not a manifest')
    write('deploy/.hidden/h.yaml', configMap('hidden'))
    git('add', '.')
    git('commit', '-q', '-m', 'base')
    write('deploy/a.yaml', configMap('head-a'))
    write('deploy/b.yaml', configMap('head-b'))
  })

  it('reads the folder as it was at the ref, not the working tree', async () => {
    expect(names(await loadManifestsAtRef([join(dir, 'deploy')], 'main', dir))).toEqual(['base-a'])
  })

  it('reads a single file at the ref', async () => {
    expect(names(await loadManifestsAtRef([join(dir, 'deploy/a.yaml')], 'main', dir))).toEqual([
      'base-a'
    ])
  })

  it('has no objects for a path that did not exist at the ref', async () => {
    expect(await loadManifestsAtRef([join(dir, 'deploy/b.yaml')], 'main', dir)).toEqual([])
  })

  it('fails naming the ref when git does not know it', async () => {
    await expect(loadManifestsAtRef([join(dir, 'deploy')], 'no-such-branch', dir)).rejects.toThrow(
      /no-such-branch/
    )
  })
})
