import { detectBuilder, selectBuilder } from '../../src/image/select.js'
import { MemoryLogger } from '../../src/logger.js'
import { scriptedRunner } from './request.js'

/** A machine where the listed probe commands succeed. */
function machine(...working: string[]) {
  return scriptedRunner(({ tool, args }) => ({
    exitCode: working.includes([tool, ...args].join(' ')) ? 0 : 1
  }))
}

describe('detectBuilder', () => {
  it('picks buildx when `docker buildx version` works (GitHub runners)', async () => {
    expect(await detectBuilder({}, machine('docker buildx version', 'docker info').runner)).toBe(
      'buildx'
    )
  })

  it('picks plain docker when the engine answers but buildx is missing', async () => {
    expect(await detectBuilder({}, machine('docker info').runner)).toBe('docker')
  })

  it('picks buildah when there is no Docker engine', async () => {
    expect(await detectBuilder({}, machine('buildah --version').runner)).toBe('buildah')
  })

  it('says what is missing when no builder exists', async () => {
    await expect(detectBuilder({}, machine().runner)).rejects.toThrow(/build: false/)
  })
})

describe('selectBuilder', () => {
  it('honours an explicit choice without probing', async () => {
    const { runner, calls } = machine()
    const builder = await selectBuilder({}, 'buildah', new MemoryLogger(), runner)
    expect(builder.name).toBe('buildah')
    expect(calls).toHaveLength(0)
  })

  it('returns the detected builder', async () => {
    const builder = await selectBuilder(
      {},
      'auto',
      new MemoryLogger(),
      machine('docker info').runner
    )
    expect(builder.name).toBe('docker')
  })
})
