import { describe, expect, it } from 'vitest'

import { WRONG_CREDENTIALS } from '@/lib/account-input'
import { parseEnv } from '@/lib/env'
import { configuredOAuthProviders } from '@/lib/oauth-providers'
import {
  EMAIL_TAKEN_BY_ANOTHER_ACCOUNT,
  MERGE_FAILED,
  PROVIDER_REFUSED,
  SIGN_IN_FAILED,
  signInNotice,
  SPACE_FULL,
} from '@/lib/sign-in-notices'

describe('the sign-in page notice', () => {
  it('is absent without an error', () => {
    expect(signInNotice(undefined, undefined)).toBeNull()
    expect(signInNotice('', 'space/full')).toBeNull()
  })

  it.each([
    ['OAuthCallbackError', undefined, PROVIDER_REFUSED],
    ['AccessDenied', undefined, PROVIDER_REFUSED],
    ['CredentialsSignin', undefined, WRONG_CREDENTIALS],
    ['CredentialsSignin', 'auth/email-taken', EMAIL_TAKEN_BY_ANOTHER_ACCOUNT],
    ['CredentialsSignin', 'auth/merge-failed', MERGE_FAILED],
    ['CredentialsSignin', 'space/full', SPACE_FULL],
    ['Configuration', undefined, SIGN_IN_FAILED],
  ])('explains %s (code %s)', (error, code, notice) => {
    expect(signInNotice(error, code)).toBe(notice)
  })

  it('never shows the query back, whatever it says', () => {
    const hostile = '<script>alert(1)</script>'
    expect(signInNotice(hostile, hostile)).toBe(SIGN_IN_FAILED)
    expect(signInNotice('OAuthCallbackError', 'toString')).toBe(
      PROVIDER_REFUSED,
    )
    expect(signInNotice('constructor', '__proto__')).toBe(SIGN_IN_FAILED)
  })
})

describe('the OAuth buttons offered', () => {
  it('follow the providers with both variables set, GitHub first', () => {
    expect(configuredOAuthProviders(parseEnv({}))).toEqual([])
    expect(
      configuredOAuthProviders(parseEnv({ AUTH_GITHUB_ID: 'id' })),
    ).toEqual([])
    expect(
      configuredOAuthProviders(
        parseEnv({
          AUTH_GOOGLE_ID: 'g',
          AUTH_GOOGLE_SECRET: 'g',
          AUTH_GITHUB_ID: 'h',
          AUTH_GITHUB_SECRET: 'h',
        }),
      ),
    ).toEqual([
      { id: 'github', name: 'GitHub' },
      { id: 'google', name: 'Google' },
    ])
  })
})
