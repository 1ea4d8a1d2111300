import { unstable_doesMiddlewareMatch } from 'next/experimental/testing/server'
import { NextRequest } from 'next/server'
import {
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  vi,
  type MockInstance,
} from 'vitest'

import { resetEnvForTests } from '@/lib/env'
import {
  mintGuestToken,
  verifyGuestToken,
  type GuestClaims,
} from '@/lib/guest-token'
import { resetSecretsForTests } from '@/lib/secrets.server'
import { config, proxy } from '@/proxy'

const KEYS = ['AUTH_SECRET', 'DATABASE_URL', 'APP_URL', 'DATA_DIR'] as const
const SECRET = 'proxy-test-secret-proxy-test-secret-proxy'
const OTHER = 'another-secret-another-secret-another-secret'
const TTL = 180 * 24 * 60 * 60
const GUEST = '0c4f5a6b-7d8e-4f90-a1b2-c3d4e5f60718'

let saved: Record<string, string | undefined>
let warn: MockInstance<typeof console.info>

function setEnv(values: Partial<Record<(typeof KEYS)[number], string>>) {
  for (const key of KEYS) delete process.env[key]
  Object.assign(process.env, values)
  resetEnvForTests()
  resetSecretsForTests()
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

async function tokenFor(options: {
  age?: number
  secret?: string
  guestId?: string
}) {
  const { token } = await mintGuestToken([options.secret ?? SECRET], {
    guestId: options.guestId ?? GUEST,
    now: nowSeconds() - (options.age ?? 0),
    ttlSeconds: TTL,
  })
  return token
}

function request(cookie?: string, path = '/') {
  const headers = new Headers(cookie ? { cookie } : {})
  return new NextRequest(`http://localhost:3000${path}`, { headers })
}

/** The guest cookie the response sets, and what the page will see. */
async function issued(response: Response, name = '__Host-guest') {
  const setCookie = response.headers.get('set-cookie') ?? ''
  const token = new RegExp(`^${name}=([^;]+)`).exec(setCookie)?.[1]
  const forwarded = response.headers.get('x-middleware-request-cookie') ?? ''
  const claims: GuestClaims | null = token
    ? await verifyGuestToken([SECRET], token)
    : null
  return { setCookie, token, forwarded, claims }
}

beforeEach(() => {
  saved = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]))
  setEnv({ AUTH_SECRET: SECRET, APP_URL: 'http://localhost:3000' })
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
})

afterEach(() => {
  warn.mockRestore()
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key]
    else process.env[key] = saved[key]
  }
  resetEnvForTests()
  resetSecretsForTests()
})

describe('proxy', () => {
  it('gives a first visit a new guest, on the response and the request', async () => {
    const response = await proxy(request('theme=dark'))

    const { setCookie, token, forwarded, claims } = await issued(response)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-middleware-next')).toBe('1')
    expect(claims).not.toBeNull()
    expect(claims!.expiresAt - claims!.issuedAt).toBe(TTL)
    expect(setCookie).toMatch(/; Path=\/(;|$)/)
    expect(setCookie).toMatch(new RegExp(`; Max-Age=${TTL}(;|$)`))
    expect(setCookie).toMatch(/; Secure(;|$)/)
    expect(setCookie).toMatch(/; HttpOnly(;|$)/)
    expect(setCookie).toMatch(/; SameSite=lax(;|$)/i)
    expect(setCookie).not.toMatch(/Domain=/i)
    expect(forwarded).toBe(`theme=dark; __Host-guest=${token}`)
  })

  it('leaves a valid, young guest cookie alone', async () => {
    const token = await tokenFor({ age: 60 })

    const response = await proxy(request(`__Host-guest=${token}`))

    expect(response.headers.get('set-cookie')).toBeNull()
    expect(response.headers.get('x-middleware-override-headers')).toBeNull()
    expect(response.headers.get('x-middleware-next')).toBe('1')
  })

  it('renews a cookie past half its life for the same guest', async () => {
    const token = await tokenFor({ age: Math.ceil(TTL * 0.6) })

    const response = await proxy(request(`__Host-guest=${token}; a=1`))

    const renewed = await issued(response)
    expect(renewed.token).not.toBe(token)
    expect(renewed.claims?.guestId).toBe(GUEST)
    expect(renewed.claims!.issuedAt).toBeGreaterThanOrEqual(nowSeconds() - 1)
    expect(renewed.forwarded).toBe(`a=1; __Host-guest=${renewed.token}`)
  })

  it.each([
    ['garbage', async () => 'garbage'],
    ['an empty value', async () => ''],
    ['an expired token', () => tokenFor({ age: TTL + 3600 })],
    ['a token from another secret', () => tokenFor({ secret: OTHER })],
    [
      'a tampered token',
      async () => (await tokenFor({})).replace(/\.[\w-]/, '.A'),
    ],
    ['an oversized value', async () => 'x'.repeat(4000)],
  ])('replaces %s with a new guest', async (_, make) => {
    const stale = await make()
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})

    const response = await proxy(request(`__Host-guest=${stale}`))

    const { token, claims, forwarded } = await issued(response)
    expect(claims).not.toBeNull()
    expect(claims?.guestId).not.toBe(GUEST)
    expect(forwarded).toBe(`__Host-guest=${token}`)
    const logs = [...warn.mock.calls, ...info.mock.calls].flat().join('\n')
    if (stale) expect(logs).not.toContain(stale)
    info.mockRestore()
  })

  it('uses the plain cookie when the public URL is plain HTTP', async () => {
    setEnv({ AUTH_SECRET: SECRET, APP_URL: 'http://rollcall.example' })

    const response = await proxy(request('__Host-guest=ignored'))

    const { setCookie, token, forwarded, claims } = await issued(
      response,
      'guest',
    )
    expect(claims).not.toBeNull()
    expect(setCookie).not.toMatch(/Secure/i)
    expect(setCookie).toMatch(/; HttpOnly(;|$)/)
    expect(forwarded).toBe(`__Host-guest=ignored; guest=${token}`)
  })

  it('lets the request through with a warning when no secret is available', async () => {
    setEnv({ DATABASE_URL: 'postgres://db.invalid/rollcall' })

    const response = await proxy(request())

    expect(response.status).toBe(200)
    expect(response.headers.get('x-middleware-next')).toBe('1')
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^\[guest\] could not issue a guest cookie: /),
    )
  })
})

describe('proxy matcher', () => {
  it.each([
    '/',
    '/roster',
    '/roster/settings',
    '/api/viewer',
    '/api/sync',
    '/api/avatars/123',
    '/api/export.json',
    '/icons',
    '/_next/data-like-page',
    '/offline/more',
    '/offline-help',
    '/shells',
  ])('runs on %s', (path) => {
    expect(
      unstable_doesMiddlewareMatch({ config, url: `http://localhost${path}` }),
    ).toBe(true)
  })

  it.each([
    '/_next/static/chunks/main.js',
    '/_next/static/media/font',
    '/_next/image?url=%2Fa.png&w=64&q=75',
    '/favicon.ico',
    '/sw.js',
    '/manifest.webmanifest',
    '/icons/icon-192',
    '/icons/icon-192.png',
    '/logo.svg',
    '/pglite/postgres.wasm',
    '/pglite/postgres.data',
    '/robots.txt',
    '/serwist/sw.js',
    '/serwist/sw.js.map',
    '/offline',
    '/shell',
  ])('skips %s', (path) => {
    expect(
      unstable_doesMiddlewareMatch({ config, url: `http://localhost${path}` }),
    ).toBe(false)
  })
})
