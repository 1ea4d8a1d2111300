import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { PGlite } from '@electric-sql/pglite'
import { SignJWT } from 'jose'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { guestSigningKey, mintGuestToken } from '@/lib/guest-token'

import { launchBrowser, watchErrors } from './support/browser'
import {
  apiAs,
  decodeToken,
  findGuestCookie,
  GUEST_COOKIE,
  labelFor,
  openRoster,
  parseSetCookie,
  viewerFromApi,
} from './support/roster-page'
import { type RunningServer, startServer } from './support/server'

// A known secret lets these tests forge tokens the way only a server could
// (expired, renewable, wrong type); everything else is what a client can do.
const SECRET = 'e2e-identity-secret-'.padEnd(48, 'k')
const OTHER_SECRET = 'some-other-deployment-'.padEnd(48, 'q')
const TTL_SECONDS = 3600

let server: RunningServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([
    startServer({
      AUTH_SECRET: SECRET,
      GUEST_TOKEN_TTL_SECONDS: String(TTL_SECONDS),
    }),
    launchBrowser(),
  ])
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** A plain request with an optional guest cookie, as any client sends it. */
function get(pathname: string, token?: string) {
  return fetch(`${server.url}${pathname}`, {
    headers: token === undefined ? {} : { Cookie: `${GUEST_COOKIE}=${token}` },
    redirect: 'manual',
  })
}

/** The label in the server-rendered HTML, without running any script. */
function shownLabel(html: string): string | undefined {
  return /class="viewer-label">([^<]*)</.exec(html)?.[1]
}

async function freshToken(): Promise<string> {
  const response = await get('/api/viewer')
  const cookie = findGuestCookie(response.headers.getSetCookie())
  if (!cookie) throw new Error('the server gave no guest cookie')
  return cookie.value
}

function seconds(): number {
  return Math.floor(Date.now() / 1000)
}

describe('first visit', () => {
  it('sets the guest cookie on the very first response, HttpOnly, Secure, SameSite=Lax, Path=/, host-only', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)

    const response = await page.goto(server.url)
    expect(response?.status()).toBe(200)
    const cookie = findGuestCookie(
      (await response?.headerValues('set-cookie')) ?? [],
    )

    expect(cookie?.name).toBe('__Host-guest')
    expect(cookie?.attributes.get('httponly')).toBe(true)
    expect(cookie?.attributes.get('secure')).toBe(true)
    expect(String(cookie?.attributes.get('samesite')).toLowerCase()).toBe('lax')
    expect(cookie?.attributes.get('path')).toBe('/')
    expect(cookie?.attributes.has('domain')).toBe(false)
    expect(cookie?.attributes.get('max-age')).toBe(String(TTL_SECONDS))

    // The browser kept it with the same attributes.
    const [kept, ...others] = await context.cookies(server.url)
    expect(others).toEqual([])
    expect(kept).toMatchObject({
      name: '__Host-guest',
      value: cookie?.value,
      domain: 'localhost',
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
    })
    expect(errors).toEqual([])
    await context.close()
  })

  it('renders, in that first HTML, the guest the cookie names', async () => {
    // Scripts off: what the page shows is exactly the server's first answer.
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()

    const response = await page.goto(server.url)
    const cookie = findGuestCookie(
      (await response?.headerValues('set-cookie')) ?? [],
    )
    const guestId = decodeToken(cookie?.value ?? '').payload.sub ?? ''
    expect(guestId).toMatch(/^[0-9a-f-]{36}$/)

    const line = page.locator('.viewer-line')
    await expect
      .poll(() => line.textContent())
      .toBe(`Browsing as guest ${labelFor(guestId)}`)
    // The space id handed to the client for hydration is the cookie's.
    const html = (await response?.text()) ?? ''
    expect(html).toContain(guestId)
    await context.close()
  })

  it('keeps the same guest on later visits, and /api/viewer agrees with the cookie', async () => {
    const { page, errors, close } = await openRoster(browser, server.url)
    const [cookie] = await page.context().cookies(server.url)
    const guestId = decodeToken(cookie?.value ?? '').payload.sub

    const again = await page.reload()
    expect(await again?.headerValues('set-cookie')).toEqual([])
    expect(await viewerFromApi(page)).toEqual({
      kind: 'guest',
      spaceId: guestId,
      label: labelFor(guestId ?? ''),
    })
    await expect
      .poll(() => page.locator('.viewer-label').textContent())
      .toBe(labelFor(guestId ?? ''))
    expect(errors).toEqual([])
    await close()
  })

  it('gives two browser contexts two different guests', async () => {
    const first = await openRoster(browser, server.url)
    const second = await openRoster(browser, server.url)

    const a = await viewerFromApi(first.page)
    const b = await viewerFromApi(second.page)
    expect(a.spaceId).not.toBe(b.spaceId)
    expect(a.label).not.toBe(b.label)
    await Promise.all([first.close(), second.close()])
  })
})

