import { randomUUID } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'

import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser, watchErrors } from './support/browser'
import { startWorkerSwapProxy, waitForWorker } from './support/pwa'
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
  webStorageSizes,
} from './support/replica'
import { type RunningServer, startServer } from './support/server'

const SLOW = 240_000

/** What a browser says about requests to a server that is not there. */
const NETWORK_DOWN = [
  /Failed to load resource: net::ERR_(?:CONNECTION_REFUSED|INTERNET_DISCONNECTED|FAILED|NETWORK_CHANGED)/,
]

let browser: Browser
let context: BrowserContext | undefined
const servers: RunningServer[] = []
const pagesSeen: string[][] = []

beforeAll(async () => {
  browser = await launchBrowser()
})
afterEach(async () => {
  await context?.close()
  context = undefined
  pagesSeen.splice(0)
  const stopped = servers.splice(0)
  await Promise.all(stopped.map((server) => server.stop()))
  for (const { dataDir } of stopped) {
    await rm(dataDir, { recursive: true, force: true })
  }
})
afterAll(async () => {
  await browser?.close()
})

/** A server whose data outlives it, so a restart finds the same rows. */
async function serve(
  env: Record<string, string> = {},
  place: { port?: number; dataDir?: string } = {},
): Promise<RunningServer> {
  const server = await startServer(env, { ...place, keepData: true })
  servers.push(server)
  return server
}

function watch(page: Page, tag: string): Page {
  pagesSeen.push(watchErrors(page))
  debugPage(page, tag)
  return page
}

/** A first online visit that leaves a ready replica and a worker behind. */
async function visitOnline(url: string): Promise<Page> {
  context = await browser.newContext()
  const page = watch(await context.newPage(), 'online')
  await page.goto(`${url}/`)
  await waitForWorker(page)
  await waitForReplica(page, 'ready')
  return page
}

/** Loads `/` again in a new page, as a person opening the app would. */
async function openAgain(url: string, tag: string): Promise<Page> {
  const page = watch(await context!.newPage(), tag)
  const response = await page.goto(`${url}/`)
  expect(response?.fromServiceWorker()).toBe(true)
  return page
}

function allErrors(): string[] {
  return unexpected(pagesSeen.splice(0).flat(), NETWORK_DOWN)
}

