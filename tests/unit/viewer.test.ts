import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { encode } from 'next-auth/jwt'

import { GET } from '@/app/api/viewer/route'
import { resetEnvForTests } from '@/lib/env'
import { mintGuestToken } from '@/lib/guest-token'
import { resetSecretsForTests } from '@/lib/secrets.server'
import {
  getViewer,
  guestLabel,
  requireViewer,
  viewerFromGuestCookie,
} from '@/lib/viewer.server'

// The request's cookies, as `cookies()` from next/headers would read them.
const jar = vi.hoisted(() => new Map<string, string>())
vi.mock('next/headers', () => ({
  cookies: async () => ({
    get: (name: string) =>
      jar.has(name) ? { name, value: jar.get(name) } : undefined,
  }),
}))

const KEYS = ['AUTH_SECRET', 'DATABASE_URL', 'APP_URL'] as const
const SECRET = 'viewer-test-secret-viewer-test-secret-viewer'
const TTL = 3600
const GUEST = '3f2a9c1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b'

let saved: Record<string, string | undefined>

function setEnv(values: Partial<Record<(typeof KEYS)[number], string>>) {
  for (const key of KEYS) delete process.env[key]
  Object.assign(process.env, values)
  resetEnvForTests()
  resetSecretsForTests()
}

async function token(secret = SECRET, guestId = GUEST) {
  return (await mintGuestToken([secret], { guestId, ttlSeconds: TTL })).token
}

beforeEach(() => {
  saved = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]))
  setEnv({ AUTH_SECRET: SECRET, APP_URL: 'https://rollcall.example' })
  jar.clear()
})

afterEach(() => {
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key]
    else process.env[key] = saved[key]
  }
  resetEnvForTests()
  resetSecretsForTests()
})

describe('viewerFromGuestCookie', () => {
  it('turns a valid guest token into a guest viewer of its own space', async () => {
    await expect(
      viewerFromGuestCookie([SECRET], await token()),
    ).resolves.toEqual({ kind: 'guest', spaceId: GUEST, label: 'Guest 3f2a' })
  })

  it.each([
    ['no cookie', async () => undefined],
    ['an empty cookie', async () => ''],
    ['garbage', async () => 'garbage'],
    [
      'a token from another secret',
      () => token('other-secret-other-secret-other-secret-x'),
    ],
  ])('returns null for %s', async (_, make) => {
    await expect(
      viewerFromGuestCookie([SECRET], await make()),
    ).resolves.toBeNull()
  })

  it('labels a guest by the start of its id', () => {
    expect(guestLabel('abcd0123-0000-4000-8000-000000000000')).toBe(
      'Guest abcd',
    )
  })
})

describe('getViewer', () => {
  it('reads the cookie named by the cookie policy', async () => {
    jar.set('__Host-guest', await token())

    await expect(getViewer()).resolves.toMatchObject({ spaceId: GUEST })
  })

  it('ignores a cookie under the other name', async () => {
    jar.set('guest', await token())

    await expect(getViewer()).resolves.toBeNull()
  })

  it('reads the plain cookie on a plain-HTTP deployment', async () => {
    setEnv({ AUTH_SECRET: SECRET, APP_URL: 'http://rollcall.example' })
    jar.set('guest', await token())

    await expect(getViewer()).resolves.toMatchObject({ spaceId: GUEST })
  })

  it('requireViewer answers 401 viewer/unknown without a viewer', async () => {
    await expect(requireViewer()).rejects.toMatchObject({
      code: 'viewer/unknown',
      status: 401,
    })
  })
})

describe('getViewer with a session', () => {
  const SESSION = '__Secure-authjs.session-token'
  const USER = {
    sub: '0b6c1f0e-7d4e-4c39-9a51-3f2e8d7c6b5a',
    name: 'Ann Example',
    email: 'ann@example.com',
    spaceId: '5d0c2b7e-1f3a-4e8d-b6c9-7a2f1e0d3c4b',
  }
  const session = (secret = SECRET) =>
    encode({ token: USER, secret, salt: SESSION })

  it('answers the signed-in user and the user’s space, before any guest cookie', async () => {
    jar.set('__Host-guest', await token())
    jar.set(SESSION, await session())

    await expect(getViewer()).resolves.toEqual({
      kind: 'user',
      userId: USER.sub,
      spaceId: USER.spaceId,
      label: 'Ann Example',
      email: 'ann@example.com',
    })
  })

  it.each([
    ['tampered', async () => (await session()).replace(/\.(.)/, '.A$1')],
    ['from a foreign secret', () => session('foreign-secret-'.padEnd(48, 'f'))],
    ['garbage', async () => 'not-a-session'],
  ])('falls back to the guest for a %s session cookie', async (_, make) => {
    jar.set('__Host-guest', await token())
    jar.set(SESSION, await make())

    await expect(getViewer()).resolves.toEqual({
      kind: 'guest',
      spaceId: GUEST,
      label: 'Guest 3f2a',
    })
  })

  it('answers the user through GET /api/viewer', async () => {
    jar.set(SESSION, await session())

    const response = await GET()

    expect(response.status).toBe(200)
    await expect(response.json()).resolves.toEqual({
      kind: 'user',
      spaceId: USER.spaceId,
      label: 'Ann Example',
    })
  })
})

describe('GET /api/viewer', () => {
  it('answers the viewer, never cached', async () => {
    jar.set('__Host-guest', await token())

    const response = await GET()

    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('private, no-store')
    await expect(response.json()).resolves.toEqual({
      kind: 'guest',
      spaceId: GUEST,
      label: 'Guest 3f2a',
    })
  })

  it.each([
    ['no cookie', undefined],
    ['an invalid cookie', 'garbage'],
  ])('answers 401 viewer/unknown for %s', async (_, value) => {
    if (value !== undefined) jar.set('__Host-guest', value)

    const response = await GET()

    expect(response.status).toBe(401)
    expect(response.headers.get('cache-control')).toBe('private, no-store')
    const body = await response.json()
    expect(body.error.code).toBe('viewer/unknown')
    expect(body.error.message).toEqual(expect.any(String))
  })

  it('answers a generic 500 and logs when the secrets are missing', async () => {
    setEnv({ DATABASE_URL: 'postgres://db.invalid/rollcall' })
    jar.set('__Host-guest', await token())
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})

    const response = await GET()

    expect(response.status).toBe(500)
    const body = await response.json()
    expect(body.error.code).toBe('server/internal')
    expect(JSON.stringify(body)).not.toContain('AUTH_SECRET')
    expect(error).toHaveBeenCalledWith(
      expect.stringMatching(/^\[api\] GET \/api\/viewer failed .*AUTH_SECRET/),
    )
  })
})
