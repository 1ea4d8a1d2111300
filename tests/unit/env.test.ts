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

  it('keeps a GitHub Enterprise base URL without its trailing slash', () => {
    expect(
      parseEnv({ AUTH_GITHUB_ENTERPRISE_URL: 'https://github.example.com/' })
        .AUTH_GITHUB_ENTERPRISE_URL,
    ).toBe('https://github.example.com')
    expect(
      parseEnv({ AUTH_GITHUB_ENTERPRISE_URL: 'http://10.0.0.5:8080/ghe' })
        .AUTH_GITHUB_ENTERPRISE_URL,
    ).toBe('http://10.0.0.5:8080/ghe')
    expect(parseEnv({}).AUTH_GITHUB_ENTERPRISE_URL).toBeUndefined()
  })

  it.each([
    'github.example.com',
    'ftp://github.example.com',
    'https://github.example.com/?x=1',
    'https://user:pass@github.example.com',
  ])('refuses %s as a GitHub Enterprise base URL', (value) => {
    expect(() => parseEnv({ AUTH_GITHUB_ENTERPRISE_URL: value })).toThrow(
      /AUTH_GITHUB_ENTERPRISE_URL/,
    )
  })
})