describe('offline start and catch-up (production build)', () => {
  it(
    'starts cold from the replica with the server gone, and takes edits',
    async () => {
      let server = await serve()
      const { url, port, dataDir } = server
      const page = await visitOnline(url)
      await addAvatar(page, 'Ada')
      await waitForAvatar(page, 'Ada')
      await waitForPending(page, 0)
      await eventuallyOnServer(context!, server, (avatars) =>
        expect(avatars.map((avatar) => avatar.name)).toEqual(['Ada']),
      )
      // Let the throttled cache save land.
      await page.waitForTimeout(1500)
      await page.close()

      await server.stop()
      const started = Date.now()
      const offline = await openAgain(url, 'cold')
      await waitForAvatar(offline, 'Ada')
      const paintMs = Date.now() - started
      await waitForReplica(offline, 'ready')
      const readyMs = Date.now() - started
      expect(await offline.textContent('.shell-status')).toContain('Offline')

      await addAvatar(offline, 'Grace')
      await waitForAvatar(offline, 'Grace')
      await waitForPending(offline, 1)
      expect(await shownNames(offline)).toEqual(['Ada', 'Grace'])
      console.info(
        `[offline] cold start: roster painted ${paintMs} ms, replica ready ${readyMs} ms after navigation`,
      )

      // Back on the same data and address: the edit arrives on its own.
      server = await serve({}, { port, dataDir })
      await waitForPending(offline, 0, 90_000)
      const avatars = await serverAvatars(context!, server)
      expect(avatars.map((avatar) => avatar.name)).toEqual(['Ada', 'Grace'])
      expect(await webStorageSizes(offline)).toEqual({ local: 0, session: 0 })
      expect(allErrors()).toEqual([])
    },
    SLOW,
  )

  it(
    'keeps edits through three offline reloads and sends each once when back online',
    async () => {
      const server = await serve()
      let page = await visitOnline(server.url)
      await addAvatar(page, 'Ada')
      await waitForPending(page, 0)
      await eventuallyOnServer(context!, server, (avatars) =>
        expect(avatars).toHaveLength(1),
      )
      await page.waitForTimeout(1500)

      await context!.setOffline(true)
      const names = ['Bea', 'Cy', 'Dot']
      for (const [index, name] of names.entries()) {
        await page.close()
        page = await openAgain(server.url, `reload ${index + 1}`)
        await waitForReplica(page, 'ready')
        for (const earlier of ['Ada', ...names.slice(0, index)]) {
          await waitForAvatar(page, earlier)
        }
        await addAvatar(page, name)
        await waitForAvatar(page, name)
        await waitForPending(page, index + 1)
      }
      // Edits to queued and synced avatars too.
      await page
        .locator('[data-testid="avatar-item"]', { hasText: 'Ada' })
        .getByRole('checkbox')
        .first()
        .click()
      await waitForPending(page, 4)
      await expect.poll(() => shownNames(page)).toEqual(['Ada', ...names])

      // Online again, touching nothing.
      await context!.setOffline(false)
      await waitForPending(page, 0, 90_000)
      const avatars = await serverAvatars(context!, server)
      expect(avatars.map((avatar) => avatar.name)).toEqual(['Ada', ...names])
      // Ada was ticked active offline; the others were made once each: a
      // create sent twice would be refused (its id taken) and say so.
      expect(avatars.map(({ name, isActive }) => [name, isActive])).toEqual([
        ['Ada', true],
        ['Bea', false],
        ['Cy', false],
        ['Dot', false],
      ])
      expect(await page.getByTestId('sync-status').textContent()).not.toMatch(
        /refused/i,
      )
      expect(await webStorageSizes(page)).toEqual({ local: 0, session: 0 })
      expect(allErrors()).toEqual([])
    },
    SLOW,
  )

  it(
    'keeps queued edits through an accepted update, then sends them',
    async () => {
      let target = ''
      const proxy = await startWorkerSwapProxy(() => target)
      try {
        const server = await serve({ APP_URL: proxy.url })
        target = server.url
        const page = await visitOnline(proxy.url)

        await context!.setOffline(true)
        await addAvatar(page, 'Queued')
        await waitForAvatar(page, 'Queued')
        await waitForPending(page, 1)

        // A new deploy is offered while the edit waits.
        const buildId = (await readFile('.next/BUILD_ID', 'utf8')).trim()
        const nextRevision = `next-${randomUUID().slice(0, 8)}`
        proxy.swapWorker((script) =>
          script.replaceAll(
            `revision:"${buildId}"`,
            `revision:"${nextRevision}"`,
          ),
        )
        // The server is out of reach for the page's sync, not for the
        // worker's update check: go online with sync refused instead.
        proxy.refuse('/api/sync')
        await context!.setOffline(false)
        await page.evaluate(async () => {
          const registration = await navigator.serviceWorker.getRegistration()
          await registration?.update()
        })
        await page.getByText('A new version is ready.').waitFor()
        await waitForPending(page, 1)

        await page.getByRole('button', { name: 'Reload' }).click()
        await page.waitForEvent('load')
        await waitForReplica(page, 'ready')
        await waitForAvatar(page, 'Queued')
        await waitForPending(page, 1)
        expect(await serverAvatars(context!, server)).toEqual([])

        proxy.refuse(null)
        await waitForPending(page, 0, 90_000)
        const avatars = await serverAvatars(context!, server)
        expect(avatars.map((avatar) => avatar.name)).toEqual(['Queued'])
        expect(await webStorageSizes(page)).toEqual({ local: 0, session: 0 })
        expect(
          unexpected(pagesSeen.splice(0).flat(), [
            ...NETWORK_DOWN,
            /Failed to load resource.*status of 503/,
          ]),
        ).toEqual([])
      } finally {
        await context?.close()
        context = undefined
        await proxy.close()
      }
    },
    SLOW,
  )
})
