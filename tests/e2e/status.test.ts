import { randomUUID } from 'node:crypto'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'

import { PROTOCOL_VERSION, SCHEMA_VERSION } from '@/sync/protocol'

import { launchBrowser, watchErrors } from './support/browser'
import {
  addAvatar,
  debugPage,
  eventuallyOnServer,
  serverAvatars,
  shownNames,
  unexpected,
  waitForAvatar,
  waitForPending,
  waitForReplica,
} from './support/replica'
import {
  GUEST_COOKIE,
  guestToken,
  seriousViolations,
} from './support/roster-page'
import { type RunningServer, startServer } from './support/server'

const SLOW = 180_000
/** Errors a test causes on purpose: a network cut, a failed round. */
const NETWORK_ERRORS = [
  /Failed to load resource.*api\/sync/,
  /ERR_INTERNET_DISCONNECTED/,
]

let server: RunningServer
let browser: Browser
let context: BrowserContext
let errors: string[] = []

beforeAll(async () => {
  server = await startServer()
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

afterEach(async () => {
  await context?.close()
  errors = []
})

async function open(path = '/'): Promise<Page> {
  context = await browser.newContext()
  const page = await context.newPage()
  errors = watchErrors(page)
  debugPage(page, 'status')
  await page.goto(`${server.url}${path}`)
  await waitForReplica(page, 'ready')
  return page
}

function statusArea(page: Page) {
  return page.getByTestId('sync-status')
}

/** Waits for the status area's state (`data-sync`). */
async function waitForSync(page: Page, state: string, timeout = 30_000) {
  await page.waitForFunction(
    (wanted) =>
      document
        .querySelector('[data-testid="sync-status"]')
        ?.getAttribute('data-sync') === wanted,
    state,
    { timeout },
  )
}

function pauseSwitch(page: Page) {
  return page.getByRole('switch', { name: 'Pause network' })
}

async function rename(page: Page, from: string, to: string) {
  await page
    .getByRole('button', { name: `Rename ${from}`, exact: true })
    .click()
  await page.getByLabel(`New name for ${from}`).fill(to)
  await page
    .getByRole('button', { name: `Save name for ${from}`, exact: true })
    .click()
}

/** A headless client of the sync protocol holding the page's cookie. */
async function pushAs(token: string, name: string, args: unknown) {
  const response = await fetch(`${server.url}/api/sync`, {
    method: 'POST',
    headers: {
      Cookie: `${GUEST_COOKIE}=${token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({
      protocol: PROTOCOL_VERSION,
      schemaVersion: SCHEMA_VERSION,
      clientId: randomUUID(),
      cursor: null,
      mutations: [{ id: 1, name, args }],
    }),
  })
  expect(response.status).toBe(200)
  const body = (await response.json()) as { refused: unknown[] }
  expect(body.refused).toEqual([])
}

describe('the sync status area', () => {
  it(
    'counts changes waiting while offline, then returns to synced once online, each change on the server once',
    async () => {
      const page = await open()
      await waitForSync(page, 'synced')
      await expect(statusArea(page).textContent()).resolves.toContain(
        'All changes synced',
      )

      await context.setOffline(true)
      await waitForSync(page, 'offline')
      await addAvatar(page, 'Ada')
      await waitForAvatar(page, 'Ada')
      await addAvatar(page, 'Grace')
      await waitForAvatar(page, 'Grace')
      await waitForPending(page, 2)
      expect(await statusArea(page).textContent()).toContain(
        'Offline, 2 changes waiting',
      )

      await context.setOffline(false)
      await waitForSync(page, 'synced')
      await waitForPending(page, 0)
      const text = await statusArea(page).textContent()
      expect(text).toContain('All changes synced')
      expect(text).toContain('Last synced just now')

      const avatars = await serverAvatars(context, server)
      expect(avatars.map((avatar) => avatar.name).sort()).toEqual([
        'Ada',
        'Grace',
      ])
      expect(unexpected(errors, NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )

  it(
    'shows a failed round with its retry, then recovers on its own',
    async () => {
      const page = await open()
      await waitForSync(page, 'synced')
      let failed = 0
      await context.route('**/api/sync', async (route) => {
        if (failed++ === 0) {
          await route.fulfill({ status: 503, body: 'unavailable' })
        } else {
          await route.continue()
        }
      })

      const failure = waitForSync(page, 'failed')
      await addAvatar(page, 'Linus')
      await failure
      const text = await statusArea(page).textContent()
      expect(text).toContain('Couldn’t sync, 1 change waiting')
      expect(text).toMatch(/Retrying in \d+s\./)

      await waitForSync(page, 'synced')
      await waitForPending(page, 0)
      const avatars = await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual(['Linus']),
      )
      expect(avatars).toHaveLength(1)
      expect(failed).toBeGreaterThan(1)
      expect(unexpected(errors, NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )

  it(
    'retries at once when asked after a failure',
    async () => {
      const page = await open()
      await waitForSync(page, 'synced')
      let failing = true
      await context.route('**/api/sync', async (route) => {
        if (failing) await route.fulfill({ status: 503, body: 'unavailable' })
        else await route.continue()
      })

      await addAvatar(page, 'Barbara')
      await waitForSync(page, 'failed')
      failing = false
      await page.getByRole('button', { name: 'Retry now' }).click()
      await waitForSync(page, 'synced')
      await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual(['Barbara']),
      )
      expect(unexpected(errors, NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )

  it(
    'shows a refused change with its reason and rolls it back',
    async () => {
      const page = await open('/?inspect=1')
      await addAvatar(page, 'Ann')
      await waitForAvatar(page, 'Ann')
      await waitForSync(page, 'synced')
      const [ann] = await eventuallyOnServer(context, server, (rows) =>
        expect(rows).toHaveLength(1),
      )

      await pauseSwitch(page).check()
      await waitForSync(page, 'paused')
      await pushAs(await guestToken(page, server.url), 'deleteAvatar', {
        id: ann!.id,
      })
      await rename(page, 'Ann', 'Anne')
      await waitForAvatar(page, 'Anne')
      await waitForPending(page, 1)

      await pauseSwitch(page).uncheck()
      await waitForSync(page, 'synced')
      await expect
        .poll(() => statusArea(page).textContent())
        .toContain("Your rename of 'Ann' was refused: avatar has been deleted")
      expect(await shownNames(page)).toEqual([])
      expect(await serverAvatars(context, server)).toEqual([])
      await expect(
        page.getByTestId('inspector-refusals').textContent(),
      ).resolves.toContain('renameAvatar: avatar/deleted')

      await page.getByRole('button', { name: 'Dismiss' }).click()
      expect(await statusArea(page).textContent()).not.toContain('refused')
      expect(unexpected(errors, NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )

  it(
    'counts a change as waiting while it is being stored, and asks before the page is left then',
    async () => {
      const page = await open()
      await waitForSync(page, 'synced')
      // What the page says in the frame the new avatar first shows, and
      // whether leaving is held back meanwhile.
      await page.evaluate(() => {
        const seen: { storing: string | undefined; sync: string | null }[] = []
        ;(window as unknown as { seen: typeof seen }).seen = seen
        new MutationObserver(() => {
          if (seen.length > 0) return
          if (!document.body.textContent?.includes('Stored later')) return
          requestAnimationFrame(() =>
            seen.push({
              storing: document.documentElement.dataset.syncStoring,
              sync:
                document
                  .querySelector('[data-testid="sync-status"]')
                  ?.getAttribute('data-sync') ?? null,
            }),
          )
        }).observe(document.body, { childList: true, subtree: true })
      })
      const dialogs: string[] = []
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.type())
        void dialog.dismiss()
      })

      await addAvatar(page, 'Stored later')
      await waitForAvatar(page, 'Stored later')
      // Leaving at once: the write is still on its way into the replica.
      await page.evaluate(() => location.reload()).catch(() => {})
      await expect.poll(() => dialogs).toEqual(['beforeunload'])
      const [first] = await page.evaluate(
        () => (window as unknown as { seen: unknown[] }).seen,
      )
      expect(first).toEqual({ storing: '1', sync: 'waiting' })

      // Stayed on the page: the change goes through, and leaving is free.
      await waitForSync(page, 'synced')
      await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual(['Stored later']),
      )
      await page.reload()
      await waitForAvatar(page, 'Stored later')
      expect(dialogs).toEqual(['beforeunload'])
      expect(unexpected(errors, NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )
})

describe('the sync inspector', () => {
  it('stays hidden in production without the flag', async () => {
    const page = await open()
    expect(await page.getByTestId('sync-inspector').count()).toBe(0)
    expect(await statusArea(page).count()).toBe(1)
  })

  it(
    'shows the outbox, cursor and client id, and its pause holds changes back until released',
    async () => {
      const page = await open('/?inspect=1')
      await waitForSync(page, 'synced')
      const inspector = page.getByTestId('sync-inspector')
      await expect(
        inspector.getByTestId('inspector-client-id').textContent(),
      ).resolves.toMatch(/^[0-9a-f-]{36}$/)
      await expect
        .poll(() => inspector.getByTestId('inspector-cursor').textContent())
        .not.toBe('none yet')
      await expect
        .poll(() => inspector.getByTestId('inspector-rounds').count())
        .toBe(1)

      await pauseSwitch(page).check()
      await waitForSync(page, 'paused')
      await addAvatar(page, 'Held')
      await waitForAvatar(page, 'Held')
      await waitForPending(page, 1)
      await expect
        .poll(() => inspector.getByTestId('inspector-outbox').textContent())
        .toContain('createAvatar')
      expect(
        await inspector.getByTestId('inspector-outbox').textContent(),
      ).toContain('"name":"Held"')
      expect(await statusArea(page).textContent()).toContain(
        'Sync paused, 1 change waiting',
      )
      expect(await seriousViolations(page)).toEqual([])

      await page.waitForTimeout(1500)
      expect(await serverAvatars(context, server)).toEqual([])

      await pauseSwitch(page).uncheck()
      await waitForSync(page, 'synced')
      const avatars = await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual(['Held']),
      )
      expect(avatars).toHaveLength(1)
      await expect
        .poll(
          () =>
            inspector
              .getByRole('heading', { level: 3, name: /^Outbox/ })
              .textContent(),
          { timeout: 15_000 },
        )
        .toBe('Outbox (0)')
      expect(unexpected(errors, NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )

  it(
    'passes axe with the status area showing a failure and the inspector open',
    async () => {
      const page = await open('/?inspect=1')
      await context.route('**/api/sync', (route) =>
        route.fulfill({ status: 503, body: 'unavailable' }),
      )
      await addAvatar(page, 'Margaret')
      await waitForSync(page, 'failed')
      expect(await seriousViolations(page)).toEqual([])
      expect(unexpected(errors, NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )
})
