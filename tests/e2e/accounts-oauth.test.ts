import { rm } from 'node:fs/promises'

import { decode } from 'next-auth/jwt'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { openDatabase } from '@/db/connect.server'
import { linkedAccounts, users } from '@/db/schema'
import { PASSWORD, SESSION_COOKIE } from './support/accounts'
import { launchBrowser, watchErrors } from './support/browser'
import {
  type GitHubUser,
  type MockGitHub,
  startMockGitHub,
} from './support/github-mock'
import {
  guestWithRoster,
  serverAvatars,
  unexpected,
  viewerOf,
  waitForNames,
} from './support/replica'
import { guestToken, seedRoster, waitForHydration } from './support/roster-page'
import { type RunningServer, startServer } from './support/server'

const SECRET = 'e2e-oauth-secret-'.padEnd(48, 'o')

let github: MockGitHub
let server: RunningServer
let browser: Browser
let env: Record<string, string>

beforeAll(async () => {
  github = await startMockGitHub()
  env = {
    AUTH_SECRET: SECRET,
    AUTH_GITHUB_ID: github.clientId,
    AUTH_GITHUB_SECRET: github.clientSecret,
    AUTH_GITHUB_ENTERPRISE_URL: github.url,
  }
  ;[server, browser] = await Promise.all([
    startServer(env, { keepData: true }),
    launchBrowser(),
  ])
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await github?.close()
  if (server) await rm(server.dataDir, { recursive: true, force: true })
})

let people = 0
/** A new person on the mock GitHub; each test signs in as its own. */
function gitHubUser(name: string, email: string | null = null): GitHubUser {
  people += 1
  const login = `${name.split(' ')[0]!.toLowerCase()}${people}`
  return {
    id: 5000 + people,
    login,
    name,
    email: email ?? `${login}@ghe.example`,
    avatar_url: `${github.url}/avatars/u/${5000 + people}`,
  }
}

/** Goes to the sign-in page by the page's own link and picks GitHub. */
async function continueWithGitHub(page: Page) {
  await page
    .getByRole('navigation', { name: 'Account' })
    .getByRole('link', { name: 'Sign in' })
    .click()
  await page.waitForURL(`${server.url}/sign-in`)
  await page.getByRole('button', { name: 'Continue with GitHub' }).click()
}

async function signedInAs(page: Page, name: string) {
  await page.waitForURL(`${server.url}/`, { timeout: 30_000 })
  await expect(page.locator('.viewer-line').textContent()).resolves.toContain(
    `Signed in as ${name}`,
  )
}

/** What the mock was asked since `from`, as `METHOD /path` lines. */
function routesSince(from: number): string[] {
  return github.calls.slice(from).map((call) => `${call.method} ${call.path}`)
}

/**
 * A new guest on `/` whose roster holds these avatars; `still()` checks
 * that it is that same guest, with that roster and no session.
 */
async function seededGuest(names: string[]) {
  const context = await browser.newContext()
  const page = await context.newPage()
  const errors = watchErrors(page)
  await page.goto(`${server.url}/`)
  await waitForHydration(page)
  await seedRoster(
    page,
    server.url,
    names.map((name) => ({ name })),
  )
  const guest = await viewerOf(context, server)
  const still = async () => {
    expect(await sessionCookie(context)).toBeUndefined()
    expect(await viewerOf(context, server)).toEqual(guest)
    expect(
      (await serverAvatars(context, server)).map((avatar) => avatar.name),
    ).toEqual(names)
  }
  return { context, page, errors, still }
}

/** Waits to be back on the sign-in page, showing this notice. */
async function refusedWith(page: Page, notice: string) {
  await page.waitForURL(/\/sign-in\?error=/, { timeout: 30_000 })
  await page.getByRole('alert').filter({ hasText: notice }).waitFor()
}

async function sessionCookie(context: BrowserContext) {
  const cookies = await context.cookies(server.url)
  return cookies.find((cookie) => cookie.name === SESSION_COOKIE)
}

