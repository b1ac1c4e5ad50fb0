import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { ACTION_INPUTS, ACTION_OUTPUTS } from '../src/action-inputs.js'
import { cli, helpText, parseArgs } from '../src/cli.js'

const action = parse(readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, { description: string; default?: string }>
  outputs: Record<string, unknown>
}

async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = ''
  let stderr = ''
  const code = await cli(
    argv,
    {
      stdout: t => (stdout += t),
      stderr: t => (stderr += t),
      env: { GITHUB_SHA: 'abcdef1234567', ...env }
    },
    new AbortController().signal
  )
  return { code, stdout, stderr }
}

describe('action inputs as data', () => {
  it('carries every input of action.yml, with its default', () => {
    expect(ACTION_INPUTS.map(i => [i.name, i.default])).toEqual(
      Object.entries(action.inputs).map(([name, spec]) => [name, String(spec.default ?? '')])
    )
  })
  it('carries every output of action.yml', () => {
    expect(ACTION_OUTPUTS.map(o => o.name)).toEqual(Object.keys(action.outputs))
  })
  it('includes the inputs the design requires', () => {
    const floor =
      'command kubeconfig context namespace app deployments container manifests image version build build-context dockerfile build-args cache registry registry-username registry-password migrate-command migrate-timeout strategy canary-replicas canary-host canary-weight steps smoke-url health-path version-path expected-version smoke-timeout timeout approve digest approvers rollback-on-failure keep-releases drain-min-age comment github-token'
    expect(ACTION_INPUTS.map(i => i.name)).toEqual(expect.arrayContaining(floor.split(' ')))
  })
})

describe('canary-deploy --help', () => {
  it.each(Object.keys(action.inputs))('lists --%s', name => {
    expect(helpText()).toMatch(new RegExp(`^  --${name} `, 'm'))
  })
  it('shows defaults', () => {
    expect(helpText()).toContain('--strategy')
    expect(helpText()).toContain('(default: replicas)')
  })
  it('prints to stdout and exits 0', async () => {
    const { code, stdout } = await runCli(['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: canary-deploy <command>')
  })
})

describe('canary-deploy argument parsing', () => {
  it('takes the command first and flags as input names', () => {
    expect(parseArgs(['diff', '--app', 'shop', '--namespace=prod'])).toEqual(
      new Map([
        ['command', 'diff'],
        ['app', 'shop'],
        ['namespace', 'prod']
      ])
    )
  })
  it('refuses an unknown flag, naming it', async () => {
    const { code, stderr } = await runCli(['deploy', '--nope', 'x'])
    expect(code).toBe(1)
    expect(stderr).toContain('unknown flag --nope')
  })
  it('refuses a flag without a value', async () => {
    const { code, stderr } = await runCli(['deploy', '--app'])
    expect(code).toBe(1)
    expect(stderr).toContain('--app needs a value')
  })
  it('takes an input from CANARY_DEPLOY_<INPUT> when no flag gives it', async () => {
    const { stdout } = await runCli(['deploy', '--app', 'shop'], {
      CANARY_DEPLOY_NAMESPACE: 'Bad_NS'
    })
    expect(stdout).toMatch(/`namespace`: expected a DNS-1123 label.*got "Bad_NS"/)
  })
  it('never prints a secret given in the environment, even in the report', async () => {
    const { stdout, stderr } = await runCli(['deploy', '--app', 'shop', '--namespace', 'Bad_NS'], {
      CANARY_DEPLOY_REGISTRY_PASSWORD: 'hunter2-sentinel'
    })
    expect(stdout + stderr).not.toContain('hunter2-sentinel')
  })
  it('reports invalid inputs as Markdown on stdout and exits 1', async () => {
    const { code, stdout, stderr } = await runCli([
      'deploy',
      '--app',
      'shop',
      '--namespace',
      'Bad_NS'
    ])
    expect(code).toBe(1)
    expect(stdout).toContain('`namespace`: expected a DNS-1123 label')
    expect(stderr).toContain('namespace: expected')
  })
  it('refuses a KUBECONFIG naming a missing file before it connects, saying what to do', async () => {
    const { code, stdout, stderr } = await runCli(
      ['deploy', '--app', 'shop', '--build', 'false', '--image', 'registry.example.com/shop:v2'],
      { KUBECONFIG: '/nonexistent' }
    )
    expect(code).toBe(1)
    expect(stderr).toContain(
      "kubeconfig: expected the kubeconfig (YAML or base64), or KUBECONFIG naming kubeconfig files that exist: set KUBECONFIG to your kubeconfig file, unset it to use ~/.kube/config, or give the kubeconfig input the file's content, got (empty), so KUBECONFIG is read, and it names /nonexistent, which does not exist"
    )
    expect(stdout + stderr).not.toMatch(/ENOENT|== connect/)
  })
})
