import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser, launchProfile, watchErrors } from './support/browser'
import { cacheContents, waitForWorker } from './support/pwa'
import { type RunningServer, startServer } from './support/server'

const STATIC_DIR = path.join('.next', 'static')

interface Visitor {
  context: BrowserContext
  page: Page
  errors: string[]
}

/** Every `.wasm`/`.data` file of the build, as URL paths. */
async function builtPgliteAssets(): Promise<string[]> {
  const files = await readdir(STATIC_DIR, { recursive: true })
  return files
    .filter((file) => /\.(?:wasm|data)$/.test(file))
    .map((file) => `/_next/static/${file.split(path.sep).join('/')}`)
}

/** The proof that a visitor's page never leaked into a cache. */
function expectNoViewerData(
  contents: Record<string, { url: string; text: string | null }[]>,
  secret: string,
) {
  for (const [cache, entries] of Object.entries(contents)) {
    for (const { url, text } of entries) {
      const { pathname, searchParams } = new URL(url)
      expect(pathname, `${cache} holds ${url}`).not.toBe('/')
      expect(pathname.startsWith('/api'), `${cache} holds ${url}`).toBe(false)
      expect(searchParams.has('_rsc'), `${cache} holds ${url}`).toBe(false)
      expect(text ?? '', `${cache} holds ${url}`).not.toContain(secret)
    }
  }
}

// Stand-ins for two versions of PGlite's files, next to whatever the build
// emitted for the replica (Turbopack names them name.hash.ext). `next start`
// serves the files that exist when it starts.
const PROBE_DIR = path.join(STATIC_DIR, 'rollcall-e2e')
const probe = (hash: string, ext: string) =>
  `/_next/static/rollcall-e2e/rollcall-probe.${hash}.${ext}`
const olderWasm = probe(`old${randomUUID().slice(0, 8)}`, 'wasm')
const newerWasm = probe(`new${randomUUID().slice(0, 8)}`, 'wasm')
const probeData = probe(randomUUID().slice(0, 10), 'data')
const probeFiles = [olderWasm, newerWasm, probeData].map((url) =>
  path.join('.next', url.replace('/_next/', '')),
)

