/**
 * DESIGN.md's one-way rules hold because lint fails on an import that breaks them: each rule is
 * shown to fire on a file placed where it applies, and not on the same import where it is allowed.
 */
import { ESLint } from 'eslint'

const eslint = new ESLint({ cwd: process.cwd() })

/** The layer rules' messages ESLint gives `code` as if it were the file at `path`. */
async function restricted(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {}\n`, { filePath: path })
  return result.messages
    .filter(m => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map(message => message.message)
}

describe('the layer rules of DESIGN.md', () => {
  it.each([
    ['src/k8s/objects.ts', "import { x } from '../image/image-ref.js'", 'k8s/ and image/ never'],
    ['src/image/buildah.ts', "import { x } from '../k8s/labels.js'", 'k8s/ and image/ never'],
    ['src/k8s/wait.ts', "import { x } from '../commands/deploy.js'", 'commands use the layers'],
    ['src/k8s/wait.ts', "import { x } from '../release/plan.js'", 'release/ is planned by'],
    ['src/release/plan.ts', "import { x } from '../commands/frame.js'", 'commands use the layers'],
    [
      'src/release/routers/ingress-host.ts',
      "import { x } from '../../github/client.js'",
      'only commands talk to GitHub'
    ],
    ['src/github/report.ts', "import { x } from '../k8s/objects.js'", 'stand on their own'],
    ['src/commands/deploy.ts', "import { x } from '../main.js'", 'entries import the layers'],
    ['src/commands/deploy.ts', "import * as core from '@actions/core'", 'only the entries'],
    ['src/settings.ts', "import * as core from '@actions/core'", 'only the entries'],
    ['src/k8s/client.ts', "import type { Settings } from '../settings.js'", 'given what they need'],
    ['src/k8s/wait.ts', "await import('../commands/deploy.js')", 'commands use the layers'],
    ['src/k8s/wait.ts', "require('../commands/deploy.js')", 'commands use the layers'],
    ['src/image/buildah.ts', "await import('../k8s/labels.js')", 'k8s/ and image/ never'],
    ['src/commands/deploy.ts', "await import('@actions/core')", 'only the entries'],
    ['src/commands/deploy.ts', 'await import(`../${name}.js`)', 'takes a string literal'],
    ['src/analysis/run.ts', "import { x } from '../commands/judge.js'", 'commands use the layers'],
    ['src/analysis/run.ts', "await import('../commands/judge.js')", 'commands use the layers'],
    ['src/analysis/run.ts', "import { x } from '../k8s/objects.js'", 'given the way to Prometheus'],
    ['src/analysis/run.ts', "import { x } from '../k8s/proxy.js'", 'given the way to Prometheus'],
    ['src/analysis/run.ts', "import { x } from '../release/plan.js'", 'release/ is planned by'],
    ['src/analysis/run.ts', "import { x } from '../settings.js'", 'given what they need'],
    ['src/analysis/run.ts', "import { x } from '../github/client.js'", 'only commands talk']
  ])('refuses in %s: %s', async (path, code, message) => {
    const messages = await restricted(path, code)
    expect(messages).toEqual([expect.stringContaining(message)])
  })

  it.each([
    ['src/commands/deploy.ts', "import { x } from '../release/plan.js'"],
    ['src/commands/deploy.ts', "import { x } from '../image/select.js'"],
    ['src/release/reads.ts', "import { x } from '../k8s/objects.js'"],
    ['src/release/manifests.ts', "import { x } from '../image/image-ref.js'"],
    ['src/k8s/proxy.ts', "import { x } from '../analysis/prometheus.js'"],
    ['src/main.ts', "import * as core from '@actions/core'"],
    ['src/post.ts', "import { x } from './run-command.js'"],
    ['src/commands/deploy.ts', "await import('../release/plan.js')"],
    ['src/index.ts', "await import('./main.js')"],
    ['src/analysis/summary.ts', "import { x } from '../github/report.js'"],
    ['src/analysis/config.ts', "import { x } from '../validate.js'"],
    ['src/analysis/run.ts', "import { x } from './prometheus.js'"]
  ])('allows in %s: %s', async (path, code) => {
    expect(await restricted(path, code)).toEqual([])
  })
})