describe('what page scripts can see', () => {
  it('keeps localStorage and sessionStorage empty and the guest cookie out of document.cookie', async () => {
    const { page, errors, close } = await openRoster(browser, server.url)
    await page.reload()

    const seen = await page.evaluate(() => ({
      local: localStorage.length,
      session: sessionStorage.length,
      cookie: document.cookie,
    }))
    expect(seen).toEqual({ local: 0, session: 0, cookie: '' })
    expect(errors).toEqual([])
    await close()
  })
})

describe('a cookie that is not a valid guest token', () => {
  const forged = {
    async garbage() {
      return 'not-a-token'
    },
    async 'an empty value'() {
      return ''
    },
    async 'a payload naming another guest'() {
      const [header, , signature] = (await freshToken()).split('.')
      const payload = Buffer.from(
        JSON.stringify({
          sub: '00000000-0000-4000-8000-000000000000',
          typ: 'guest',
          iat: seconds(),
          exp: seconds() + TTL_SECONDS,
        }),
      ).toString('base64url')
      return `${header}.${payload}.${signature}`
    },
    async 'a flipped signature'() {
      const token = await freshToken()
      const last = token.at(-2) === 'A' ? 'B' : 'A'
      return `${token.slice(0, -2)}${last}${token.at(-1)}`
    },
    async 'alg none'() {
      const [, payload] = (await freshToken()).split('.')
      const header = Buffer.from(
        JSON.stringify({ alg: 'none', typ: 'JWT' }),
      ).toString('base64url')
      return `${header}.${payload}.`
    },
    async 'a token far too long'() {
      return 'a'.repeat(3000)
    },
    async 'a token signed with another secret'() {
      const { token } = await mintGuestToken([OTHER_SECRET], {
        ttlSeconds: TTL_SECONDS,
      })
      return token
    },
    async 'an expired token'() {
      const { token } = await mintGuestToken([SECRET], {
        ttlSeconds: TTL_SECONDS,
        now: seconds() - 2 * TTL_SECONDS,
      })
      return token
    },
    async 'a token of another type'() {
      const { kid, key } = guestSigningKey(SECRET)
      return new SignJWT({
        sub: '11111111-1111-4111-8111-111111111111',
        typ: 'user',
      })
        .setProtectedHeader({ alg: 'HS256', kid })
        .setIssuedAt()
        .setExpirationTime(seconds() + TTL_SECONDS)
        .sign(key)
    },
    async 'a subject that is not a guest id'() {
      const { kid, key } = guestSigningKey(SECRET)
      return new SignJWT({ sub: 'admin', typ: 'guest' })
        .setProtectedHeader({ alg: 'HS256', kid })
        .setIssuedAt()
        .setExpirationTime(seconds() + TTL_SECONDS)
        .sign(key)
    },
  } satisfies Record<string, () => Promise<string>>

  it.each(Object.keys(forged) as (keyof typeof forged)[])(
    'replaces %s with a fresh guest on the page',
    async (kind) => {
      const token = await forged[kind]()
      const claimed = token.includes('.') ? safeSubject(token) : undefined

      const response = await get('/', token)
      expect(response.status).toBe(200)
      const cookie = findGuestCookie(response.headers.getSetCookie())
      expect(cookie?.value).not.toBe(token)
      const guestId = decodeToken(cookie?.value ?? '').payload.sub ?? ''
      expect(guestId).toMatch(/^[0-9a-f-]{36}$/)
      expect(guestId).not.toBe(claimed)
      expect(shownLabel(await response.text())).toBe(labelFor(guestId))
    },
  )

  it.each(Object.keys(forged) as (keyof typeof forged)[])(
    'answers the API as a fresh guest given %s',
    async (kind) => {
      const token = await forged[kind]()
      const response = await get('/api/viewer', token)
      expect(response.status).toBe(200)
      const cookie = findGuestCookie(response.headers.getSetCookie())
      const viewer = (await response.json()) as { spaceId: string }
      expect(viewer.spaceId).toBe(decodeToken(cookie?.value ?? '').payload.sub)
    },
  )

  it('shows a fresh guest in the browser when its cookie was tampered with', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    const token = await forged['a payload naming another guest']()
    await context.addCookies([
      {
        name: GUEST_COOKIE,
        value: token,
        // A host-only cookie: `url` would be refused for a __Host- name.
        domain: 'localhost',
        path: '/',
        secure: true,
        httpOnly: true,
        sameSite: 'Lax',
      },
    ])

    const response = await page.goto(server.url)
    expect(response?.status()).toBe(200)
    const [cookie] = await context.cookies(server.url)
    expect(cookie?.value).not.toBe(token)
    const guestId = decodeToken(cookie?.value ?? '').payload.sub ?? ''
    expect(guestId).not.toBe('00000000-0000-4000-8000-000000000000')
    await expect
      .poll(() => page.locator('.viewer-label').textContent())
      .toBe(labelFor(guestId))
    expect((await viewerFromApi(page)).spaceId).toBe(guestId)
    expect(errors).toEqual([])
    await context.close()
  })
})

function safeSubject(token: string): string | undefined {
  try {
    return decodeToken(token).payload.sub
  } catch {
    return undefined
  }
}

