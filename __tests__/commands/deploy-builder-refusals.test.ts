/**
 * An input the machine's builder cannot honour is refused before deploy writes anything: no GitHub
 * deployment record, no Lease, no release. The builders here are stand-in `docker` and `buildah`
 * scripts on a PATH of their own, which record how they were called.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGitHubApi, type GitHubApi } from '../harness/github.js'
import { startShop, type Shop } from './fixture.js'

/** A tool that logs its arguments and answers `exit` for each first argument given, else 0. */
function fakeTool(dir: string, name: string, exits: Record<string, number>): void {
  const cases = Object.entries(exits)
    .map(([arg, code]) => `  ${arg}) exit ${code} ;;`)
    .join('\n')
  const script = `#!/bin/sh\necho "${name} $*" >> "${dir}/calls"\ncase "$1" in\n${cases}\nesac\nexit 0\n`
  writeFileSync(join(dir, name), script)
  chmodSync(join(dir, name), 0o755)
}

const MACHINES = {
  // A Docker engine without the buildx plugin.
  docker: (dir: string) => fakeTool(dir, 'docker', { buildx: 1 }),
  // No Docker at all: buildah only.
  buildah: (dir: string) => fakeTool(dir, 'buildah', {})
}

const GITHUB_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_SHA: 'abcdef1234567890',
  GITHUB_RUN_ID: '7',
  GITHUB_ACTOR: 'maintainer'
}

let shop: Shop
let github: GitHubApi
let tools: string
beforeEach(async () => {
  shop = await startShop()
  github = await startGitHubApi()
  tools = mkdtempSync(join(tmpdir(), 'canary-fake-builders-'))
})
afterEach(async () => {
  await shop.stop()
  await github.stop()
  rmSync(tools, { recursive: true, force: true })
})

describe.each([
  [
    'docker',
    'secrets',
    { secrets: 'npmrc=token-123' },
    /the docker builder cannot honour the input secrets/
  ],
  ['docker', 'sbom', { sbom: 'true' }, /the docker builder cannot honour the input sbom/],
  [
    'docker',
    'provenance',
    { provenance: 'mode=max' },
    /docker builder cannot honour the input provenance/
  ],
  [
    'docker',
    'platforms',
    { platforms: 'linux/amd64,linux/arm64' },
    /platforms \(1 at most, 2 given\)/
  ],
  ['buildah', 'sbom', { sbom: 'true' }, /the buildah builder cannot honour the input sbom/],
  [
    'buildah',
    'platforms',
    { platforms: 'linux/amd64,linux/arm64' },
    /platforms \(1 at most, 2 given\)/
  ]
] as const)('on a machine with %s, deploy asking for %s', (machine, _input, inputs, refusal) => {
  it('is refused, naming the input, before anything is written', async () => {
    MACHINES[machine](tools)
    shop.cluster.resetRequests()
    const result = await shop.run(
      'deploy',
      {
        build: 'true',
        image: 'registry.example.com/shop',
        'github-token': github.token,
        ...inputs
      },
      { ...GITHUB_ENV, GITHUB_API_URL: github.url, PATH: tools }
    )
    expect(result.report.status).toBe('failure')
    expect(result.report.reason).toMatch(refusal)
    expect(shop.cluster.writes()).toEqual([])
    expect(github.state.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(github.state.deployments).toEqual([])
    // Only the questions that pick the builder were asked of the tools: nothing was built.
    const calls = readFileSync(join(tools, 'calls'), 'utf8').trim().split('\n')
    expect(
      calls.every(call => /^(docker (buildx version|info)|buildah --version)$/.test(call))
    ).toBe(true)
  })
})
