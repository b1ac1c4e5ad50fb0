import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { BuildxBuilder } from '../../src/image/buildx.js'
import { DockerBuilder } from '../../src/image/docker.js'
import type { Env } from '../../src/image/types.js'
import { MemoryLogger } from '../../src/logger.js'
import { buildRequest, DIGEST_A, scriptedRunner } from './request.js'

let home: string
let runnerTemp: string
let env: Env

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'canary-home-'))
  runnerTemp = await mkdtemp(join(tmpdir(), 'canary-runner-temp-'))
  env = { HOME: home, RUNNER_TEMP: runnerTemp }
})

afterEach(async () => {
  await rm(home, { recursive: true, force: true })
  await rm(runnerTemp, { recursive: true, force: true })
})

/** Answers like docker: a digest line on push, a metadata file for buildx. */
function dockerLike() {
  return scriptedRunner(async ({ args }) => {
    if (args[0] === 'push') return { stdout: `abc1234: digest: ${DIGEST_A} size: 1\n` }
    const metadata = args.indexOf('--metadata-file')
    if (metadata >= 0) {
      await writeFile(args[metadata + 1], JSON.stringify({ 'containerimage.digest': DIGEST_A }))
    }
    return {}
  })
}

const dockerConfigOf = (options: { env?: Env }): string | undefined => options.env?.DOCKER_CONFIG

describe.each([
  ['DockerBuilder', DockerBuilder],
  ['BuildxBuilder', BuildxBuilder]
])('%s registry login', (_name, Builder) => {
  it('logs in under a private DOCKER_CONFIG (0700, in RUNNER_TEMP), not ~/.docker', async () => {
    const { runner, calls } = dockerLike()
    const builder = new Builder(env, new MemoryLogger(), runner)
    await builder.login('ghcr.io', 'bot', 'pw')
    const dir = dockerConfigOf(calls[0].options) ?? ''
    expect(dirname(dir)).toBe(runnerTemp)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    await builder.dispose()
  })

  it('runs every build and push after the login with the same DOCKER_CONFIG', async () => {
    const { runner, calls } = dockerLike()
    const builder = new Builder(env, new MemoryLogger(), runner)
    await builder.login('ghcr.io', 'bot', 'pw')
    await builder.build(buildRequest())
    const dirs = calls.map(call => dockerConfigOf(call.options))
    expect(calls.length).toBeGreaterThan(1)
    expect(new Set(dirs)).toEqual(new Set([dockerConfigOf(calls[0].options)]))
    await builder.dispose()
  })

  it('removes the private DOCKER_CONFIG, credentials and all, on dispose', async () => {
    const { runner, calls } = dockerLike()
    const builder = new Builder(env, new MemoryLogger(), runner)
    await builder.login('ghcr.io', 'bot', 'pw')
    await builder.dispose()
    expect(existsSync(dockerConfigOf(calls[0].options) ?? '')).toBe(false)
  })

  it('keeps a DOCKER_CONFIG the user set, and leaves it on dispose', async () => {
    const given = join(home, 'my-docker-config')
    await mkdir(given)
    const { runner, calls } = dockerLike()
    const builder = new Builder({ ...env, DOCKER_CONFIG: given }, new MemoryLogger(), runner)
    await builder.login('ghcr.io', 'bot', 'pw')
    await builder.build(buildRequest())
    await builder.dispose()
    expect(calls.map(call => dockerConfigOf(call.options))).toEqual(calls.map(() => given))
    expect(existsSync(given)).toBe(true)
  })

  it("builds with the user's own docker config when it never logged in", async () => {
    const { runner, calls } = dockerLike()
    const builder = new Builder(env, new MemoryLogger(), runner)
    await builder.build(buildRequest())
    expect(calls.map(call => dockerConfigOf(call.options))).toEqual(calls.map(() => undefined))
  })

  it('links ~/.docker/cli-plugins into the private config so buildx is still found, and dispose leaves the plugins', async () => {
    const plugins = join(home, '.docker', 'cli-plugins')
    await mkdir(plugins, { recursive: true })
    await writeFile(join(plugins, 'docker-buildx'), '#!/bin/sh\n')
    const { runner, calls } = dockerLike()
    const builder = new Builder(env, new MemoryLogger(), runner)
    await builder.login('ghcr.io', 'bot', 'pw')
    const link = join(dockerConfigOf(calls[0].options) ?? '', 'cli-plugins')
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readlinkSync(link)).toBe(plugins)
    await builder.dispose()
    expect(existsSync(join(plugins, 'docker-buildx'))).toBe(true)
  })

  it("carries the user's settings and earlier logins over, but not their credential store", async () => {
    await mkdir(join(home, '.docker'))
    const userConfig = {
      auths: { 'quay.io': { auth: 'dXNlcjpwYXNz' } },
      credsStore: 'desktop',
      credHelpers: { 'ghcr.io': 'gh', '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login' },
      proxies: { default: { httpProxy: 'http://proxy:3128' } }
    }
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify(userConfig))
    const { runner, calls } = dockerLike()
    const builder = new Builder(env, new MemoryLogger(), runner)
    await builder.login('ghcr.io', 'bot', 'pw')
    const file = join(dockerConfigOf(calls[0].options) ?? '', 'config.json')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      auths: userConfig.auths,
      credHelpers: { '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login' },
      proxies: userConfig.proxies
    })
    await builder.dispose()
  })
})