describe('renewal', () => {
  it('renews a token past half its life for the same guest', async () => {
    const issuedAt = seconds() - Math.ceil(TTL_SECONDS * 0.6)
    const { token, claims } = await mintGuestToken([SECRET], {
      ttlSeconds: TTL_SECONDS,
      now: issuedAt,
    })

    const response = await get('/', token)
    expect(response.status).toBe(200)
    const cookie = findGuestCookie(response.headers.getSetCookie())
    const renewed = decodeToken(cookie?.value ?? '').payload
    expect(renewed.sub).toBe(claims.guestId)
    expect(renewed.exp).toBeGreaterThan(claims.expiresAt)
    expect(shownLabel(await response.text())).toBe(labelFor(claims.guestId))
  })

  it('leaves a young token alone', async () => {
    const { token } = await mintGuestToken([SECRET], {
      ttlSeconds: TTL_SECONDS,
    })
    const response = await get('/', token)
    expect(response.status).toBe(200)
    expect(findGuestCookie(response.headers.getSetCookie())).toBeUndefined()
  })
})

describe('visiting writes nothing', () => {
  /** Two guests look around; one of them is tricked into a foreign POST. */
  async function visitAndRefuse(own: RunningServer) {
    const first = await openRoster(browser, own.url)
    await first.page.reload()
    const second = await openRoster(browser, own.url)
    for (const { page } of [first, second]) {
      expect(await viewerFromApi(page)).toMatchObject({ kind: 'guest' })
      expect(
        await page.evaluate(() =>
          fetch('/api/avatars').then((response) => response.json()),
        ),
      ).toEqual({ avatars: [] })
    }

    const token = (await first.page.context().cookies(own.url))[0]?.value
    const refused = await apiAs(own.url, token ?? '', 'POST', '/api/avatars', {
      body: { id: randomUUID(), name: 'Mallory', emoji: '👽' },
      headers: { Origin: `http://evil.localhost:${own.port}` },
    })
    expect(refused.status).toBe(403)
    expect([...first.errors, ...second.errors]).toEqual([])
    await Promise.all([first.close(), second.close()])
  }

  /** Row counts, read from the data directory of a stopped server. */
  async function countRows(dataDir: string) {
    const db = await PGlite.create(path.join(dataDir, 'pglite'))
    try {
      const count = async (table: string) =>
        (
          await db.query<{ n: number }>(
            `select count(*)::int as n from ${table}`,
          )
        ).rows[0]?.n
      return { spaces: await count('spaces'), avatars: await count('avatars') }
    } finally {
      await db.close()
    }
  }

  it('leaves the database without spaces or avatars after visits and refused writes', async () => {
    // A server of its own, on a data directory this test keeps, so the
    // database can be opened once the server has stopped.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'rollcall-e2e-visits-'))
    try {
      const own = await startServer({ DATA_DIR: dataDir })
      try {
        await visitAndRefuse(own)
      } finally {
        await own.stop()
      }
      expect(await countRows(dataDir)).toEqual({ spaces: 0, avatars: 0 })
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('the cookie follows the configured public URL, not the request', () => {
  // Names under .invalid never resolve: these URLs are configuration only,
  // every request still goes to the loopback server.
  let plain: RunningServer
  let tls: RunningServer

  beforeAll(async () => {
    plain = await startServer({ APP_URL: 'http://rollcall.invalid' })
    tls = await startServer({ APP_URL: 'https://rollcall.invalid' })
  })

  afterAll(async () => {
    await Promise.all([plain?.stop(), tls?.stop()])
  })

  it('sends `guest` without Secure when the public URL is plain HTTP, and warns at start', async () => {
    const response = await fetch(`${plain.url}/`)
    const [line = ''] = response.headers.getSetCookie()
    const cookie = parseSetCookie(line)

    expect(cookie.name).toBe('guest')
    expect(cookie.attributes.has('secure')).toBe(false)
    expect(cookie.attributes.get('httponly')).toBe(true)
    expect(String(cookie.attributes.get('samesite')).toLowerCase()).toBe('lax')
    expect(cookie.attributes.get('path')).toBe('/')
    expect(plain.output()).toContain('plain HTTP and not localhost')

    // A browser keeps it and stays the same guest.
    const { page, errors, close } = await openRoster(browser, plain.url)
    const [kept] = await page.context().cookies(plain.url)
    expect(kept).toMatchObject({ name: 'guest', secure: false })
    const guestId = decodeToken(kept?.value ?? '').payload.sub
    expect((await viewerFromApi(page)).spaceId).toBe(guestId)
    expect(errors).toEqual([])
    await close()
  })

  it('sends `__Host-guest` with Secure behind TLS, though the request itself is plain HTTP', async () => {
    const response = await fetch(`${tls.url}/`)
    const cookie = findGuestCookie(response.headers.getSetCookie())

    expect(cookie?.name).toBe('__Host-guest')
    expect(cookie?.attributes.get('secure')).toBe(true)
    expect(cookie?.attributes.has('domain')).toBe(false)
    expect(tls.output()).not.toContain('plain HTTP and not localhost')
  })
})
