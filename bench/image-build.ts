/**
 * Cold and cached build+push with buildah against a local registry. The context is the test
 * fixture plus a 32 MiB incompressible payload standing in for an application layer, so the time
 * measures layer work (compress, upload) rather than process start-up alone.
 */
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BuildahBuilder } from '../src/image/buildah.js'
import type { BuildRequest } from '../src/image/types.js'
import { MemoryLogger } from '../src/logger.js'
import { buildahMissingReason, buildahSandbox } from '../__tests__/harness/buildah.js'
import { startRegistry } from '../__tests__/harness/registry.js'
import type { Row } from './row.js'
import { PLAIN_BUILD } from '../src/image/plain-build.js'

// From the repository root (npm run bench runs there), not from this file: it runs compiled in .tmp/.
const FIXTURE = join(process.cwd(), '__tests__', 'image', 'fixtures', 'app')
const PAYLOAD_BYTES = 32 * 1024 * 1024
const CACHED_SHARE_TARGET = 0.1

const COLD = 'image build+push, cold (buildah, local registry)'
const CACHED = 'image build+push, cached (buildah, local registry)'

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint()
  const value = await fn()
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value }
}

export async function benchBuild(): Promise<Row[]> {
  const missing = buildahMissingReason()
  if (missing) {
    return [COLD, CACHED].map(name => ({
      name,
      value: null,
      unit: 's',
      target: `skipped: ${missing}`,
      met: null
    }))
  }
  const auth = { user: 'bench', password: 'bench-password' }
  const registry = await startRegistry({ auth })
  const sandbox = await buildahSandbox()
  const context = await mkdtemp(join(tmpdir(), 'canary-bench-context-'))
  try {
    await cp(FIXTURE, context, { recursive: true })
    await writeFile(join(context, 'payload.bin'), randomBytes(PAYLOAD_BYTES))
    await writeFile(
      join(context, 'Dockerfile'),
      'FROM scratch\nCOPY payload.bin /app/payload.bin\nCOPY app.txt /app/app.txt\nLABEL org.example.bench="canary-deploy"\n'
    )
    const builder = new BuildahBuilder(sandbox.env)
    await builder.login(registry.host, auth.user, auth.password)
    const request: BuildRequest = {
      context,
      dockerfile: join(context, 'Dockerfile'),
      image: `${registry.host}/bench/app:v1`,
      buildArgs: {},
      ...PLAIN_BUILD,
      cache: 'auto',
      version: 'v1',
      revision: 'bench',
      source: 'bench',
      logger: new MemoryLogger()
    }
    const cold = await timed(() => builder.build(request))
    const cached = await timed(() => builder.build({ ...request, logger: new MemoryLogger() }))
    const limit = cold.seconds * CACHED_SHARE_TARGET
    return [
      { name: COLD, value: round(cold.seconds), unit: 's', target: 'baseline', met: null },
      {
        name: CACHED,
        value: round(cached.seconds),
        unit: 's',
        target: `<= 10% of cold (${round(limit)} s)${cached.value.cacheHit ? '' : '; cache was not hit'}`,
        met: cached.seconds <= limit && cached.value.cacheHit === true
      }
    ]
  } finally {
    await rm(context, { recursive: true, force: true })
    await sandbox.dispose()
    await registry.stop()
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000
}
