import { encode } from 'next-auth/jwt'
import { describe, expect, it, vi } from 'vitest'

import { authConfig } from '@/auth'
import {
  PLAIN_SESSION_COOKIE,
  SECURE_SESSION_COOKIE,
  sessionCookieName,
} from '@/lib/cookie-policy'
import { parseEnv } from '@/lib/env'
import { verifySessionToken } from '@/lib/session-token'
import { viewerFromSessionCookie } from '@/lib/viewer.server'

// Signing in reads the guest cookie to merge its roster; these tests have
// none (the merge has its own tests).
vi.mock('next/headers', () => ({
  cookies: async () => ({ get: () => undefined, set: () => {} }),
}))

const OLD = 'session-old-secret-'.padEnd(48, 'o')
const NEW = 'session-new-secret-'.padEnd(48, 'n')
const COOKIE = SECURE_SESSION_COOKIE
const USER = {
  id: '0b6c1f0e-7d4e-4c39-9a51-3f2e8d7c6b5a',
  name: 'Ann Example',
  email: 'ann@example.com',
  spaceId: '5d0c2b7e-1f3a-4e8d-b6c9-7a2f1e0d3c4b',
}

const env = parseEnv({ AUTH_SECRET: NEW, APP_URL: 'http://localhost:3000' })

/** The token claims Auth.js's jwt callback makes on sign-in. */
async function claimsOnSignIn(user: typeof USER & Record<string, unknown>) {
  const jwt = authConfig(env, [NEW]).callbacks!.jwt!
  return jwt({
    token: { name: user.name, email: user.email, picture: 'https://x/p.png' },
    user,
    account: {
      provider: 'credentials',
      type: 'credentials',
      providerAccountId: user.id,
    },
  } as Parameters<typeof jwt>[0])
}

async function sessionCookie(secret: string | string[], user = USER) {
  const token = (await claimsOnSignIn(user))!
  return encode({ token, secret, salt: COOKIE })
}

describe('the session token', () => {
  it('holds the user id, name, email and space, and nothing else', async () => {
    const claims = await claimsOnSignIn({
      ...USER,
      image: 'https://x/p.png',
      access_token: 'provider-token',
    })
    expect(claims).toEqual({
      sub: USER.id,
      name: USER.name,
      email: USER.email,
      spaceId: USER.spaceId,
    })

    const decoded = await verifySessionToken(
      [NEW],
      COOKIE,
      await sessionCookie(NEW),
    )
    expect(decoded).toEqual(claims)
  })

  it('stays well under 4 KB with a 200-character name and a long email', async () => {
    const cookie = await sessionCookie(NEW, {
      ...USER,
      name: 'N'.repeat(200),
      email: `${'e'.repeat(64)}@${'d'.repeat(180)}.example`,
    })
    expect(`${COOKIE}=${cookie}`.length).toBeLessThan(4096)
    expect(cookie.length).toBeLessThan(2048)
  })

  it('stays valid after rotation while its secret is still in the list, and not after', async () => {
    const cookie = await sessionCookie(OLD)

    await expect(
      viewerFromSessionCookie([OLD], COOKIE, cookie),
    ).resolves.toMatchObject({
      kind: 'user',
      userId: USER.id,
    })
    // Rotated: NEW signs, OLD still decrypts.
    await expect(
      viewerFromSessionCookie([NEW, OLD], COOKIE, cookie),
    ).resolves.toEqual({
      kind: 'user',
      userId: USER.id,
      spaceId: USER.spaceId,
      label: USER.name,
      email: USER.email,
    })
    // OLD removed from the list.
    await expect(
      viewerFromSessionCookie([NEW], COOKIE, cookie),
    ).resolves.toBeNull()
  })

  it('is encrypted with the first secret of the list', async () => {
    const cookie = await sessionCookie([NEW, OLD])
    await expect(
      verifySessionToken([NEW], COOKIE, cookie),
    ).resolves.not.toBeNull()
    await expect(verifySessionToken([OLD], COOKIE, cookie)).resolves.toBeNull()
  })

  it('is bound to its cookie name (the key derivation salt)', async () => {
    const cookie = await sessionCookie(NEW)
    await expect(
      verifySessionToken([NEW], PLAIN_SESSION_COOKIE, cookie),
    ).resolves.toBeNull()
  })

  it('is refused once expired', async () => {
    const token = (await claimsOnSignIn(USER))!
    const cookie = await encode({
      token,
      secret: NEW,
      salt: COOKIE,
      maxAge: -60,
    })
    await expect(verifySessionToken([NEW], COOKIE, cookie)).resolves.toBeNull()
  })

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a JWE', 'hello'],
    ['a JWS-shaped string', 'a.b.c'],
    ['absurdly long', 'x'.repeat(10_000)],
  ])('turns a %s cookie into no user, without throwing', async (_, value) => {
    await expect(
      viewerFromSessionCookie([NEW], COOKIE, value),
    ).resolves.toBeNull()
  })

  it('turns a tampered cookie into no user', async () => {
    const cookie = await sessionCookie(NEW)
    const parts = cookie.split('.')
    const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1)
    for (const index of [0, 2, 3, 4]) {
      const tampered = parts.map((part, at) =>
        at === index ? flip(part) : part,
      )
      await expect(
        viewerFromSessionCookie([NEW], COOKIE, tampered.join('.')),
      ).resolves.toBeNull()
    }
  })

  it('refuses a token of ours that lacks the space or the user id', async () => {
    const cookie = await encode({
      token: { sub: USER.id, name: 'x', email: null },
      secret: NEW,
      salt: COOKIE,
    })
    await expect(verifySessionToken([NEW], COOKIE, cookie)).resolves.toBeNull()
  })

  it('is named after the configured URL, like the guest cookie', () => {
    expect(sessionCookieName('https://rollcall.example')).toBe(
      SECURE_SESSION_COOKIE,
    )
    expect(sessionCookieName('http://localhost:3000')).toBe(
      SECURE_SESSION_COOKIE,
    )
    expect(sessionCookieName('http://rollcall.lan')).toBe(PLAIN_SESSION_COOKIE)
  })
})