describe('the service worker (production build)', () => {
  let server: RunningServer
  let browser: Browser
  const visitors: Visitor[] = []

  beforeAll(async () => {
    await mkdir(PROBE_DIR, { recursive: true })
    for (const file of probeFiles) await writeFile(file, `fixture ${file}`)
    ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
  })
  afterEach(async () => {
    await Promise.all(visitors.splice(0).map((each) => each.context.close()))
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await rm(PROBE_DIR, { recursive: true, force: true })
  })

  async function visitor(): Promise<Visitor> {
    const context = await browser.newContext()
    const page = await context.newPage()
    const created = { context, page, errors: watchErrors(page) }
    visitors.push(created)
    return created
  }

  /** A visitor whose first visit to `/` installed the worker. */
  async function installed(): Promise<Visitor & { installMs: number }> {
    const created = await visitor()
    const started = Date.now()
    await created.page.goto(`${server.url}/`)
    await waitForWorker(created.page)
    return { ...created, installMs: Date.now() - started }
  }

  it('installs after the first visit and precaches only the viewer-independent shell', async () => {
    const { page, errors, installMs } = await installed()

    const contents = await cacheContents(page)
    const precacheName = Object.keys(contents).find((name) =>
      name.includes('precache'),
    )
    expect(precacheName).toBeDefined()
    const precache = contents[precacheName!]!
    const paths = precache.map((entry) => new URL(entry.url).pathname)
    expect(paths).toEqual(
      expect.arrayContaining([
        '/offline',
        '/shell',
        '/manifest.webmanifest',
        '/icons/icon-192.png',
      ]),
    )
    expect(paths.some((each) => each.endsWith('.js'))).toBe(true)
    expect(paths.some((each) => /\.(?:wasm|data)$/.test(each))).toBe(false)
    const label = await page.textContent('.viewer-label')
    expect(label).toBeTruthy()
    expectNoViewerData(contents, label!)

    const bytes = precache.reduce((sum, entry) => sum + entry.bytes, 0)
    console.info(
      `[pwa] worker active ${installMs} ms after navigation start; ` +
        `precache ${precache.length} entries, ${(bytes / 1024).toFixed(1)} KiB`,
    )
    expect(await page.getByText('A new version is ready.').isVisible()).toBe(
      false,
    )
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    expect(errors).toEqual([])
  })

  it.each(['/serwist/sw.js', '/manifest.webmanifest', '/offline', '/shell'])(
    'answers %s the same for everyone, without minting a guest',
    async (pathname) => {
      const response = await fetch(`${server.url}${pathname}`)
      expect(response.status).toBe(200)
      expect(response.headers.getSetCookie()).toEqual([])
      if (pathname === '/serwist/sw.js') {
        expect(response.headers.get('content-type')).toContain('javascript')
        expect(response.headers.get('service-worker-allowed')).toBe('/')
      }
    },
  )

  it('describes an installable app with 192, 512 and maskable PNG icons', async () => {
    const response = await fetch(`${server.url}/manifest.webmanifest`)
    const manifest = (await response.json()) as {
      name: string
      short_name: string
      start_url: string
      scope: string
      display: string
      theme_color: string
      background_color: string
      icons: { src: string; sizes: string; purpose: string; type: string }[]
    }
    expect(manifest).toMatchObject({
      name: 'Rollcall',
      short_name: 'Rollcall',
      start_url: '/',
      scope: '/',
      display: 'standalone',
    })
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i)
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i)
    const icons = manifest.icons.map((icon) => `${icon.sizes} ${icon.purpose}`)
    expect(icons).toEqual(
      expect.arrayContaining([
        '192x192 any',
        '512x512 any',
        '512x512 maskable',
      ]),
    )
    for (const icon of manifest.icons) {
      const png = Buffer.from(
        await (await fetch(`${server.url}${icon.src}`)).arrayBuffer(),
      )
      expect(png.subarray(1, 4).toString('ascii'), icon.src).toBe('PNG')
      const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)]
      expect(`${width}x${height}`, icon.src).toBe(icon.sizes)
    }
  })

  it('shows the offline page for a never-visited route when offline', async () => {
    const { context, page, errors } = await installed()
    await context.setOffline(true)

    const response = await page.goto(`${server.url}/never-visited/route`)

    expect(response?.status()).toBe(200)
    expect(response?.fromServiceWorker()).toBe(true)
    await expect.poll(() => page.textContent('h1')).toBe('You’re offline')
    expect(page.url()).toBe(`${server.url}/never-visited/route`)
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    expect(errors).toEqual([])
  })

  it('starts / offline from the app shell, which carries no viewer data', async () => {
    const { context, page, errors } = await installed()
    const prefetches: string[] = []
    page.on('request', (request) => {
      if (new URL(request.url()).searchParams.has('_rsc'))
        prefetches.push(request.url())
    })
    const secret = `Owl ${randomUUID().slice(0, 8)}`
    const created = await page.request.post(`${server.url}/api/avatars`, {
      data: { id: randomUUID(), emoji: '🦉', name: secret },
    })
    expect(created.status()).toBe(201)
    await page.reload()
    expect(await page.textContent('main')).toContain(secret)
    // The account links are in view, then hovered: a prefetch of theirs
    // that was still on its way when the network went would fail, and
    // Chromium reports each failure as a page error.
    await page.hover('nav[aria-label="Account"] a[href="/sign-up"]')
    await page.hover('nav[aria-label="Account"] a[href="/sign-in"]')

    await context.setOffline(true)
    const response = await page.goto(`${server.url}/`)

    expect(response?.fromServiceWorker()).toBe(true)
    await expect
      .poll(() => page.textContent('[role="status"].shell-status'))
      .toContain('Offline')
    // The shell's HTML knows no viewer; the roster it then shows comes from
    // this browser's own storage (offline.test.ts).
    expect(await response!.text()).not.toContain(secret)
    expectNoViewerData(await cacheContents(page), secret)
    expect(prefetches).toEqual([])
    expect(errors).toEqual([])
  })

  it('never serves one viewer’s roster to another, from any cache', async () => {
    const first = await installed()
    const secret = `Fox ${randomUUID().slice(0, 8)}`
    await first.page.request.post(`${server.url}/api/avatars`, {
      data: { id: randomUUID(), emoji: '🦊', name: secret },
    })
    await first.page.reload()
    expect(await first.page.textContent('main')).toContain(secret)

    // Another guest in another browser context.
    const second = await installed()
    expect(await second.page.textContent('body')).not.toContain(secret)
    await second.context.setOffline(true)
    await second.page.goto(`${server.url}/`)
    await expect
      .poll(() => second.page.textContent('body'))
      .toContain('your roster loads from this device')
    expect(await second.page.textContent('body')).not.toContain(secret)
    expectNoViewerData(await cacheContents(second.page), secret)

    // The next guest of the same browser (the first one's cookie gone, as
    // after a sign-out): the first roster is nowhere either.
    // The shell page itself carries nothing of the first viewer. What this
    // browser kept on the device (replica, persisted cache) it may still
    // show offline: nothing clears it when a cookie goes without sign-out.
    await first.context.clearCookies()
    await first.context.setOffline(true)
    const shell = await first.page.goto(`${server.url}/`)
    await expect
      .poll(() => first.page.textContent('body'))
      .toContain('your roster loads from this device')
    expect(await shell!.text()).not.toContain(secret)
    expectNoViewerData(await cacheContents(first.page), secret)

    expect([...first.errors, ...second.errors]).toEqual([])
  })

  it('does not reload the page when the network returns', async () => {
    const { context, page, errors } = await installed()
    let loads = 0
    page.on('load', () => loads++)
    await page.evaluate(() => {
      Object.assign(window, { pwaMarker: 'still here', pwaOnline: 0 })
      window.addEventListener('online', () => {
        Object.assign(window, { pwaOnline: 1 })
      })
    })

    await context.setOffline(true)
    await page.waitForTimeout(300)
    await context.setOffline(false)
    expect(await page.evaluate(() => navigator.onLine)).toBe(true)
    await page.waitForTimeout(1500)

    const seen = await page.evaluate(() => {
      const state = window as { pwaMarker?: string; pwaOnline?: number }
      return { marker: state.pwaMarker, online: state.pwaOnline }
    })
    expect(seen).toEqual({ marker: 'still here', online: 1 })
    expect(loads).toBe(0)
    expect(errors).toEqual([])
  })

  it('serves PGlite’s wasm and data from its cache when offline, one version per file', async () => {
    const { context, page, errors } = await installed()
    const emitted = (await builtPgliteAssets()).filter(
      (url) => !url.includes('rollcall-e2e'),
    )
    const fetchAll = (urls: string[]) =>
      page.evaluate(
        (list) =>
          Promise.all(
            list.map(async (url) => {
              const response = await fetch(url)
              const { byteLength } = await response.arrayBuffer()
              return { url, status: response.status, bytes: byteLength }
            }),
          ),
        urls,
      )

    await fetchAll([olderWasm, probeData, ...emitted])
    await fetchAll([newerWasm])
    const cached = (await cacheContents(page))['rollcall-pglite'] ?? []
    const cachedPaths = cached.map((entry) => new URL(entry.url).pathname)
    expect(cachedPaths).toEqual(
      expect.arrayContaining([newerWasm, probeData, ...emitted]),
    )
    expect(cachedPaths).not.toContain(olderWasm)

    const fromWorker = new Map<string, boolean>()
    page.on('response', (response) => {
      const { pathname } = new URL(response.url())
      fromWorker.set(pathname, response.fromServiceWorker())
    })
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.clearBrowserCache')
    await context.setOffline(true)
    const offline = await fetchAll([newerWasm, probeData, ...emitted])

    for (const result of offline) {
      expect(result.status, result.url).toBe(200)
      expect(result.bytes, result.url).toBeGreaterThan(0)
      expect(fromWorker.get(result.url), result.url).toBe(true)
    }
    const bytes = cached.reduce((sum, entry) => sum + entry.bytes, 0)
    console.info(
      `[pwa] runtime cache rollcall-pglite: ${cached.length} files, ` +
        `${(bytes / 1024 / 1024).toFixed(1)} MiB (build emitted: ` +
        `${emitted.join(', ') || 'none'})`,
    )
    expect(errors).toEqual([])
  })
})

