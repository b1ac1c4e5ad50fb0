import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KubernetesObject } from '@kubernetes/client-node'
import { loadManifests, loadManifestsAtRef, MAX_MANIFEST_BYTES } from '../../src/k8s/manifests.js'

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
