import { randomUUID } from 'node:crypto'

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { newEmail, PASSWORD, SESSION_COOKIE } from './support/accounts'
import { launchBrowser, watchErrors } from './support/browser'
import {
  addAvatar,
  eventuallyOnServer,
  guestWithRoster,
  serverAvatars,
  shownNames,
  unexpected,
  viewerOf,
  waitForAvatar,
  waitForNames,
  waitForPending,
  waitForReplica,
} from './support/replica'
import { apiAs, guestToken } from './support/roster-page'
import { type RunningServer, startServer } from './support/server'

const SECRET = 'e2e-merge-secret-'.padEnd(48, 'g')

let server: RunningServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([
    startServer({ AUTH_SECRET: SECRET }),
    launchBrowser(),
  ])
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** Follows the page's own link to the form (no reload), then submits it. */
async function submitAccountForm(
  page: Page,
  mode: 'Sign up' | 'Sign in',
  email: string,
) {
  await page
    .getByRole('navigation', { name: 'Account' })
    .getByRole('link', { name: mode })
    .click()
  await page.waitForURL(/\/sign-(up|in)$/)
  if (mode === 'Sign up') await page.getByLabel('Name').fill('Ada')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: mode, exact: true }).click()
  await page.waitForURL(`${server.url}/`, { timeout: 30_000 })
}

describe('the guest-to-account upgrade in the browser', () => {
  it('keeps the roster through sign-up, merges a second device on sign-in, and pokes both', async () => {
    const first = await browser.newContext()
    const page = await guestWithRoster(first, server, ['Ada', 'Bo'])
    const errors = watchErrors(page)
    const oldGuest = await guestToken(page, server.url)
    const email = newEmail('merge')

    await submitAccountForm(page, 'Sign up', email)

    const user = await viewerOf(first, server)
    expect(user.kind).toBe('user')
    await waitForReplica(page, 'ready')
    await waitForNames(page, ['Ada', 'Bo'])
    expect(
      (await serverAvatars(first, server)).map((avatar) => avatar.name),
    ).toEqual(['Ada', 'Bo'])
    // The old guest cookie names an empty space now, never the account's.
    const asOldGuest = await apiAs(server.url, oldGuest, 'GET', '/api/avatars')
    expect(asOldGuest.status).toBe(200)
    await expect(asOldGuest.json()).resolves.toEqual({ avatars: [] })
    expect(await guestToken(page, server.url)).not.toBe(oldGuest)

    // A second browser with its own guest roster signs in to the account.
    const second = await browser.newContext()
    const other = await guestWithRoster(second, server, ['Cy', 'Ada'])
    await submitAccountForm(other, 'Sign in', email)

    expect((await viewerOf(second, server)).spaceId).toBe(user.spaceId)
    await waitForReplica(other, 'ready')
    // The account's avatars first, then the guest's; look-alikes are kept.
    await waitForNames(other, ['Ada', 'Bo', 'Cy', 'Ada'])
    // The first browser hears of the merge without a reload.
    await waitForNames(page, ['Ada', 'Bo', 'Cy', 'Ada'])

    // Edits in either appear in the other.
    await addAvatar(other, 'Dee')
    await waitForAvatar(page, 'Dee')
    await addAvatar(page, 'Eve')
    await waitForAvatar(other, 'Eve')
    expect(await shownNames(page)).toEqual(await shownNames(other))

    expect(unexpected(errors)).toEqual([])
    await Promise.all([first.close(), second.close()])
  }, 180_000)
})

