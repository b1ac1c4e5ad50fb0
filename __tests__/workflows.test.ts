import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const root = fileURLToPath(new URL('..', import.meta.url))
const workflowDirs = ['.github/workflows', 'examples/workflows']

type Doc = Record<string, unknown>

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function workflowFiles(): string[] {
  return workflowDirs.flatMap(dir =>
    readdirSync(path.join(root, dir))
      .filter(f => /\.ya?ml$/.test(f))
      .map(f => path.join(dir, f))
  )
}

/** Every `uses:` line of a workflow, with the comment after it. */
function usesLines(file: string): string[] {
  return readFileSync(path.join(root, file), 'utf8')
    .split('\n')
    .filter(line => /^\s*(-\s+)?uses:/.test(line))
}

function workflow(file: string): Doc {
  const doc: unknown = parse(readFileSync(path.join(root, file), 'utf8'))
  return isDoc(doc) ? doc : {}
}

function jobs(file: string): [string, Doc][] {
  const all = workflow(file).jobs
  return isDoc(all)
    ? Object.entries(all).filter((entry): entry is [string, Doc] => isDoc(entry[1]))
    : []
}

const jobSteps = (job: Doc): Doc[] => (Array.isArray(job.steps) ? job.steps.filter(isDoc) : [])

function steps(file: string): Doc[] {
  return jobs(file).flatMap(([, job]) => jobSteps(job))
}

const usesOf = (step: Doc) => (typeof step.uses === 'string' ? step.uses : '')
const isOwnAction = (step: Doc) =>
  usesOf(step) === './' || usesOf(step).startsWith('org/canary-deploy@')
const withOf = (step: Doc): Doc => (isDoc(step.with) ? step.with : {})

/**
 * The permissions a job's steps use: a checkout reads contents; the action records GitHub
 * deployments for deploy, promote and rollback, and comments on the pull request for diff.
 */
function usedPermissions(job: Doc): Doc {
  const used: Doc = {}
  for (const step of jobSteps(job)) {
    if (usesOf(step).startsWith('actions/checkout@')) used.contents = 'read'
    if (!isOwnAction(step)) continue
    const command = String(withOf(step).command ?? 'deploy')
    if (command === 'diff') {
      if (String(withOf(step).comment ?? 'true') !== 'false') used['pull-requests'] = 'write'
    } else {
      used.deployments = 'write'
    }
  }
  return used
}

/** The action's kubeconfig input in a workflow (one step of our action). */
function kubeconfigSecret(file: string): { job: Doc; kubeconfig: unknown } {
  const [[, job]] = jobs(file).filter(([, j]) => jobSteps(j).some(isOwnAction))
  const step = jobSteps(job).find(isOwnAction) ?? {}
  return { job, kubeconfig: withOf(step).kubeconfig }
}

// Our own action (the placeholder `org/canary-deploy` of the examples) and the checkout itself (`./`)
// are not third-party code.
const OWN = /uses:\s*(\.\/|org\/canary-deploy@)/
const PINNED = /uses:\s*[\w.-]+\/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+(\.\d+)*\s*$/

describe('workflows', () => {
  test.each(workflowFiles())(
    '%s pins every third-party action by commit SHA with its version',
    file => {
      const unpinned = usesLines(file).filter(line => !OWN.test(line) && !PINNED.test(line))
      expect(unpinned).toEqual([])
    }
  )

  test.each(workflowFiles())('%s checks out without persisting credentials', file => {
    const checkouts = steps(file).filter(
      s => typeof s.uses === 'string' && s.uses.startsWith('actions/checkout@')
    )
    for (const step of checkouts) {
      expect(isDoc(step.with) && step.with['persist-credentials']).toBe(false)
    }
  })

  test('the pin check rejects a tag reference', () => {
    expect(PINNED.test('      - uses: actions/checkout@v5')).toBe(false)
    expect(
      PINNED.test('      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8')
    ).toBe(false)
    expect(
      PINNED.test(
        '      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0'
      )
    ).toBe(true)
  })

  test('a release moves the major tag only from a commit on main whose CI passed, without a package cache', () => {
    const release = steps('.github/workflows/release.yml')
    const names = release.map(s => s.name)
    const runs = release.map(s => (typeof s.run === 'string' ? s.run : '')).join('\n')
    expect(names.indexOf('The tagged commit is on main')).toBeLessThan(
      names.indexOf('Move the major tag')
    )
    expect(names.indexOf('Its CI passed')).toBeLessThan(names.indexOf('Move the major tag'))
    expect(runs).toMatch(/merge-base --is-ancestor "\$GITHUB_SHA" origin\/main/)
    expect(runs).toMatch(/gh run list .*--workflow ci\.yml --commit "\$GITHUB_SHA"/)
    const setupNode = release.find(
      s => typeof s.uses === 'string' && s.uses.startsWith('actions/setup-node@')
    )
    expect(isDoc(setupNode?.with) && setupNode.with.cache).toBeUndefined()
  })

  test('diff runs of one pull request never race on its comment', () => {
    const doc: unknown = parse(readFileSync(path.join(root, 'examples/workflows/diff.yml'), 'utf8'))
    const concurrency = isDoc(doc) ? doc.concurrency : undefined
    expect(isDoc(concurrency) && String(concurrency.group)).toContain(
      'github.event.pull_request.number'
    )
  })

  // release.yml's permissions serve its gh commands, checked by the release test above.
  const ownJobs = workflowFiles()
    .filter(file => !file.endsWith('release.yml'))
    .flatMap(file => jobs(file).map(([name, job]) => [file, name, job] as const))

  test.each(ownJobs)(
    '%s job %s is granted exactly the permissions its steps use',
    (file, _name, job) => {
      const granted = isDoc(job.permissions) ? job.permissions : workflow(file).permissions
      expect(granted).toEqual(usedPermissions(job))
    }
  )

  test('deploy reads only the deploy identity, a repository secret outside any environment', () => {
    const { job, kubeconfig } = kubeconfigSecret('examples/workflows/deploy.yml')
    expect(kubeconfig).toBe('${{ secrets.KUBECONFIG_DEPLOY }}')
    expect(job.environment).toBeUndefined()
  })

  test('promote reads the promote identity inside the production environment, and nothing else does', () => {
    const { job, kubeconfig } = kubeconfigSecret('examples/workflows/promote.yml')
    expect(kubeconfig).toBe('${{ secrets.KUBECONFIG_PROMOTE }}')
    expect(job.environment).toBe('production')
    const elsewhere = workflowFiles().filter(
      file =>
        !file.endsWith('promote.yml') &&
        readFileSync(path.join(root, file), 'utf8').includes('KUBECONFIG_PROMOTE')
    )
    expect(elsewhere).toEqual([])
  })

  test('dependabot updates both the pinned actions and npm packages', () => {
    const doc: unknown = parse(readFileSync(path.join(root, '.github/dependabot.yml'), 'utf8'))
    const updates = isDoc(doc) && Array.isArray(doc.updates) ? doc.updates.filter(isDoc) : []
    expect(updates.map(u => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm'])
  })
})
