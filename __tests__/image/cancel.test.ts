import { BuildahBuilder } from '../../src/image/buildah.js'
import { BuildxBuilder } from '../../src/image/buildx.js'
import { CommandCancelledError, type CommandRunner } from '../../src/image/command.js'
import { DockerBuilder } from '../../src/image/docker.js'
import { MemoryLogger } from '../../src/logger.js'
import { buildRequest } from './request.js'

/** A runner whose tool runs until its signal aborts, like a real build being cancelled. */
function runsUntilAborted(): {
  runner: CommandRunner
  signals: (AbortSignal | undefined)[]
  started: Promise<void>
} {
  const signals: (AbortSignal | undefined)[] = []
  let onStart = (): void => undefined
  const started = new Promise<void>(resolve => (onStart = resolve))
  const runner: CommandRunner = (tool, _args, options) => {
    signals.push(options.signal)
    onStart()
    return new Promise((_resolve, reject) => {
      options.signal?.addEventListener('abort', () => reject(new CommandCancelledError(tool)))
    })
  }
  return { runner, signals, started }
}

describe.each([
  ['DockerBuilder', DockerBuilder],
  ['BuildxBuilder', BuildxBuilder],
  ['BuildahBuilder', BuildahBuilder]
])('%s', (_name, Builder) => {
  it('hands the build signal to the tool and rejects with "build cancelled" when it aborts', async () => {
    const { runner, signals, started } = runsUntilAborted()
    const controller = new AbortController()
    const builder = new Builder({}, new MemoryLogger(), runner)
    const build = builder.build(buildRequest({ signal: controller.signal }))
    await started
    controller.abort()
    await expect(build).rejects.toThrow('build cancelled: ghcr.io/acme/shop:abc1234')
    expect(signals).toEqual([controller.signal])
    await builder.dispose?.()
  })
})
