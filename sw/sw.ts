/**
 * Rollcall's service worker (built by @serwist/turbopack, served at
 * /serwist/sw.js). What it caches and why: docs/decisions/009-service-worker.md.
 *
 * - Precache (at install): the viewer-independent shell only: hashed build
 *   assets, public files, the offline page, the app shell and the manifest.
 * - Navigations: network only, never cached; on a network failure the
 *   precached app shell for `/` and the offline page for anything else.
 *   Navigations to route handlers are answered from the navigation preload
 *   too (so the server never runs them twice), with no fallback.
 *   After a sign-out made offline, page loads wait until the server has
 *   ended the session (sw/pending-sign-out.ts).
 * - PGlite's wasm and data: cache first at runtime, one version per file.
 * - Everything else (route handlers, RSC payloads, POSTs) is not touched.
 * - A new version waits until the page posts SKIP_WAITING.
 */
import {
  CacheFirst,
  NetworkOnly,
  Serwist,
  type PrecacheEntry,
  type RouteHandlerCallbackOptions,
  type SerwistPlugin,
} from 'serwist'

import {
  assetStem,
  CACHE_NAMES,
  classifyRequest,
  offlineFallbackFor,
  STATIC_CACHE_MAX_ENTRIES,
} from './routes'
import { finishPendingSignOut, signOutPending } from './pending-sign-out'

declare const self: ServiceWorkerGlobalScope & {
  __SW_MANIFEST: (PrecacheEntry | string)[] | undefined
}

const serwist = new Serwist({
  precacheEntries: self.__SW_MANIFEST,
  precacheOptions: { cleanupOutdatedCaches: true },
  // Serwist then listens for { type: 'SKIP_WAITING' }: the update prompt.
  skipWaiting: false,
  // The first worker takes the page it was installed from, so a visit that
  // goes offline right away still gets the offline page.
  clientsClaim: true,
  navigationPreload: true,
  disableDevLogs: true,
})

/** Keeps one version of each hashed file: a new `pglite.<hash>.wasm` evicts
 * the previous one once it is stored. */
const replaceOlderVersions: SerwistPlugin = {
  async cacheDidUpdate({ cacheName, request }) {
    const stem = assetStem(new URL(request.url))
    if (!stem) return
    const cache = await caches.open(cacheName)
    for (const key of await cache.keys()) {
      const url = new URL(key.url)
      if (key.url !== request.url && assetStem(url) === stem) {
        await cache.delete(key)
      }
    }
  },
}

/** Caps a cache at `max` entries, dropping the oldest stored first. */
function trimTo(max: number): SerwistPlugin {
  return {
    async cacheDidUpdate({ cacheName }) {
      const cache = await caches.open(cacheName)
      const keys = await cache.keys()
      for (const key of keys.slice(0, Math.max(0, keys.length - max))) {
        await cache.delete(key)
      }
    },
  }
}

const network = new NetworkOnly()

async function navigate(options: RouteHandlerCallbackOptions) {
  if (await signOutPending()) return navigateAfterSignOut(options)
  try {
    return await network.handle(options)
  } catch {
    return fallbackFor(options.url)
  }
}

async function fallbackFor(url: URL): Promise<Response> {
  const fallback = await serwist.matchPrecache(offlineFallbackFor(url))
  return fallback ?? Response.error()
}

/**
 * A sign-out made offline is still open: the session cookie would render
 * the account's roster for whoever opens the app next. The server ends the
 * session first; until it can, the page comes from the precache, which
 * knows no viewer. The navigation preload left with the old cookies: its
 * answer is awaited (so no cookie it sets lands after the new guest's) and
 * dropped, and the page fetched again. Page renders change nothing on the
 * server, so the second request is harmless.
 */
async function navigateAfterSignOut(
  options: RouteHandlerCallbackOptions,
  fallback: (url: URL) => Promise<Response> = fallbackFor,
) {
  const event = options.event as FetchEvent
  await event.preloadResponse?.catch(() => undefined)
  if (!(await finishPendingSignOut(self.location.origin))) {
    return fallback(options.url)
  }
  try {
    // A navigation request takes no init: the browser would refuse it.
    return await fetch(options.request)
  } catch {
    return fallback(options.url)
  }
}

/** A route handler opened as a page: the network, unless a sign-out waits. */
async function navigateToRoute(options: RouteHandlerCallbackOptions) {
  if (await signOutPending()) {
    return navigateAfterSignOut(options, async () => signOutStillPending())
  }
  return network.handle(options)
}

/** What a route handler opened as a page gets while a sign-out waits. */
function signOutStillPending(): Response {
  return Response.json(
    {
      error: {
        code: 'auth/sign-out-pending',
        message:
          'this browser signed out; Rollcall finishes once it can reach the server',
      },
    },
    { status: 503, headers: { 'Cache-Control': 'no-store' } },
  )
}

const pgliteAssets = new CacheFirst({
  cacheName: CACHE_NAMES.pglite,
  plugins: [replaceOlderVersions],
})

const staticAssets = new CacheFirst({
  cacheName: CACHE_NAMES.static,
  plugins: [trimTo(STATIC_CACHE_MAX_ENTRIES)],
})

const kindOf = (request: Request, url: URL) =>
  classifyRequest({
    url,
    origin: self.location.origin,
    method: request.method,
    mode: request.mode,
  })

serwist.registerCapture(
  ({ request, url }) => kindOf(request, url) === 'navigation',
  navigate,
)
serwist.registerCapture(
  ({ request, url }) => kindOf(request, url) === 'api-navigation',
  navigateToRoute,
)
serwist.registerCapture(
  ({ request, url }) => kindOf(request, url) === 'pglite-asset',
  pgliteAssets,
)
serwist.registerCapture(
  ({ request, url }) => kindOf(request, url) === 'static-asset',
  staticAssets,
)

// Serwist's addEventListeners() would also let any page cache any URL
// (CACHE_URLS messages); the worker takes only what it needs.
self.addEventListener('install', serwist.handleInstall)
self.addEventListener('activate', serwist.handleActivate)
self.addEventListener('fetch', (event) => {
  if (!isWorkerScript(event.request)) return serwist.handleFetch(event)
  const answer = serwist.handleRequest({ request: event.request, event })
  if (answer) event.respondWith(answer.then(withoutStoredUrl))
})

/** A script a page starts a (shared) worker from. */
function isWorkerScript(request: Request): boolean {
  return (
    request.destination === 'worker' || request.destination === 'sharedworker'
  )
}

/**
 * A stored response carries the URL it was stored under, and a worker
 * started from it takes that URL as its location, losing the `#params=`
 * fragment Turbopack's worker bootstrap reads its chunk list from (so the
 * replica's worker could not start offline). A fresh response has no URL
 * of its own: the worker keeps the URL it was asked for.
 */
function withoutStoredUrl(response: Response): Response {
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}