describe('installing the app', () => {
  let server: RunningServer
  let profileDir: string
  let context: BrowserContext

  beforeAll(async () => {
    profileDir = await mkdtemp(path.join(tmpdir(), 'rollcall-profile-'))
    server = await startServer()
    context = await launchProfile(profileDir)
  })
  afterAll(async () => {
    await context?.close()
    await server?.stop()
    await rm(profileDir, { recursive: true, force: true })
  })

  it('has no installability errors in Chromium', async () => {
    const page = context.pages()[0] ?? (await context.newPage())
    const errors = watchErrors(page)
    await page.goto(`${server.url}/`)
    await waitForWorker(page)

    const cdp = await context.newCDPSession(page)
    const manifest = await cdp.send('Page.getAppManifest')
    const { installabilityErrors } = await cdp.send(
      'Page.getInstallabilityErrors',
    )

    expect(manifest.errors).toEqual([])
    expect(installabilityErrors).toEqual([])
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    expect(errors).toEqual([])
  })

  it('starts from the worker in a new window once the server is gone', async () => {
    await server.stop()
    const page = await context.newPage()
    const errors = watchErrors(page)

    const shell = await page.goto(`${server.url}/`)
    expect(shell?.fromServiceWorker()).toBe(true)
    await expect
      .poll(() => page.textContent('body'))
      .toContain('your roster loads from this device')

    const offline = await page.goto(`${server.url}/settings`)
    expect(offline?.fromServiceWorker()).toBe(true)
    await expect.poll(() => page.textContent('h1')).toBe('You’re offline')
    expect(errors).toEqual([])
  })
})
