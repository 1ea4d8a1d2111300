import { describe, expect, it } from 'vitest'

import { authConfig, authProviders } from '@/auth'
import { parseEnv } from '@/lib/env'

const SECRET = 'auth-config-secret-'.padEnd(48, 'a')

function providerIds(values: Record<string, string>) {
  return authProviders(parseEnv({ AUTH_SECRET: SECRET, ...values })).map(
    (provider) => (typeof provider === 'function' ? provider() : provider).id,
  )
}

describe('Auth.js configuration', () => {
  it('offers email and password alone without OAuth variables', () => {
    expect(providerIds({})).toEqual(['credentials'])
  })

  it.each([
    [
      'GitHub',
      { AUTH_GITHUB_ID: 'id', AUTH_GITHUB_SECRET: 'secret' },
      'github',
    ],
    [
      'Google',
      { AUTH_GOOGLE_ID: 'id', AUTH_GOOGLE_SECRET: 'secret' },
      'google',
    ],
  ])('switches %s on when both of its variables are set', (_, values, id) => {
    expect(providerIds(values)).toEqual(['credentials', id])
  })

  it('switches both on together, configured from the environment', () => {
    const providers = authProviders(
      parseEnv({
        AUTH_SECRET: SECRET,
        AUTH_GITHUB_ID: 'gh-id',
        AUTH_GITHUB_SECRET: 'gh-secret',
        AUTH_GOOGLE_ID: 'g-id',
        AUTH_GOOGLE_SECRET: 'g-secret',
      }),
    ).map((provider) =>
      typeof provider === 'function' ? provider() : provider,
    )
    expect(providers.map(({ id }) => id)).toEqual([
      'credentials',
      'github',
      'google',
    ])
    const options = providers.map(
      (provider) => (provider as { options?: Record<string, unknown> }).options,
    )
    expect(options[1]).toMatchObject({
      clientId: 'gh-id',
      clientSecret: 'gh-secret',
    })
    expect(options[2]).toMatchObject({
      clientId: 'g-id',
      clientSecret: 'g-secret',
    })
  })

  it('points GitHub at an Enterprise Server when its base URL is set', () => {
    const github = (values: Record<string, string>) => {
      const provider = authProviders(
        parseEnv({
          AUTH_SECRET: SECRET,
          AUTH_GITHUB_ID: 'gh-id',
          AUTH_GITHUB_SECRET: 'gh-secret',
          ...values,
        }),
      )[1]
      return (typeof provider === 'function' ? provider() : provider) as {
        authorization: { url: string }
        token: string
        userinfo: { url: string }
      }
    }
    const enterprise = github({
      AUTH_GITHUB_ENTERPRISE_URL: 'https://github.example.com/',
    })
    expect(enterprise.authorization.url).toBe(
      'https://github.example.com/login/oauth/authorize',
    )
    expect(enterprise.token).toBe(
      'https://github.example.com/login/oauth/access_token',
    )
    expect(enterprise.userinfo.url).toBe(
      'https://github.example.com/api/v3/user',
    )
    expect(github({}).token).toBe('https://github.com/login/oauth/access_token')
  })

  it.each([
    ['GitHub id without secret', { AUTH_GITHUB_ID: 'id' }],
    ['GitHub secret without id', { AUTH_GITHUB_SECRET: 'secret' }],
    ['Google id without secret', { AUTH_GOOGLE_ID: 'id' }],
    ['empty Google values', { AUTH_GOOGLE_ID: '', AUTH_GOOGLE_SECRET: '' }],
  ])('leaves a provider off with %s', (_, values) => {
    expect(providerIds(values)).toEqual(['credentials'])
  })

  it('uses JWT sessions explicitly, the secrets list, and the configured URL for cookies', () => {
    const https = authConfig(
      parseEnv({ APP_URL: 'https://rollcall.example' }),
      ['first-secret', 'second-secret'],
    )
    expect(https.session?.strategy).toBe('jwt')
    expect(https.secret).toEqual(['first-secret', 'second-secret'])
    expect(https.trustHost).toBe(true)
    expect(https.useSecureCookies).toBe(true)

    const lan = authConfig(parseEnv({ APP_URL: 'http://rollcall.lan' }), [
      SECRET,
    ])
    expect(lan.useSecureCookies).toBe(false)
  })

  it('redirects only within the configured URL', async () => {
    const config = authConfig(
      parseEnv({ APP_URL: 'https://rollcall.example' }),
      [SECRET],
    )
    const redirect = (url: string) =>
      Promise.resolve(
        config.callbacks!.redirect!({
          url,
          baseUrl: 'https://attacker.example',
        }),
      )
    await expect(redirect('/')).resolves.toBe('https://rollcall.example/')
    await expect(redirect('https://rollcall.example/x?y=1')).resolves.toBe(
      'https://rollcall.example/x?y=1',
    )
    await expect(redirect('https://evil.example/')).resolves.toBe(
      'https://rollcall.example/',
    )
    await expect(redirect('//evil.example/')).resolves.toBe(
      'https://rollcall.example/',
    )
  })
})
