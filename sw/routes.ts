/**
 * What the service worker does with each request, as pure functions of the
 * request's URL and a few of its fields, so the rules can be tested without a
 * worker. Anything that is not listed here goes to the network untouched.
 */

/** Cache names the worker owns. The precache's name is Serwist's own. */
export const CACHE_NAMES = {
  /** PGlite's wasm and data files: megabytes, fetched once per version. */
  pglite: 'rollcall-pglite',
  /** Other build assets the precache left out (too large, rare types). */
  static: 'rollcall-static',
} as const

/**
 * Caches that hold one viewer's data start with this prefix, so sign-out can
 * delete them all. The worker creates none today (see ADR 009).
 */
export const VIEWER_CACHE_PREFIX = 'viewer-'

/** Entries kept in the generic static cache before the oldest go. */
export const STATIC_CACHE_MAX_ENTRIES = 64

/** Precached, viewer-independent pages. */
export const SHELL_PAGES = {
  /** Answers navigations the network cannot answer. */
  offline: '/offline',
  /** Boots the client app without any viewer data (the replica renders). */
  shell: '/shell',
} as const

/** Routes whose offline answer is the app shell rather than the offline page. */
const SHELL_ROUTES: readonly string[] = ['/']

export type RequestKind =
  /** A page load: network only, never cached, a precached page on failure. */
  | 'navigation'
  /**
   * A page load of a route handler (Auth.js's sign-in and OAuth callback
   * redirects): network only, never cached, no fallback. The worker answers
   * it only to hand over the navigation preload's response: left alone,
   * the browser would fetch it again, and the server would run a one-time
   * OAuth callback twice (the second run fails, its code used up).
   */
  | 'api-navigation'
  /** PGlite's wasm or data file: cache first, versioned by its hashed URL. */
  | 'pglite-asset'
  /** Another immutable build asset: cache first. */
  | 'static-asset'
  /** Not the worker's business: straight to the network. */
  | 'network'

export interface RequestFacts {
  url: URL
  /** The worker's own origin (`self.location.origin`). */
  origin: string
  method: string
  /** `Request.mode`: `'navigate'` for page loads. */
  mode: string
}

const STATIC_PREFIX = '/_next/static/'
const PGLITE_FILE = /\.(?:wasm|data)$/

/** Decides how the worker answers a request; see {@link RequestKind}. */
export function classifyRequest(request: RequestFacts): RequestKind {
  const { url, origin, method, mode } = request
  if (method !== 'GET' || url.origin !== origin) return 'network'
  // Route handlers answer per viewer (and /api/sync is a POST anyway).
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    return mode === 'navigate' ? 'api-navigation' : 'network'
  }
  if (mode === 'navigate') return 'navigation'
  if (url.pathname.startsWith(STATIC_PREFIX) && !url.search) {
    return PGLITE_FILE.test(url.pathname) ? 'pglite-asset' : 'static-asset'
  }
  return 'network'
}

/** The precached page to show when a navigation to `url` fails. */
export function offlineFallbackFor(url: URL): string {
  return SHELL_ROUTES.includes(url.pathname)
    ? SHELL_PAGES.shell
    : SHELL_PAGES.offline
}

/**
 * The name of a hashed build asset without its hash, so a new version of a
 * file can replace the old one in its cache: Turbopack's
 * `pglite.3--hhyg1hx3tq.wasm` and `pglite.1b6pjm4japji9.wasm` share the stem
 * `pglite.wasm`. Null for a name that is not `name.hash.ext`.
 */
export function assetStem(url: URL): string | null {
  const file = url.pathname.slice(url.pathname.lastIndexOf('/') + 1)
  const match = /^([^.]+)\.[\w-]{8,}(\.\w+)$/.exec(file)
  return match ? `${match[1]}${match[2]}` : null
}
