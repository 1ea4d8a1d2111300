import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { newEmail, PASSWORD, SESSION_COOKIE } from './support/accounts'
import { launchBrowser, watchErrors } from './support/browser'
import { waitForWorker } from './support/pwa'
import {
  addAvatar,
  databaseNames,
  serverAvatars,
  shownNames,
  unexpected,
  waitForAvatar,
  waitForPending,
  waitForReplica,
  webStorageSizes,
} from './support/replica'
import { type RunningServer, startServer } from './support/server'

const SECRET = 'e2e-sign-out-secret-'.padEnd(48, 'b')
const LONG = 120_000
// Sync requests a test blocks on purpose fail loudly in the console.
const BLOCKED = [/api\/sync/, /Failed to fetch/, /ERR_INTERNET_DISCONNECTED/]

let server: RunningServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([
    startServer({ AUTH_SECRET: SECRET }),
    launchBrowser(),
  ])
}, LONG)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

type ViewerBody = { kind: string; spaceId: string; label: string }

async function viewerOf(page: Page): Promise<ViewerBody> {
  const response = await page.request.get(`${server.url}/api/viewer`)
  return (await response.json()) as ViewerBody
}

async function signUp(page: Page, name: string, email = newEmail('leaver')) {
  await page.goto(`${server.url}/sign-up`)
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign up' }).click()
  await page.waitForURL(`${server.url}/`, { timeout: 60_000 })
  await viewerLine(page, `Signed in as ${name}`)
  return email
}

/**
 * Runs `action` (a click that signs out) and waits for the full page load
 * that ends a sign-out, so what follows reads the new page, not the old
 * one as it goes.
 */
async function signingOut(page: Page, action: () => Promise<void>) {
  const loaded = page.waitForEvent('load', { timeout: 60_000 })
  await action()
  await loaded
}

async function viewerLine(page: Page, text: string, timeout = 60_000) {
  await page.locator('.viewer-line', { hasText: text }).waitFor({ timeout })
}

function sessionOf(cookies: Cookie[]): Cookie {
  const session = cookies.find(({ name }) => name === SESSION_COOKIE)
  expect(session).toBeDefined()
  return session!
}

/** The roster of the user the (still valid) session cookie names. */
async function rosterOfSession(session: Cookie): Promise<string[]> {
  const other = await browser.newContext()
  await other.addCookies([session])
  const response = await other.request.get(`${server.url}/api/avatars`)
  expect(response.status()).toBe(200)
  const body = (await response.json()) as { avatars: { name: string }[] }
  await other.close()
  return body.avatars.map(({ name }) => name)
}

/** Keys of the persisted query cache (idb-keyval's `rollcall-cache`). */
function cacheKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('rollcall-cache')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const db = open.result
          if (!db.objectStoreNames.contains('queries')) {
            db.close()
            return resolve([])
          }
          const keys = db
            .transaction('queries')
            .objectStore('queries')
            .getAllKeys()
          keys.onsuccess = () => {
            db.close()
            resolve(keys.result.map(String))
          }
          keys.onerror = () => reject(keys.error)
        }
      }),
  )
}

async function userWithRoster(context: BrowserContext, names: string[]) {
  const page = await context.newPage()
  await page.goto(`${server.url}/`)
  await waitForWorker(page)
  const guest = await viewerOf(page)
  const email = await signUp(page, 'Ada Lovelace')
  await waitForReplica(page, 'ready')
  for (const name of names) {
    await addAvatar(page, name)
    await waitForAvatar(page, name)
  }
  await waitForPending(page, 0)
  // data-sync-pending may lag the outbox: wait for the server itself.
  await expect
    .poll(
      async () => (await serverAvatars(context, server)).map((a) => a.name),
      { timeout: 60_000 },
    )
    .toEqual(expect.arrayContaining(names))
  const user = await viewerOf(page)
  expect(user.kind).toBe('user')
  return { page, guest, user, email }
}

function blockSync(context: BrowserContext) {
  return context.route(/\/api\/sync(\/|$|\?)/, (route) => route.abort())
}