describe('changes queued by the guest when signing in', () => {
  it("reach the account after the merge, under the guest replica's client id", async () => {
    const context = await browser.newContext()
    const page = await guestWithRoster(context, server, ['Ada'])
    const errors = watchErrors(page)
    // The guest's pushes fail (a flaky network); the user's go through.
    await page.route(`${server.url}/api/sync`, async (route) => {
      const cookie = (await route.request().allHeaders()).cookie ?? ''
      if (cookie.includes(SESSION_COOKIE)) await route.continue()
      else await route.abort()
    })
    await addAvatar(page, 'Queued')
    await waitForAvatar(page, 'Queued')
    await waitForPending(page, 1)

    await submitAccountForm(page, 'Sign up', newEmail('merge'))

    await page.unroute(`${server.url}/api/sync`)
    await eventuallyOnServer(context, server, (avatars) =>
      expect(avatars.map((avatar) => avatar.name)).toEqual(['Ada', 'Queued']),
    )
    await waitForReplica(page, 'ready')
    await waitForNames(page, ['Ada', 'Queued'])
    expect(
      unexpected(errors, [/api\/sync/, /Failed to fetch/, /ERR_FAILED/]),
    ).toEqual([])
    await context.close()
  })

  it('carries over changes the guest never got onto the server', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    // The replica's first pull goes through (it is not ready before one);
    // from then on not one round of the guest does, so the server never
    // binds its client. The user's rounds go through.
    let blocking = false
    await page.route(`${server.url}/api/sync`, async (route) => {
      const cookie = (await route.request().allHeaders()).cookie ?? ''
      if (!blocking || cookie.includes(SESSION_COOKIE)) await route.continue()
      else await route.abort()
    })
    await page.goto(`${server.url}/`)
    await waitForReplica(page, 'ready')
    blocking = true
    await addAvatar(page, 'Never synced')
    await addAvatar(page, 'Nor this')
    await waitForAvatar(page, 'Nor this')
    await waitForPending(page, 2)

    await submitAccountForm(page, 'Sign up', newEmail('merge'))

    await eventuallyOnServer(context, server, (avatars) =>
      expect(avatars.map((avatar) => avatar.name).sort()).toEqual([
        'Never synced',
        'Nor this',
      ]),
    )
    await waitForReplica(page, 'ready')
    await waitForNames(page, ['Never synced', 'Nor this'])
    await waitForPending(page, 0)
    await page.unroute(`${server.url}/api/sync`)
    expect(
      unexpected(errors, [/api\/sync/, /Failed to fetch/, /ERR_FAILED/]),
    ).toEqual([])
    await context.close()
  })
})

