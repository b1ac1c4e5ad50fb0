/**
 * The docker-container builder BuildxInstances makes for what the docker driver cannot do: every
 * docker buildx call it makes is bounded (the build's signal where the build is still running, a
 * timeout always), and one that does not finish leaves no builder behind unsaid.
 */
import { BuildxInstances } from '../../src/image/buildx-instance.js'
import { CommandTimeoutError } from '../../src/image/command.js'
import { MemoryLogger } from '../../src/logger.js'
import { buildRequest, scriptedRunner, type RecordedCall } from './request.js'

const DOCKER_DRIVER = 'Name:          default\nDriver:        docker\n'
const GITHUB_ENV = { ACTIONS_CACHE_URL: 'https://cache.example/', ACTIONS_RUNTIME_TOKEN: 't' }

/** A request the docker driver cannot build (it exports a cache), with its own signal. */
function cacheExport() {
  const controller = new AbortController()
  const logger = new MemoryLogger()
  return { req: buildRequest({ cache: 'auto', signal: controller.signal, logger }), logger }
}

const call = (calls: RecordedCall[], subcommand: string) =>
  calls.find(c => c.args[1] === subcommand)

describe('BuildxInstances', () => {
  it('bounds inspect and create by the build’s signal and a timeout, and rm by a timeout', async () => {
    const { runner, calls } = scriptedRunner(({ args }) =>
      args[1] === 'inspect' ? { stdout: DOCKER_DRIVER } : {}
    )
    const instances = new BuildxInstances(runner)
    const { req } = cacheExport()
    expect(await instances.forRequest(req, GITHUB_ENV, {})).toMatchObject({ kind: 'created' })
    await instances.dispose({})
    for (const subcommand of ['inspect', 'create']) {
      expect(call(calls, subcommand)?.options).toMatchObject({
        signal: req.signal,
        timeoutMs: expect.any(Number)
      })
    }
    // rm runs after a cancelled build too, so the build's (aborted) signal is not its bound.
    expect(call(calls, 'rm')?.options.signal).toBeUndefined()
    expect(call(calls, 'rm')?.options.timeoutMs).toEqual(expect.any(Number))
  })

  it('fails, saying what did not answer, when inspect times out', async () => {
    const { runner, calls } = scriptedRunner(({ tool, args, options }) => {
      throw new CommandTimeoutError(tool, args, options.timeoutMs ?? 0)
    })
    const { req } = cacheExport()
    await expect(new BuildxInstances(runner).forRequest(req, GITHUB_ENV, {})).rejects.toThrow(
      /docker buildx inspect did not finish within \d+ s: is the Docker daemon answering\?/
    )
    expect(calls.map(c => c.args[1])).toEqual(['inspect'])
  })

  it('removes the builder a timed-out create may have made, and builds on the docker driver', async () => {
    const { runner, calls } = scriptedRunner(({ tool, args, options }) => {
      if (args[1] === 'inspect') return { stdout: DOCKER_DRIVER }
      if (args[1] === 'create') throw new CommandTimeoutError(tool, args, options.timeoutMs ?? 0)
      return {}
    })
    const { req } = cacheExport()
    const instance = await new BuildxInstances(runner).forRequest(req, GITHUB_ENV, {})
    expect(instance).toEqual({
      kind: 'docker-driver',
      why: expect.stringMatching(
        /^creating a docker-container builder failed: docker buildx create did not finish within \d+ s$/
      )
    })
    const name = call(calls, 'create')?.args.at(-1)
    expect(call(calls, 'rm')?.args).toEqual(['buildx', 'rm', name])
  })

  it('warns, naming the command to run, when the builder it made cannot be removed', async () => {
    const { runner } = scriptedRunner(({ tool, args, options }) => {
      if (args[1] === 'inspect') return { stdout: DOCKER_DRIVER }
      if (args[1] === 'rm') throw new CommandTimeoutError(tool, args, options.timeoutMs ?? 0)
      return {}
    })
    const instances = new BuildxInstances(runner)
    const { req, logger } = cacheExport()
    const instance = await instances.forRequest(req, GITHUB_ENV, {})
    const name = instance.kind === 'created' ? instance.name : ''
    await instances.dispose({})
    expect(logger.lines).toContain(
      `warning: the buildx builder ${name} was not removed (docker buildx rm did not finish within 5 s): remove it with \`docker buildx rm ${name}\``
    )
  })
})
