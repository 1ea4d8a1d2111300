import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser, watchErrors } from './support/browser'
import {
  cacheContents,
  startWorkerSwapProxy,
  waitForWorker,
  type WorkerSwapProxy,
} from './support/pwa'
import { type RunningServer, startServer } from './support/server'

const PROMPT = 'A new version is ready.'

/** An outbox stand-in: one record in an IndexedDB store. */
function writeOutbox(page: Page) {
  return page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('outbox-stand-in', 1)
        open.onupgradeneeded = () =>
          open.result.createObjectStore('mutations', { keyPath: 'id' })
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const tx = open.result.transaction('mutations', 'readwrite')
          tx.objectStore('mutations').put({ id: 1, name: 'createAvatar' })
          tx.oncomplete = () => {
            open.result.close()
            resolve()
          }
        }
      }),
  )
}

function readOutbox(page: Page) {
  return page.evaluate(
    () =>
      new Promise<unknown[]>((resolve, reject) => {
        const open = indexedDB.open('outbox-stand-in', 1)
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const request = open.result
            .transaction('mutations')
            .objectStore('mutations')
            .getAll()
          request.onsuccess = () => {
            open.result.close()
            resolve(request.result)
          }
        }
      }),
  )
}

/** What the registration holds: the waiting worker's state, if any. */
function waitingState(page: Page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration()
    return registration?.waiting?.state ?? null
  })
}

/** The precache revisions of a page, e.g. `/offline`. */
async function precachedRevisions(page: Page, pathname: string) {
  const contents = await cacheContents(page)
  return Object.entries(contents)
    .filter(([name]) => name.includes('precache'))
    .flatMap(([, entries]) => entries)
    .map((entry) => new URL(entry.url))
    .filter((url) => url.pathname === pathname)
    .map((url) => url.searchParams.get('__WB_REVISION__'))
}

describe('a new version of the app', () => {
  let server: RunningServer
  let proxy: WorkerSwapProxy
  let browser: Browser

  beforeAll(async () => {
    proxy = await startWorkerSwapProxy(() => server.url)
    ;[server, browser] = await Promise.all([
      // The browser talks to the proxy: that is the app's public URL.
      startServer({ APP_URL: proxy.url }),
      launchBrowser(),
    ])
  })
  afterAll(async () => {
    await browser?.close()
    await proxy?.close()
    await server?.stop()
  })

  it('waits for the person, then takes over with one reload, keeping IndexedDB and the runtime caches', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const other = await context.newPage()
    const errors = [...watchErrors(page), ...watchErrors(other)]
    await page.goto(`${proxy.url}/`)
    await waitForWorker(page)
    await other.goto(`${proxy.url}/`)
    await waitForWorker(other)

    // State that must survive: the outbox and a cached PGlite file.
    await writeOutbox(page)
    // Its own stem: the replica, now booting under the worker, stores the
    // real pglite.<hash>.wasm, which replaces older versions of the same file.
    const wasm = '/_next/static/media/rollcall-standin.standin1234.wasm'
    await page.evaluate(async (url) => {
      const cache = await caches.open('rollcall-pglite')
      await cache.put(url, new Response('wasm stand-in'))
    }, wasm)
    const cachesBefore = Object.keys(await cacheContents(page)).sort()

    // A new deploy: the same worker with a new revision of the app's pages.
    const buildId = (await readFile('.next/BUILD_ID', 'utf8')).trim()
    const nextRevision = `next-${randomUUID().slice(0, 8)}`
    const current = await (await fetch(`${server.url}/serwist/sw.js`)).text()
    expect(current).toContain(`revision:"${buildId}"`)
    proxy.swapWorker((script) =>
      script.replaceAll(`revision:"${buildId}"`, `revision:"${nextRevision}"`),
    )
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration()
      await registration?.update()
    })

    await expect.poll(() => page.getByText(PROMPT).isVisible()).toBe(true)
    await expect.poll(() => other.getByText(PROMPT).isVisible()).toBe(true)
    // It waits: no skipWaiting until the person accepts.
    await page.waitForTimeout(1000)
    expect(await waitingState(page)).toBe('installed')
    expect(await precachedRevisions(page, '/offline')).toContain(buildId)

    let loads = 0
    let otherLoads = 0
    page.on('load', () => loads++)
    other.on('load', () => otherLoads++)
    await page.getByRole('button', { name: 'Reload' }).click()
    await page.waitForEvent('load')
    await waitForWorker(page)
    await page.waitForTimeout(1000)

    expect(loads).toBe(1)
    expect(await waitingState(page)).toBeNull()
    expect(await page.getByText(PROMPT).isVisible()).toBe(false)
    // The old precache entries are gone; nothing else is.
    expect(await precachedRevisions(page, '/offline')).toEqual([nextRevision])
    expect(Object.keys(await cacheContents(page)).sort()).toEqual(cachesBefore)
    const pglite = (await cacheContents(page))['rollcall-pglite'] ?? []
    expect(pglite.map((entry) => new URL(entry.url).pathname)).toContain(wasm)
    expect(await readOutbox(page)).toEqual([{ id: 1, name: 'createAvatar' }])

    // The other tab is not reloaded under the person's feet: it offers it.
    expect(otherLoads).toBe(0)
    expect(await other.getByText(PROMPT).isVisible()).toBe(true)
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    expect(errors).toEqual([])
    await context.close()
  })
})
