import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { newEmail, SESSION_COOKIE } from './support/accounts'
import { launchBrowser, watchErrors } from './support/browser'
import { unexpected } from './support/replica'
import { GUEST_COOKIE } from './support/roster-page'
import { type RunningServer, startServer } from './support/server'

const SECRET = 'e2e-accounts-secret-'.padEnd(48, 'a')
const PER_ACCOUNT = 3
const GENERIC = 'That email and password do not match.'

let server: RunningServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([
    startServer({
      AUTH_SECRET: SECRET,
      AUTH_MAX_ATTEMPTS_PER_ACCOUNT: String(PER_ACCOUNT),
    }),
    launchBrowser(),
  ])
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

async function signUpThroughForm(
  page: Page,
  name: string,
  email: string,
  password: string,
) {
  await page.goto(`${server.url}/sign-up`)
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign up' }).click()
}

async function signInThroughForm(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).press('Enter')
}

function formError(page: Page) {
  return page.getByTestId('account-form-error')
}

describe('accounts in the browser', () => {
  it('signs up through the form, and the page shows who is signed in', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    const email = newEmail('person')

    await signUpThroughForm(
      page,
      'Ada Lovelace',
      email,
      'correct horse battery',
    )

    await page.waitForURL(`${server.url}/`, { timeout: 30_000 })
    await expect(page.locator('.viewer-line').textContent()).resolves.toContain(
      'Signed in as Ada Lovelace',
    )
    await page.getByRole('button', { name: 'Sign out' }).waitFor()

    const cookies = await context.cookies()
    const session = cookies.find(({ name }) => name === SESSION_COOKIE)
    expect(session).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
    })
    const viewer = await (
      await context.request.get(`${server.url}/api/viewer`)
    ).json()
    expect(viewer).toMatchObject({ kind: 'user', label: 'Ada Lovelace' })

    // Signing in again from a fresh browser reaches the same account.
    const other = await browser.newContext()
    const second = await other.newPage()
    await second.goto(`${server.url}/sign-in`)
    await signInThroughForm(
      second,
      email.toUpperCase(),
      'correct horse battery',
    )
    await second.waitForURL(`${server.url}/`, { timeout: 30_000 })
    const again = await (
      await other.request.get(`${server.url}/api/viewer`)
    ).json()
    expect(again.spaceId).toBe(viewer.spaceId)

    expect(unexpected(errors)).toEqual([])
    await Promise.all([context.close(), other.close()])
  })

  it('shows messages beside the fields for bad input, keyboard first', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${server.url}/sign-up`)

    await page.getByLabel('Name').focus()
    await page.keyboard.press('Tab')
    await page.keyboard.type('not-an-email')
    await page.keyboard.press('Tab')
    await page.keyboard.type('short')
    await page.keyboard.press('Enter')

    await page.getByText('enter a name').waitFor({ timeout: 30_000 })
    const described = async (label: string) => {
      const field = page.getByLabel(label, { exact: true })
      await expect(field.getAttribute('aria-invalid')).resolves.toBe('true')
      const id = await field.getAttribute('aria-describedby')
      return page.locator(`[id="${id}"]`).textContent()
    }
    await expect(described('Name')).resolves.toBe('enter a name')
    await expect(described('Email')).resolves.toMatch(/email address/)
    await expect(described('Password')).resolves.toBe(
      'use at least 10 characters',
    )
    // What was typed stays, except the password; focus goes to the first field at fault.
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe(
      'not-an-email',
    )
    await expect(
      page.evaluate(() => document.activeElement?.getAttribute('name')),
    ).resolves.toBe('name')
    await context.close()
  })

  it('answers a wrong password and an unknown email with the same message', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const email = newEmail('person')
    await signUpThroughForm(page, 'Grace', email, 'correct horse battery')
    await page.waitForURL(`${server.url}/`, { timeout: 30_000 })
    await context.clearCookies()

    for (const [tried, password] of [
      [email, 'wrong password'],
      [newEmail('person'), 'correct horse battery'],
    ] as const) {
      await page.goto(`${server.url}/sign-in`)
      await signInThroughForm(page, tried, password)
      await expect(
        formError(page)
          .filter({ hasText: GENERIC })
          .textContent({ timeout: 30_000 }),
      ).resolves.toBe(GENERIC)
      await expect(page.getByLabel('Email').inputValue()).resolves.toBe(tried)
      await expect(page.getByLabel('Password').inputValue()).resolves.toBe('')
    }
    const viewer = await (
      await context.request.get(`${server.url}/api/viewer`)
    ).json()
    expect(viewer.kind).toBe('guest')
    await context.close()
  })

  it('limits many wrong passwords, then says so clearly, even for the right one', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const email = newEmail('person')
    await signUpThroughForm(page, 'Linus', email, 'correct horse battery')
    await page.waitForURL(`${server.url}/`, { timeout: 30_000 })
    await context.clearCookies()

    await page.goto(`${server.url}/sign-in`)
    for (let attempt = 1; attempt <= PER_ACCOUNT; attempt++) {
      await signInThroughForm(page, email, `wrong ${attempt}`)
      await formError(page)
        .filter({ hasText: GENERIC })
        .waitFor({ timeout: 30_000 })
      await page.getByRole('button', { name: 'Sign in' }).waitFor()
    }
    await signInThroughForm(page, email, 'correct horse battery')
    const limited = formError(page).filter({
      hasText: 'Too many sign-in attempts',
    })
    await expect(limited.textContent({ timeout: 30_000 })).resolves.toMatch(
      /^Too many sign-in attempts; try again in \d+ minutes?\.$/,
    )
    const viewer = await (
      await context.request.get(`${server.url}/api/viewer`)
    ).json()
    expect(viewer.kind).toBe('guest')
    await context.close()
  })
})

describe('hostile session cookies', () => {
  async function guestCookie(): Promise<string> {
    const response = await fetch(`${server.url}/api/viewer`)
    const line = response.headers
      .getSetCookie()
      .find((c) => c.startsWith(GUEST_COOKIE))
    return line!.split(';')[0]!
  }

  it.each([
    ['garbage', 'garbage'],
    [
      'a tampered JWE',
      'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0..AAAA.BBBB.CCCC',
    ],
    ['a huge value', 'x'.repeat(3500)],
  ])('treats %s as the guest, never a 500', async (_, value) => {
    const guest = await guestCookie()
    const cookie = `${guest}; ${SESSION_COOKIE}=${value}`
    const viewer = await fetch(`${server.url}/api/viewer`, {
      headers: { cookie },
    })
    expect(viewer.status).toBe(200)
    await expect(viewer.json()).resolves.toMatchObject({ kind: 'guest' })
    const page = await fetch(`${server.url}/`, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Browsing as guest')
    const session = await fetch(`${server.url}/api/auth/session`, {
      headers: { cookie },
    })
    expect(session.status).toBe(200)
    await expect(session.json()).resolves.toBeNull()
  })

  it('lists only the email and password provider without OAuth variables', async () => {
    const response = await fetch(`${server.url}/api/auth/providers`)
    expect(response.status).toBe(200)
    expect(Object.keys(await response.json())).toEqual(['credentials'])
  })

  it('offers no provider buttons on the sign-in and sign-up pages without OAuth variables', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    for (const [path, submit] of [
      ['/sign-in', 'Sign in'],
      ['/sign-up', 'Sign up'],
    ]) {
      await page.goto(`${server.url}${path}`)
      // The page did render its form...
      await page.getByRole('button', { name: submit, exact: true }).waitFor()
      // ...and nothing else to sign in with.
      await expect(
        page.getByRole('button', { name: /continue with/i }).count(),
      ).resolves.toBe(0)
      await expect(
        page.getByRole('region', { name: 'Other ways to sign in' }).count(),
      ).resolves.toBe(0)
    }
    await context.close()
  })
})