describe('signing out', () => {
  it(
    'leaves a new, empty guest and nothing of the user, even offline',
    async () => {
      const context = await browser.newContext()
      const names = ['Owl of Ada', 'Fox of Ada']
      const { page, guest, user } = await userWithRoster(context, names)
      const errors = watchErrors(page)

      await signingOut(page, () =>
        page.getByRole('button', { name: 'Sign out' }).click(),
      )
      await viewerLine(page, 'Browsing as guest')
      const fresh = await viewerOf(page)
      expect(fresh.kind).toBe('guest')
      expect(fresh.spaceId).not.toBe(guest.spaceId)
      expect(fresh.spaceId).not.toBe(user.spaceId)
      expect(await shownNames(page)).toEqual([])
      const guestCookie = (await context.cookies()).find(
        ({ name }) => name === '__Host-guest',
      )
      expect(guestCookie?.httpOnly).toBe(true)
      expect((await context.cookies()).map(({ name }) => name)).not.toContain(
        SESSION_COOKIE,
      )

      await waitForReplica(page, 'ready')
      const userDatabase = `/pglite/rollcall-${user.spaceId}-`
      await expect
        .poll(async () => (await databaseNames(page)).join(' '), {
          timeout: 30_000,
        })
        .not.toContain(userDatabase)
      expect(await cacheKeys(page)).not.toContain(`query-cache:${user.spaceId}`)

      await context.setOffline(true)
      await page.goto(`${server.url}/`)
      await page.locator('.shell-status').waitFor({ timeout: 30_000 })
      await page.waitForTimeout(2000)
      const main = (await page.textContent('main')) ?? ''
      for (const name of names) expect(main).not.toContain(name)
      expect(main).not.toContain('Ada Lovelace')
      expect((await databaseNames(page)).join(' ')).not.toContain(userDatabase)
      expect(await cacheKeys(page)).not.toContain(`query-cache:${user.spaceId}`)
      expect(await webStorageSizes(page)).toEqual({ local: 0, session: 0 })
      expect(unexpected(errors, BLOCKED)).toEqual([])
      await context.close()
    },
    LONG * 2,
  )

  it(
    'delivers pending changes before the session ends',
    async () => {
      const context = await browser.newContext()
      const { page } = await userWithRoster(context, ['Early bird'])
      const session = sessionOf(await context.cookies())

      await blockSync(context)
      await addAvatar(page, 'Late owl')
      await addAvatar(page, 'Later lark')
      await waitForAvatar(page, 'Later lark')
      await waitForPending(page, 2)
      await context.unrouteAll({ behavior: 'ignoreErrors' })

      await signingOut(page, () =>
        page.getByRole('button', { name: 'Sign out' }).click(),
      )
      await viewerLine(page, 'Browsing as guest')
      expect(await page.locator('dialog').count()).toBe(0)
      expect((await rosterOfSession(session)).sort()).toEqual(
        ['Early bird', 'Late owl', 'Later lark'].sort(),
      )
      await context.close()
    },
    LONG * 2,
  )

  it(
    'asks before losing changes it cannot deliver, and cancel keeps them',
    async () => {
      const context = await browser.newContext()
      const { page, user } = await userWithRoster(context, ['Kept swan'])
      const session = sessionOf(await context.cookies())

      await context.setOffline(true)
      await addAvatar(page, 'Unsynced one')
      await addAvatar(page, 'Unsynced two')
      await addAvatar(page, 'Unsynced three')
      await waitForAvatar(page, 'Unsynced three')
      await waitForPending(page, 3)

      const signOut = page.getByRole('button', { name: 'Sign out' })
      await signOut.click()
      const dialog = page.getByRole('dialog', {
        name: 'Sign out without syncing?',
      })
      await dialog.waitFor({ timeout: 60_000 })
      // The dialog counts what the outbox holds (at least the three adds).
      const count = Number(
        await page.evaluate(() => document.documentElement.dataset.syncPending),
      )
      expect(count).toBeGreaterThanOrEqual(3)
      expect(await dialog.textContent()).toContain(
        `${count} changes not yet synced will be lost on this device. Sign out anyway?`,
      )
      // Focus starts on Cancel; Escape cancels and gives focus back.
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.textContent))
        .toBe('Cancel')
      await page.keyboard.press('Escape')
      await dialog.waitFor({ state: 'detached' })
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.textContent))
        .toBe('Sign out')
      await waitForPending(page, count)
      expect(await shownNames(page)).toContain('Unsynced two')
      expect((await viewerOf(page)).kind).toBe('user')

      // Back online for the sign-out itself, but sync still failing.
      await blockSync(context)
      await context.setOffline(false)
      await signOut.click()
      await dialog.waitFor({ timeout: 60_000 })
      await signingOut(page, () =>
        page.getByRole('button', { name: 'Sign out anyway' }).click(),
      )
      await viewerLine(page, 'Browsing as guest')
      expect(await shownNames(page)).toEqual([])
      await context.unrouteAll({ behavior: 'ignoreErrors' })
      await waitForReplica(page, 'ready')
      await expect
        .poll(async () => (await databaseNames(page)).join(' '), {
          timeout: 30_000,
        })
        .not.toContain(`/pglite/rollcall-${user.spaceId}-`)
      expect(await rosterOfSession(session)).toEqual(['Kept swan'])
      await context.close()
    },
    LONG * 2,
  )
})