describe('signing in with GitHub (a mock GitHub Enterprise Server)', () => {
  it('takes a guest to GitHub and back signed in, with its roster, linked to that GitHub identity', async () => {
    const ada = gitHubUser('Ada Lovelace')
    github.signInAs(ada)
    const context = await browser.newContext()
    const page = await guestWithRoster(context, server, ['Ann', 'Ben', 'Cid'])
    const errors = watchErrors(page)
    const oldGuest = await guestToken(page, server.url)
    const guest = await viewerOf(context, server)
    const from = github.calls.length

    await continueWithGitHub(page)

    await signedInAs(page, 'Ada Lovelace')
    const user = await viewerOf(context, server)
    expect(user.kind).toBe('user')
    expect(user.spaceId).not.toBe(guest.spaceId)
    await waitForNames(page, ['Ann', 'Ben', 'Cid'])
    expect(
      (await serverAvatars(context, server)).map((avatar) => avatar.name),
    ).toEqual(['Ann', 'Ben', 'Cid'])
    // The old guest cookie names an empty space now.
    expect(await guestToken(page, server.url)).not.toBe(oldGuest)

    // The app went to the Enterprise Server, not github.com, and back to
    // its own callback with the same redirect URI at both steps.
    expect(routesSince(from)).toEqual([
      'GET /login/oauth/authorize',
      'POST /login/oauth/access_token',
      'GET /api/v3/user',
    ])
    expect(github.calls[from]!.query.redirect_uri).toBe(
      `${server.url}/api/auth/callback/github`,
    )
    expect(github.problems).toEqual([])
    expect(unexpected(errors)).toEqual([])
    await context.close()

    // The database: one user, linked to this GitHub id, with no password
    // and no token kept anywhere.
    const rows = await inDatabase(async (db) => ({
      users: await db.select().from(users),
      links: await db.select().from(linkedAccounts),
    }))
    const created = rows.users.filter((row) => row.email === ada.email)
    expect(created).toEqual([
      expect.objectContaining({ name: 'Ada Lovelace', passwordHash: null }),
    ])
    expect(rows.links).toEqual([
      expect.objectContaining({
        provider: 'github',
        providerAccountId: String(ada.id),
        userId: created[0]!.id,
      }),
    ])
    expect(created[0]!.spaceId).toBe(user.spaceId)
    const stored = JSON.stringify(rows)
    for (const token of github.issuedTokens) {
      expect(stored).not.toContain(token)
    }
  }, 180_000)

  it('merges a second browser into the same GitHub account, and the first browser sees its avatars', async () => {
    const bea = gitHubUser('Bea Bonnet')
    github.signInAs(bea)
    const first = await browser.newContext()
    const page = await guestWithRoster(first, server, ['Dot', 'Eli'])
    await continueWithGitHub(page)
    await signedInAs(page, 'Bea Bonnet')
    await waitForNames(page, ['Dot', 'Eli'])
    const account = await viewerOf(first, server)

    const second = await browser.newContext()
    const other = await guestWithRoster(second, server, ['Fay', 'Dot'])
    await continueWithGitHub(other)
    await signedInAs(other, 'Bea Bonnet')

    expect(await viewerOf(second, server)).toMatchObject({
      kind: 'user',
      spaceId: account.spaceId,
    })
    // The account's avatars first, then the second guest's; look-alikes
    // are kept.
    await waitForNames(other, ['Dot', 'Eli', 'Fay', 'Dot'])
    // The first browser is told of the merge and shows it without a reload.
    await waitForNames(page, ['Dot', 'Eli', 'Fay', 'Dot'])
    expect(github.problems).toEqual([])
    await Promise.all([first.close(), second.close()])
  }, 180_000)

  it("keeps GitHub's access token out of the session cookie and the session answer", async () => {
    github.signInAs(gitHubUser('Cas Cole'))
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${server.url}/`)
    await waitForHydration(page)
    const issued = github.issuedTokens.length

    await continueWithGitHub(page)
    await signedInAs(page, 'Cas Cole')

    // The sign-in did receive a token from GitHub...
    expect(github.issuedTokens).toHaveLength(issued + 1)
    const token = github.issuedTokens.at(-1)!
    // ...and none of it reaches the browser.
    const cookies = await context.cookies()
    expect(JSON.stringify(cookies)).not.toContain(token)
    const session = await sessionCookie(context)
    expect(session).toBeDefined()
    const claims = await decode({
      token: session!.value,
      secret: SECRET,
      salt: SESSION_COOKIE,
    })
    expect(claims).toMatchObject({ name: 'Cas Cole' })
    expect(Object.keys(claims!).sort()).toEqual(
      ['email', 'exp', 'iat', 'jti', 'name', 'spaceId', 'sub'].sort(),
    )
    expect(JSON.stringify(claims)).not.toContain(token)

    for (const path of ['/api/auth/session', '/api/viewer']) {
      const response = await context.request.get(`${server.url}${path}`)
      expect(response.status()).toBe(200)
      const body = await response.text()
      expect(body).toContain(path === '/api/viewer' ? 'user' : 'Cas Cole')
      expect(body).not.toContain(token)
      expect(body).not.toMatch(/access_?token/i)
    }
    await context.close()
  })

  it('leaves the guest and its roster as they were when GitHub refuses, and says so', async () => {
    github.refuse()
    const { context, page, errors, still } = await seededGuest(['Gus', 'Hal'])
    const token = await guestToken(page, server.url)
    const from = github.calls.length

    await continueWithGitHub(page)

    await refusedWith(page, 'The sign-in was cancelled or refused')
    expect(await page.content()).not.toContain('access_denied')
    expect(routesSince(from)).toEqual(['GET /login/oauth/authorize'])
    await still()
    expect(await guestToken(page, server.url)).toBe(token)
    // The page still works: the roster is where it was.
    await page.goto(`${server.url}/`)
    await waitForNames(page, ['Gus', 'Hal'])
    expect(unexpected(errors)).toEqual([])
    await context.close()
  })

  it('refuses a GitHub email that belongs to a password account, changing nothing', async () => {
    const email = `dee-${Date.now()}@ghe.example`
    const owner = await browser.newContext()
    const signUp = await owner.newPage()
    await signUp.goto(`${server.url}/sign-up`)
    await signUp.getByLabel('Name').fill('Dee Password')
    await signUp.getByLabel('Email').fill(email)
    await signUp.getByLabel('Password').fill(PASSWORD)
    await signUp.getByRole('button', { name: 'Sign up', exact: true }).click()
    await signUp.waitForURL(`${server.url}/`, { timeout: 30_000 })
    await owner.close()

    github.signInAs(gitHubUser('Dee Impostor', email))
    const { context, page, errors, still } = await seededGuest(['Ivy'])

    await continueWithGitHub(page)

    await refusedWith(page, 'An account with this email already exists')
    await still()
    // A refusal, not a fault in the server's log.
    expect(server.output()).not.toMatch(/auth\.js error/)
    expect(unexpected(errors)).toEqual([])
    await context.close()
  })

  it('works before the page hydrates: the button is a plain form', async () => {
    github.signInAs(gitHubUser('Gil Noscript'))
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(`${server.url}/sign-in`)

    await page.getByRole('button', { name: 'Continue with GitHub' }).click()

    await signedInAs(page, 'Gil Noscript')
    await context.close()
  })

  it('offers one button per configured provider on the sign-up page too', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${server.url}/sign-up`)
    await expect(
      page.getByRole('button', { name: /^Continue with / }).allTextContents(),
    ).resolves.toEqual(['Continue with GitHub'])
    await context.close()
  })
})

/**
 * Reads the server's embedded database: stops the server (PGlite allows one
 * process per data directory), opens it here, then starts the server again
 * on the same port and data, so cookies and sessions stay valid.
 */
async function inDatabase<T>(
  read: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>,
): Promise<T> {
  const { port, dataDir } = server
  await server.stop()
  const database = await openDatabase({ dataDir })
  try {
    return await read(database.db)
  } finally {
    await database.close()
    server = await startServer(env, { port, dataDir, keepData: true })
  }
}
