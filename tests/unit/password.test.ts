import { describe, expect, it } from 'vitest'

import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parseStoredHash,
  scryptMemory,
  verifyNothing,
  verifyPassword,
} from '@/lib/password.server'

// Cheap parameters keep the suite fast; one test pays for the real ones.
const FAST = { N: 2 ** 10, r: 8, p: 1 }

describe('password hashing', () => {
  it('hashes with N=2^17, r=8, p=1 by default and records them in the stored form', async () => {
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ N: 131072, r: 8, p: 1 })
    expect(scryptMemory(DEFAULT_SCRYPT_PARAMS)).toBeGreaterThan(128 * 2 ** 20)

    const stored = await hashPassword('correct horse battery')

    expect(stored).toMatch(/^scrypt\$N=131072,r=8,p=1\$[\w-]{22}\$[\w-]{43}$/)
    expect(parseStoredHash(stored).params).toEqual(DEFAULT_SCRYPT_PARAMS)
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(
      true,
    )
  })

  it('salts every hash differently, so one password gives different hashes', async () => {
    const hashes = await Promise.all(
      Array.from({ length: 5 }, () => hashPassword('same password', FAST)),
    )
    const salts = hashes.map((hash) => hash.split('$')[2])
    expect(new Set(hashes).size).toBe(5)
    expect(new Set(salts).size).toBe(5)
  })

  it('refuses a wrong password, a near miss and an empty one', async () => {
    const stored = await hashPassword('correct horse battery', FAST)
    for (const attempt of [
      'wrong',
      'correct horse batter',
      '',
      'Correct horse battery',
    ]) {
      await expect(verifyPassword(attempt, stored)).resolves.toBe(false)
    }
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(
      true,
    )
  })

  it('checks with the parameters recorded in the hash, not the current defaults', async () => {
    const stored = await hashPassword('old account', { N: 2 ** 11, r: 4, p: 2 })
    expect(stored.startsWith('scrypt$N=2048,r=4,p=2$')).toBe(true)
    await expect(verifyPassword('old account', stored)).resolves.toBe(true)
  })

  it('spends a real check on an email without an account, and never matches', async () => {
    await expect(verifyNothing('anything')).resolves.toBe(false)
  })

  const salt = 'A'.repeat(22)
  const key = 'B'.repeat(43)
  it.each([
    ['empty', ''],
    ['another scheme', `bcrypt$N=1024,r=8,p=1$${salt}$${key}`],
    ['missing key', `scrypt$N=1024,r=8,p=1$${salt}`],
    ['N not a power of two', `scrypt$N=1000,r=8,p=1$${salt}$${key}`],
    ['N beyond the memory bound', `scrypt$N=${2 ** 24},r=8,p=1$${salt}$${key}`],
    ['r zero', `scrypt$N=1024,r=0,p=1$${salt}$${key}`],
    ['p too large', `scrypt$N=1024,r=8,p=99$${salt}$${key}`],
    ['short salt', `scrypt$N=1024,r=8,p=1$AAAA$${key}`],
    ['short key', `scrypt$N=1024,r=8,p=1$${salt}$BBBB`],
    ['not base64url', `scrypt$N=1024,r=8,p=1$${salt}+/$${key}`],
  ])(
    'refuses a stored hash that is %s with password/bad-hash',
    async (_, stored) => {
      expect(() => parseStoredHash(stored)).toThrow(
        expect.objectContaining({ code: 'password/bad-hash' }),
      )
      await expect(verifyPassword('x', stored)).rejects.toMatchObject({
        code: 'password/bad-hash',
      })
    },
  )
})
