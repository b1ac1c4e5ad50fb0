import { existsSync, readFileSync, rmSync } from 'node:fs'
import { BuildahBuilder } from '../../src/image/buildah.js'
import type { CommandOptions } from '../../src/image/command.js'
import { MemoryLogger } from '../../src/logger.js'

describe('buildah registry credentials', () => {
  it('are written only to an auth file the builder made, and removed with it on dispose', async () => {
    let authFile = ''
    const runner = async (_tool: string, _args: string[], options: CommandOptions) => {
      authFile = options.env.REGISTRY_AUTH_FILE ?? ''
      return { exitCode: 0, stdout: 'Login Succeeded!', stderr: '' }
    }
    const builder = new BuildahBuilder({}, new MemoryLogger(), runner)
    await builder.login('registry.example.com', 'deployer', 's3cret')
    expect(existsSync(authFile)).toBe(true)
    await builder.dispose()
    expect(existsSync(authFile)).toBe(false)
  })

  it('never touch an auth file the user named', async () => {
    const given = `${process.env.TMPDIR ?? '/tmp'}/canary-given-auth-${process.pid}.json`
    const runner = async () => ({ exitCode: 0, stdout: '', stderr: '' })
    const builder = new BuildahBuilder({ REGISTRY_AUTH_FILE: given }, new MemoryLogger(), runner)
    await builder.login('registry.example.com', 'deployer', 's3cret')
    await builder.dispose()
    expect(readFileSync(given, 'utf8')).toBe('{}\n')
    rmSync(given)
  })
})