describe('signing out offline', () => {
  /** A user with a synced roster and an unsynced change, signed out offline. */
  async function signedOutOffline(context: BrowserContext) {
    const { page, user } = await userWithRoster(context, ['Private heron'])
    const session = sessionOf(await context.cookies())
    const other = await context.newPage()
    await other.goto(`${server.url}/`)
    await viewerLine(other, 'Signed in as Ada Lovelace')

    await context.setOffline(true)
    await addAvatar(page, 'Unsent ibis')
    await waitForAvatar(page, 'Unsent ibis')
    await page.getByRole('button', { name: 'Sign out' }).click()
    const dialog = page.getByRole('dialog', {
      name: 'Sign out without syncing?',
    })
    await dialog.waitFor({ timeout: 60_000 })
    await page.getByRole('button', { name: 'Sign out anyway' }).click()
    return { page, other, user, session }
  }

  async function showsSignedOut(page: Page) {
    await page.locator('.signed-out-status').waitFor({ timeout: 60_000 })
    const main = (await page.textContent('main')) ?? ''
    expect(main).toContain('Signed out')
    for (const hidden of ['Private heron', 'Unsent ibis', 'Ada Lovelace']) {
      expect(main).not.toContain(hidden)
    }
  }

  it(
    'lets go of the account in every tab at once, and ends the session once back online',
    async () => {
      const context = await browser.newContext()
      const { page, other, user, session } = await signedOutOffline(context)
      const errors = watchErrors(page)

      await showsSignedOut(page)
      await showsSignedOut(other)
      const userDatabase = `/pglite/rollcall-${user.spaceId}-`
      await expect
        .poll(async () => (await databaseNames(page)).join(' '), {
          timeout: 30_000,
        })
        .not.toContain(userDatabase)
      expect(await cacheKeys(page)).toEqual([])
      expect(await webStorageSizes(page)).toEqual({ local: 0, session: 0 })
      // Only the server can end the session; until then the cookie stays.
      expect(sessionOf(await context.cookies()).value).toBe(session.value)

      // A page opened meanwhile comes from the worker and shows the same.
      const third = await context.newPage()
      const response = await third.goto(`${server.url}/`)
      expect(response?.fromServiceWorker()).toBe(true)
      await showsSignedOut(third)
      // A route opened as a page gets nothing of the account either.
      const api = await third.goto(`${server.url}/api/avatars`)
      expect(api?.status()).toBe(503)
      const refusal = await api!.text()
      expect(refusal).toContain('auth/sign-out-pending')
      expect(refusal).not.toContain('Private heron')
      await third.close()
      await other.close()

      // Back online, the open tab finishes on its own.
      const reloaded = page.waitForEvent('load', { timeout: 60_000 })
      await context.setOffline(false)
      await reloaded
      await viewerLine(page, 'Browsing as guest')
      const fresh = await viewerOf(page)
      expect(fresh.kind).toBe('guest')
      expect(fresh.spaceId).not.toBe(user.spaceId)
      expect(await shownNames(page)).toEqual([])
      expect((await context.cookies()).map(({ name }) => name)).not.toContain(
        SESSION_COOKIE,
      )
      // What was synced stays in the account; the unsent change is gone.
      expect(await rosterOfSession(session)).toEqual(['Private heron'])
      expect(unexpected(errors, BLOCKED)).toEqual([])
      await context.close()
    },
    LONG * 2,
  )

  it(
    'shows the next person on this device nothing of the account, even before the page runs',
    async () => {
      const context = await browser.newContext()
      const { page, other, user } = await signedOutOffline(context)
      await showsSignedOut(page)
      await Promise.all([page.close(), other.close()])

      // Online again with no tab open: the next visit, even one that opens
      // a route as a page, already belongs to a new guest.
      await context.setOffline(false)
      const next = await context.newPage()
      const api = await next.goto(`${server.url}/api/avatars`)
      expect(api?.status()).toBe(200)
      expect(await api!.json()).toEqual({ avatars: [] })
      const response = await next.goto(`${server.url}/`)
      expect(response?.status()).toBe(200)
      const html = await response!.text()
      for (const hidden of ['Private heron', 'Unsent ibis', 'Ada Lovelace']) {
        expect(html).not.toContain(hidden)
      }
      await viewerLine(next, 'Browsing as guest')
      const fresh = await viewerOf(next)
      expect(fresh.kind).toBe('guest')
      expect(fresh.spaceId).not.toBe(user.spaceId)
      expect(await shownNames(next)).toEqual([])
      expect((await context.cookies()).map(({ name }) => name)).not.toContain(
        SESSION_COOKIE,
      )
      await context.close()
    },
    LONG * 2,
  )

  it('refuses a cross-site request to end the session', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${server.url}/`)
    const before = await viewerOf(page)

    const response = await page.request.post(`${server.url}/api/sign-out`, {
      headers: {
        Origin: 'https://elsewhere.example',
        'Sec-Fetch-Site': 'cross-site',
      },
    })

    expect(response.status()).toBe(403)
    const body = (await response.json()) as { error: { code: string } }
    expect(body.error.code).toBe('request/cross-origin')
    expect((await viewerOf(page)).spaceId).toBe(before.spaceId)
    await context.close()
  })
})

describe('identity changes in another tab', () => {
  it(
    'follows a sign-out made in another tab without a reload',
    async () => {
      const context = await browser.newContext()
      const { page: first, user } = await userWithRoster(context, [
        'Shared heron',
      ])
      const second = await context.newPage()
      await second.goto(`${server.url}/`)
      await waitForAvatar(second, 'Shared heron')
      await waitForReplica(second, 'ready')
      await second.evaluate(() => {
        ;(window as unknown as { stayed: boolean }).stayed = true
      })

      await first.getByRole('button', { name: 'Sign out' }).click()
      await viewerLine(second, 'Browsing as guest')
      expect(await shownNames(second)).toEqual([])
      await second.getByRole('link', { name: 'Sign up' }).waitFor()
      expect(
        await second.evaluate(
          () => (window as unknown as { stayed?: boolean }).stayed,
        ),
      ).toBe(true)
      const fresh = await viewerOf(second)
      expect(fresh.spaceId).not.toBe(user.spaceId)
      expect(await second.textContent('.viewer-line')).toContain(fresh.label)
      await context.close()
    },
    LONG * 2,
  )

  it(
    'follows a sign-in made in another tab',
    async () => {
      const owner = await browser.newContext()
      const { email } = await userWithRoster(owner, ['Remote crane'])
      await owner.close()

      const context = await browser.newContext()
      const first = await context.newPage()
      const second = await context.newPage()
      await first.goto(`${server.url}/`)
      await second.goto(`${server.url}/`)
      await viewerLine(second, 'Browsing as guest')
      await second.evaluate(() => {
        ;(window as unknown as { stayed: boolean }).stayed = true
      })

      await first.goto(`${server.url}/sign-in`)
      await first.getByLabel('Email').fill(email)
      await first.getByLabel('Password').fill(PASSWORD)
      await first.getByRole('button', { name: 'Sign in' }).click()
      await first.waitForURL(`${server.url}/`, { timeout: 60_000 })

      await viewerLine(second, 'Signed in as Ada Lovelace')
      await waitForAvatar(second, 'Remote crane', 60_000)
      await second.getByRole('button', { name: 'Sign out' }).waitFor()
      expect(
        await second.evaluate(
          () => (window as unknown as { stayed?: boolean }).stayed,
        ),
      ).toBe(true)
      await context.close()
    },
    LONG * 2,
  )
})
