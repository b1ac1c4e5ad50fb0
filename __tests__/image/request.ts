import { MemoryLogger } from '../../src/logger.js'
import type { CommandOptions, CommandResult, CommandRunner } from '../../src/image/command.js'
import type { BuildRequest } from '../../src/image/types.js'
import { PLAIN_BUILD } from '../../src/image/plain-build.js'

/** A build request with every field set, for argument-list tests. */
export function buildRequest(overrides: Partial<BuildRequest> = {}): BuildRequest {
  return {
    context: 'app',
    dockerfile: 'app/Dockerfile',
    image: 'ghcr.io/acme/shop:abc1234',
    buildArgs: {},
    ...PLAIN_BUILD,
    cache: 'none',
    version: 'abc1234',
    revision: 'abc1234def',
    source: 'https://github.com/acme/shop',
    logger: new MemoryLogger(),
    ...overrides
  }
}

export interface RecordedCall {
  tool: string
  args: string[]
  options: CommandOptions
}

/**
 * A CommandRunner that records each call and answers from a script, so a builder's decisions
 * (retry, digest source, stdin) can be checked without the tool installed.
 */
export function scriptedRunner(
  answer: (
    call: RecordedCall,
    index: number
  ) => Partial<CommandResult> | Promise<Partial<CommandResult>>
): { runner: CommandRunner; calls: RecordedCall[] } {
  const calls: RecordedCall[] = []
  const runner: CommandRunner = async (tool, args, options) => {
    const call = { tool, args, options }
    calls.push(call)
    const result = await answer(call, calls.length - 1)
    return { exitCode: 0, stdout: '', stderr: '', ...result }
  }
  return { runner, calls }
}

export const DIGEST_A = `sha256:${'a'.repeat(64)}`
export const DIGEST_B = `sha256:${'b'.repeat(64)}`
