import { describe, expect, it } from 'vitest'

import { EnvError, parseEnv } from '@/lib/env'

describe('environment', () => {
  it('defaults to the embedded database on localhost', () => {
    const env = parseEnv({})
    expect(env.DATABASE_URL).toBeUndefined()
    expect(env).toMatchObject({
      APP_URL: 'http://localhost:3000',
      DATA_DIR: '.data',
      LOG_LEVEL: 'info',
    })
  })

  it('treats empty values as unset', () => {
    expect(parseEnv({ DATABASE_URL: '', AUTH_SECRET: '' }).DATABASE_URL).toBe(
      undefined,
    )
  })

  it('splits the secret list, first one first', () => {
    const a = 'a'.repeat(32)
    const b = 'b'.repeat(40)
    expect(parseEnv({ AUTH_SECRET: ` ${a} , ${b} ` }).AUTH_SECRET).toEqual([
      a,
      b,
    ])
  })

  it('lists every bad field at once', () => {
    const error = (() => {
      try {
        parseEnv({
          DATABASE_URL: 'mysql://x',
          AUTH_SECRET: 'short',
          APP_URL: 'ftp://x',
          LOG_LEVEL: 'loud',
        })
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(EnvError)
    const fields = (error as EnvError).issues.map((line) => line.split(':')[0])
    expect(fields.sort()).toEqual(
      ['APP_URL', 'AUTH_SECRET.0', 'DATABASE_URL', 'LOG_LEVEL'].sort(),
    )
  })
})
