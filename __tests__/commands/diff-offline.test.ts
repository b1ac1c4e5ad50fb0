/**
 * diff without cluster credentials (a pull request from a fork): the manifests rendered at this
 * commit against the base ref, said plainly to be an approximation.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CommandResult } from '../../src/commands/types.js'
import { renderMarkdown, SUMMARY_MAX_BYTES } from '../../src/github/report.js'
import { MemoryLogger } from '../../src/logger.js'
import { runCommand } from '../../src/run-command.js'

let repo: string

const git = (...args: string[]): string =>
  execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com'
    }
  })

function write(path: string, text: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true })
  writeFileSync(join(repo, path), text)
}

const webDeployment = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: ${image}
          envFrom: [{ secretRef: { name: web-db } }]
`
const configMap = (value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-config, labels: { app: web } }\ndata: { LOG_LEVEL: "${value}" }\n`
const secret = (password: string): string =>
  `apiVersion: v1\nkind: Secret\nmetadata: { name: web-db, labels: { app: web } }\nstringData: { password: "${password}" }\n`
const service = `apiVersion: v1\nkind: Service\nmetadata: { name: web, labels: { app: web } }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n`

interface Run extends CommandResult {
  logs: string[]
  markdown: string
}

async function diff(
  inputs: Record<string, string> = {},
  env: Record<string, string> = {}
): Promise<Run> {
  const values: Record<string, string> = {
    command: 'diff',
    app: 'web',
    namespace: 'prod',
    image: 'ghcr.io/org/web',
    version: 'v2',
    manifests: 'deploy',
    'base-ref': 'main',
    ...inputs
  }
  const logger = new MemoryLogger()
  // HOME without a ~/.kube/config and no KUBECONFIG: nothing to connect with.
  const result = await runCommand(name => values[name] ?? '', {
    logger,
    env: { GITHUB_WORKSPACE: repo, HOME: repo, ...env },
    signal: new AbortController().signal
  })
  return { ...result, logs: logger.lines, markdown: renderMarkdown(result.report) }
}

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'diff-offline-'))
  git('init', '-q', '-b', 'main')
  write('deploy/web.yaml', `${webDeployment('ghcr.io/org/web:v1')}---\n${configMap('info')}`)
  write('deploy/secret.yaml', secret('old-password-1234'))
  git('add', '.')
  git('commit', '-q', '-m', 'base')
  git('checkout', '-q', '-b', 'feature')
})
afterEach(() => rmSync(repo, { recursive: true, force: true }))

describe('diff without cluster access', () => {
  it('says plainly that the diff is approximate and why', async () => {
    const result = await diff()
    expect(result.report.status).toBe('success')
    expect(result.markdown).toContain('Approximate: no cluster access')
    expect(result.markdown).toMatch(
      /server defaults, admission changes and drift of the live objects are not shown/
    )
  })

  it('shows nothing changed in an unchanged manifest, and the release image in the Deployment', async () => {
    const result = await diff()
    expect(result.outputs.diff).not.toContain('ConfigMap')
    const web = result.report.sections.find(s => s.title === 'Deployment prod/web: changed')
    expect(web?.body).toMatch(/^-\s+image: ghcr\.io\/org\/web:v1$/m)
    expect(web?.body).toMatch(/^\+\s+image: ghcr\.io\/org\/web:v2$/m)
    expect(result.report.facts).toContainEqual(['objects unchanged', '2'])
  })

  it('diffs a changed object in the working tree against the base commit', async () => {
    write('deploy/web.yaml', `${webDeployment('ghcr.io/org/web:v1')}---\n${configMap('debug')}`)
    const result = await diff()
    expect(result.outputs.diff).toMatch(/^-\s+LOG_LEVEL: info$/m)
    expect(result.outputs.diff).toMatch(/^\+\s+LOG_LEVEL: debug$/m)
    expect(result.report.sections.map(s => s.title)).toContain('ConfigMap prod/web-config: changed')
  })

  it('shows a new object whole, and the canary as created', async () => {
    write('deploy/service.yaml', service)
    const result = await diff()
    const titles = result.report.sections.map(s => s.title)
    expect(titles).toEqual(
      expect.arrayContaining(['Service prod/web: created', 'Deployment prod/web-canary: created'])
    )
    expect(result.outputs['has-changes']).toBe('true')
    expect(result.report.facts).toContainEqual(['objects created', '2'])
  })

  it('lists an object removed from the manifests as left alone, never deleted', async () => {
    rmSync(join(repo, 'deploy/secret.yaml'))
    const result = await diff()
    expect(result.report.facts).toContainEqual(['objects left alone', '1'])
    expect(result.markdown).toMatch(/Would be left alone[\s\S]*- Secret prod\/web-db/)
    expect(result.outputs.diff).not.toMatch(/^-{3} Secret/m)
  })

  it('shows a Secret change by key and short hash, never its values', async () => {
    write('deploy/secret.yaml', secret('new-password-5678'))
    const result = await diff()
    expect(result.report.sections.map(s => s.title)).toContain('Secret prod/web-db: changed')
    expect(result.outputs.diff).toMatch(/^\+\s+password: <sha256:[0-9a-f]{12}, 17 bytes>$/m)
    const everything = JSON.stringify(result) + result.markdown
    for (const value of ['old-password-1234', 'new-password-5678']) {
      expect(everything).not.toContain(value)
      expect(everything).not.toContain(Buffer.from(value).toString('base64'))
    }
  })

  it('says the digest is not known yet and which image stands in for it', async () => {
    const result = await diff()
    expect(result.outputs.image).toBe('ghcr.io/org/web:v2')
    expect(result.markdown).toContain('not known until deploy builds and pushes the image')
  })

  it('uses origin/<GITHUB_BASE_REF> when no base-ref is given', async () => {
    git('update-ref', 'refs/remotes/origin/main', 'main')
    write('deploy/web.yaml', `${webDeployment('ghcr.io/org/web:v1')}---\n${configMap('debug')}`)
    const result = await diff({ 'base-ref': '' }, { GITHUB_BASE_REF: 'main' })
    expect(result.markdown).toContain('Base: `origin/main`')
    expect(result.outputs.diff).toMatch(/^-\s+LOG_LEVEL: info$/m)
  })

  it('cuts the diff output at 1 MiB with a note, and keeps the summary under its limit', async () => {
    write('deploy/big.yaml', configMap('x'.repeat(1_200_000)).replace('web-config', 'big'))
    const result = await diff()
    const output = result.outputs.diff ?? ''
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(1024 * 1024)
    expect(output).toMatch(
      /the diff was cut at 1048576 bytes; the full text is in the job log\.\n$/
    )
    expect(Buffer.byteLength(result.markdown)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES)
  })

  it('is nothing to do, and says why, without manifests', async () => {
    const result = await diff({ manifests: '' })
    expect(result.report.status).toBe('no-op')
    expect(result.report.reason).toMatch(
      /No manifests were given.*cannot be read without cluster access/
    )
    expect(result.outputs['has-changes']).toBe('false')
  })
})
