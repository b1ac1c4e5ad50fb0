import { bcrypt, bcryptWithSalt } from './bcrypt.js'

describe('bcrypt (for htpasswd files)', () => {
  it('matches the OpenBSD known vector for $2a$', () => {
    expect(bcryptWithSalt('U*U', 5, 'CCCCCCCCCCCCCCCCCCCCC.', '2a')).toBe(
      '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'
    )
  })

  it('matches glibc crypt(3) for $2b$ cost 4', () => {
    expect(bcryptWithSalt('hunter2', 4, 'abcdefghijklmnopqrstuu')).toBe(
      '$2b$04$abcdefghijklmnopqrstuuV3duMsC0HpUex6N9qapiuOHHWkwRXVm'
    )
  })

  it('salts each hash afresh', () => {
    expect(bcrypt('same')).not.toBe(bcrypt('same'))
  })
})
