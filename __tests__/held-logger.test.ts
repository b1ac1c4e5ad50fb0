import { HeldLogger, MemoryLogger } from '../src/logger.js'

describe('HeldLogger', () => {
  it('logs nothing until released, then every line in the order it came', () => {
    const target = new MemoryLogger()
    const held = new HeldLogger(target)
    held.info('one')
    held.warning('two')
    held.debug('three')
    expect(target.lines).toEqual([])

    held.release()

    expect(target.lines).toEqual(['one', 'warning: two', 'debug: three'])
  })

  it('masks a secret in its target at once, before any line is released', () => {
    const target = new MemoryLogger()
    const held = new HeldLogger(target)
    held.mask('s3cret-token')

    target.info('token s3cret-token')

    expect(target.lines).toEqual(['token ***'])
  })

  it('passes lines straight through once released', () => {
    const target = new MemoryLogger()
    const held = new HeldLogger(target)
    held.release()

    held.info('late')

    expect(target.lines).toEqual(['late'])
  })

  it('holds the lines of a group run while held, without the group', async () => {
    const target = new MemoryLogger()
    const held = new HeldLogger(target)

    await held.group('inner', async () => held.info('inside'))
    held.release()

    expect(target.lines).toEqual(['inside'])
  })
})