describe('hostile requests around accounts', () => {
  /** Signs up through the form in a new context; returns its cookie header. */
  async function newUser() {
    const context = await browser.newContext()
    const page = await context.newPage()
    const email = newEmail('merge')
    await page.goto(`${server.url}/sign-up`)
    await page.getByLabel('Name').fill('Mallory')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign up' }).click()
    await page.waitForURL(`${server.url}/`, { timeout: 30_000 })
    const cookies = await context.cookies(server.url)
    const cookie = cookies.map(({ name, value }) => `${name}=${value}`)
    const viewer = await viewerOf(context, server)
    await context.close()
    return { cookie: cookie.join('; '), spaceId: viewer.spaceId, email }
  }

  function post(pathname: string, cookie: string, body: unknown) {
    return fetch(`${server.url}${pathname}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  }

  function syncBody(clientId: string, mutations: unknown[] = [], cursor = '') {
    return {
      protocol: 2,
      schemaVersion: 1,
      clientId,
      cursor: cursor || null,
      mutations,
    }
  }

  it("refuses one user's requests aimed at another's space, writing nothing", async () => {
    const [owner, intruder] = await Promise.all([newUser(), newUser()])
    const id = randomUUID()
    const created = await post('/api/avatars', owner.cookie, {
      id,
      name: 'Secret',
      emoji: '🔒',
      isActive: false,
    })
    expect(created.status).toBe(201)
    const ownerClient = randomUUID()
    const bound = await post(
      '/api/sync',
      owner.cookie,
      syncBody(ownerClient, [
        {
          id: 1,
          name: 'renameAvatar',
          args: { id, name: 'Still secret' },
        },
      ]),
    )
    expect(bound.status).toBe(200)
    const { cursor } = (await bound.json()) as { cursor: string }

    const patch = await fetch(`${server.url}/api/avatars/${id}`, {
      method: 'PATCH',
      headers: { cookie: intruder.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Mine now' }),
    })
    expect(patch.status).toBe(404)
    await expect(patch.json()).resolves.toMatchObject({
      error: { code: 'avatar/not-found' },
    })
    const remove = await fetch(`${server.url}/api/avatars/${id}`, {
      method: 'DELETE',
      headers: { cookie: intruder.cookie },
    })
    expect(remove.status).toBe(404)
    const hijack = await post(
      '/api/sync',
      intruder.cookie,
      syncBody(ownerClient, [{ id: 2, name: 'deleteAvatar', args: { id } }]),
    )
    expect(hijack.status).toBe(409)
    await expect(hijack.json()).resolves.toMatchObject({
      error: { code: 'sync/client-space-mismatch' },
    })
    // The owner's cursor only gets the intruder their own (empty) roster.
    const foreign = await post(
      '/api/sync',
      intruder.cookie,
      syncBody(randomUUID(), [], cursor),
    )
    await expect(foreign.json()).resolves.toMatchObject({
      kind: 'reset',
      reason: 'foreign-cursor',
      avatars: [],
    })

    const roster = await fetch(`${server.url}/api/avatars`, {
      headers: { cookie: owner.cookie },
    })
    await expect(roster.json()).resolves.toMatchObject({
      avatars: [{ id, name: 'Still secret' }],
    })
  })

  /**
   * The request the form's server action sends, captured from a real
   * submission in the browser and held back from the server.
   */
  async function capturedSubmission(
    pathname: '/sign-up' | '/sign-in',
    email = newEmail('merge'),
  ) {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${server.url}${pathname}`)
    const captured = new Promise<{
      headers: Record<string, string>
      body: Buffer
    }>((resolve) => {
      void page.route(`${server.url}${pathname}`, async (route) => {
        const request = route.request()
        if (request.method() !== 'POST') return route.continue()
        resolve({
          headers: await request.allHeaders(),
          body: request.postDataBuffer()!,
        })
        await route.abort()
      })
    })
    if (pathname === '/sign-up') await page.getByLabel('Name').fill('Eve')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByLabel('Password').press('Enter')
    const submission = await captured
    const cookies = await context.cookies(server.url)
    await context.close()
    return {
      email,
      send(origin: string) {
        const { headers, body } = submission
        return fetch(`${server.url}${pathname}`, {
          method: 'POST',
          headers: {
            'content-type': headers['content-type']!,
            'next-action': headers['next-action']!,
            accept: headers.accept ?? 'text/x-component',
            origin,
            cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '),
          },
          body: new Uint8Array(body),
          redirect: 'manual',
        })
      },
    }
  }

  it('refuses a cross-site post of the sign-up form: no account, no session', async () => {
    const submission = await capturedSubmission('/sign-up')

    const forged = await submission.send('https://evil.example')

    expect(forged.status).toBeGreaterThanOrEqual(400)
    expect(forged.headers.getSetCookie().join('\n')).not.toContain(
      SESSION_COOKIE,
    )
    // The same bytes from the app's own origin create the account: the
    // refusal above was the origin check, not a malformed request.
    const genuine = await submission.send(server.url)
    expect(genuine.status).toBe(200)
    expect(genuine.headers.getSetCookie().join('\n')).toContain(SESSION_COOKIE)
  })

  it('refuses a cross-site post of the sign-in form: no session', async () => {
    const { email } = await newUser()
    const submission = await capturedSubmission('/sign-in', email)

    const forged = await submission.send('https://evil.example')

    expect(forged.status).toBeGreaterThanOrEqual(400)
    expect(forged.headers.getSetCookie().join('\n')).not.toContain(
      SESSION_COOKIE,
    )
    const genuine = await submission.send(server.url)
    expect(genuine.headers.getSetCookie().join('\n')).toContain(SESSION_COOKIE)
  })
})
