import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommandCancelledError, CommandTimeoutError, execRunner } from '../../src/image/command.js'
import { MemoryLogger } from '../../src/logger.js'

const node = process.execPath

/** Alive means it exists and is not a zombie waiting to be reaped (PID 1 in a container may not). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

async function ended(pid: number): Promise<void> {
  while (isRunning(pid)) await new Promise(resolve => setTimeout(resolve, 50))
}

/** Resolves with the first line the logger receives that matches. */
function lineFrom(logger: MemoryLogger, pattern: RegExp): Promise<string> {
  return new Promise(resolve => {
    const info = logger.info.bind(logger)
    logger.info = (message: string) => {
      info(message)
      if (pattern.test(message)) resolve(message)
    }
  })
}

describe('execRunner', () => {
  it('passes each argument as is, with no shell to expand it', async () => {
    const args = ['$(echo hi)', 'a b', '*', '; echo x']
    const result = await execRunner(
      node,
      ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...args],
      { env: {} }
    )
    expect(JSON.parse(result.stdout)).toEqual(args)
  })

  it('writes the input to the tool on stdin', async () => {
    const result = await execRunner(node, ['-e', 'process.stdin.pipe(process.stdout)'], {
      env: {},
      input: 'pw-123'
    })
    expect(result.stdout).toBe('pw-123')
  })

  it('gives the tool exactly the given environment, nothing of its own', async () => {
    process.env.CANARY_RUNNER_OWN = 'leaked'
    try {
      const result = await execRunner(
        node,
        ['-e', 'process.stdout.write(JSON.stringify(process.env))'],
        { env: { CANARY_T: 'given', UNSET: undefined } }
      )
      expect(JSON.parse(result.stdout)).toEqual({ CANARY_T: 'given' })
    } finally {
      delete process.env.CANARY_RUNNER_OWN
    }
  })

  it('reports the exit code and stderr of a failing tool', async () => {
    const result = await execRunner(node, ['-e', 'console.error("broken"); process.exit(3)'], {
      env: {}
    })
    expect(result).toMatchObject({ exitCode: 3, stderr: 'broken\n' })
  })

  it('hands every output line, stdout and stderr, to the logger', async () => {
    const logger = new MemoryLogger()
    await execRunner(
      node,
      ['-e', 'console.log("one\\ntwo"); console.error("three"); process.stdout.write("four")'],
      { env: {}, logger }
    )
    expect([...logger.lines].sort()).toEqual(['four', 'one', 'three', 'two'])
  })

  it('answers exit code 127 for a tool that is not installed', async () => {
    const result = await execRunner('canary-no-such-tool', ['--version'], { env: process.env })
    expect(result.exitCode).toBe(127)
  })

  it('stops a running tool when the signal aborts, and rejects as cancelled', async () => {
    const logger = new MemoryLogger()
    const controller = new AbortController()
    const started = lineFrom(logger, /^pid /)
    const run = execRunner(
      node,
      ['-e', 'console.log("pid " + process.pid); setTimeout(() => {}, 30000)'],
      {
        env: {},
        logger,
        signal: controller.signal
      }
    )
    const pid = Number((await started).slice(4))
    controller.abort()
    await expect(run).rejects.toThrow(CommandCancelledError)
    await expect(run).rejects.toThrow('cancelled')
    expect(isRunning(pid)).toBe(false)
  })

  it('kills a tool that ignores SIGTERM', async () => {
    const logger = new MemoryLogger()
    const controller = new AbortController()
    const started = lineFrom(logger, /^pid /)
    const script =
      'process.on("SIGTERM", () => {}); console.log("pid " + process.pid); setInterval(() => {}, 1000)'
    const run = execRunner(node, ['-e', script], { env: {}, logger, signal: controller.signal })
    const pid = Number((await started).slice(4))
    controller.abort()
    await expect(run).rejects.toThrow(CommandCancelledError)
    expect(isRunning(pid)).toBe(false)
  })

  it('also stops what the tool started', async () => {
    const logger = new MemoryLogger()
    const controller = new AbortController()
    const started = lineFrom(logger, /^child /)
    const script = [
      'const { spawn } = require("node:child_process")',
      `const c = spawn(${JSON.stringify(node)}, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" })`,
      'console.log("child " + c.pid)',
      'setTimeout(() => {}, 30000)'
    ].join(';')
    const run = execRunner(node, ['-e', script], { env: {}, logger, signal: controller.signal })
    const grandchild = Number((await started).slice(6))
    controller.abort()
    await expect(run).rejects.toThrow(CommandCancelledError)
    await ended(grandchild)
    expect(isRunning(grandchild)).toBe(false)
  })

  it('stops a tool that outlives its timeout, and rejects naming the command and the bound', async () => {
    const logger = new MemoryLogger()
    const started = lineFrom(logger, /^pid /)
    const script = 'console.log("pid " + process.pid); setTimeout(() => {}, 30000)'
    const run = execRunner(node, ['-e', script], { env: {}, logger, timeoutMs: 300 })
    const pid = Number((await started).slice(4))
    await expect(run).rejects.toThrow(CommandTimeoutError)
    await expect(run).rejects.toThrow(`${node} did not finish within 0.3 s`)
    await ended(pid)
    expect(isRunning(pid)).toBe(false)
  })

  it('names the subcommand, not the arguments, of a tool that timed out', async () => {
    const run = execRunner(node, ['--no-warnings', '-e', 'setTimeout(() => {}, 30000)'], {
      env: {},
      timeoutMs: 200
    })
    await expect(run).rejects.toThrow(new CommandTimeoutError(node, [], 200).message)
    expect(
      new CommandTimeoutError('docker', ['buildx', 'rm', 'canary-deploy-1'], 5000).message
    ).toBe('docker buildx rm did not finish within 5 s')
  })

  it('leaves a tool that finishes in time alone', async () => {
    const result = await execRunner(node, ['-e', 'console.log("done")'], {
      env: {},
      timeoutMs: 30_000
    })
    expect(result).toMatchObject({ exitCode: 0, stdout: 'done\n' })
  })

  it('does not start a tool when the signal has already aborted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'canary-runner-'))
    const marker = join(dir, 'ran')
    try {
      const run = execRunner(
        node,
        ['-e', `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "")`],
        {
          env: {},
          signal: AbortSignal.abort()
        }
      )
      await expect(run).rejects.toThrow(CommandCancelledError)
      expect(existsSync(marker)).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
