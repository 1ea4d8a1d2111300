import { describe, expect, it } from 'vitest'

import {
  assetStem,
  classifyRequest,
  offlineFallbackFor,
  SHELL_PAGES,
  type RequestKind,
} from '@/sw/routes'

const ORIGIN = 'http://localhost:3000'

function kind(
  path: string,
  { method = 'GET', mode = 'cors', origin = ORIGIN } = {},
): RequestKind {
  return classifyRequest({
    url: new URL(path, origin),
    origin: ORIGIN,
    method,
    mode,
  })
}

describe('which requests the service worker answers', () => {
  it.each([
    ['/', 'navigation'],
    ['/?tab=roster', 'navigation'],
    ['/never-visited', 'navigation'],
    ['/offline', 'navigation'],
  ] as const)('treats a page load of %s as a navigation', (path, expected) => {
    expect(kind(path, { mode: 'navigate' })).toBe(expected)
  })

  it.each([
    '/_next/static/media/pglite.3--hhyg1hx3tq.wasm',
    '/_next/static/media/pglite.1b6pjm4japji9.data',
    '/_next/static/media/initdb.06c4eb11ps9m-.wasm',
    '/_next/static/chunks/deep/path/postgres.abcdef12.wasm',
  ])('caches PGlite’s %s at runtime', (path) => {
    expect(kind(path)).toBe('pglite-asset')
  })

  it.each([
    '/_next/static/chunks/1o_-s86g6jep-.js',
    '/_next/static/media/index.42zi-1xm_gq8g.js',
    '/_next/static/media/font.2b3c4d5e.woff2',
  ])('caches the build asset %s at runtime', (path) => {
    expect(kind(path)).toBe('static-asset')
  })

  it.each([
    ['the roster’s RSC payload', '/?_rsc=1x2y3', {}],
    ['a page fetched by script', '/', {}],
    ['the viewer API', '/api/viewer', {}],
    ['the sync route', '/api/sync', { method: 'POST' }],
    ['the poke stream', '/api/sync/events', {}],
    ['a POST to a page', '/', { method: 'POST', mode: 'navigate' }],
    ['a wasm file outside the build', '/pglite/postgres.wasm', {}],
    ['a build asset with a query', '/_next/static/x.abcdefgh.wasm?v=1', {}],
    ['an image optimisation', '/_next/image?url=%2Fa.png&w=64&q=75', {}],
    ['the worker itself', '/serwist/sw.js', {}],
    [
      'another origin’s wasm',
      '/_next/static/media/pglite.3--hhyg1hx3tq.wasm',
      { origin: 'https://cdn.example' },
    ],
    [
      'a navigation to another origin',
      '/',
      { origin: 'https://example.org', mode: 'navigate' },
    ],
  ])('leaves %s to the network', (_label, path, options) => {
    expect(kind(path, options)).toBe('network')
  })
})

describe('what a failed navigation gets', () => {
  it('serves the app shell for the roster', () => {
    expect(offlineFallbackFor(new URL('/', ORIGIN))).toBe(SHELL_PAGES.shell)
    expect(offlineFallbackFor(new URL('/?x=1', ORIGIN))).toBe(SHELL_PAGES.shell)
  })

  it.each(['/never-visited', '/roster', '/offline/deeper'])(
    'serves the offline page for %s',
    (path) => {
      expect(offlineFallbackFor(new URL(path, ORIGIN))).toBe(
        SHELL_PAGES.offline,
      )
    },
  )
})

describe('asset stems', () => {
  it.each([
    ['/_next/static/media/pglite.3--hhyg1hx3tq.wasm', 'pglite.wasm'],
    ['/_next/static/media/pglite.1b6pjm4japji9.data', 'pglite.data'],
    ['/_next/static/media/initdb.06c4eb11ps9m-.wasm', 'initdb.wasm'],
  ])('reads %s as %s', (path, stem) => {
    expect(assetStem(new URL(path, ORIGIN))).toBe(stem)
  })

  it('gives two versions of one file the same stem', () => {
    const a = assetStem(new URL('/m/pglite.aaaaaaaaaa.wasm', ORIGIN))
    const b = assetStem(new URL('/m/pglite.bbbbbbbbbb.wasm', ORIGIN))
    expect(a).toBe(b)
  })

  it.each([
    '/_next/static/chunks/1o_-s86g6jep-.js',
    '/pglite.wasm',
    '/a.b.c.wasm',
    '/pglite.short.wasm',
  ])('gives %s no stem (nothing gets replaced)', (path) => {
    expect(assetStem(new URL(path, ORIGIN))).toBeNull()
  })
})

describe('accounts and the service worker', () => {
  it.each([
    ['/api/auth/session', 'GET', 'cors'],
    ['/api/auth/csrf', 'GET', 'cors'],
    ['/api/auth/providers', 'GET', 'cors'],
    ['/api/auth/callback/credentials', 'POST', 'cors'],
    ['/sign-in', 'POST', 'cors'],
    ['/sign-in?_rsc=abc', 'GET', 'cors'],
  ])('leaves %s (%s, %s) to the network, uncached', (path, method, mode) => {
    expect(kind(path, { method, mode })).toBe('network')
  })

  it.each(['/api/auth/callback/github?code=abc', '/api/avatars'])(
    'answers a page load of %s from the navigation preload, so the server sees it once',
    (path) => {
      expect(kind(path, { mode: 'navigate' })).toBe('api-navigation')
      expect(kind(path, { method: 'POST', mode: 'navigate' })).toBe('network')
    },
  )

  it('loads the sign-in and sign-up pages from the network only', () => {
    expect(kind('/sign-in', { mode: 'navigate' })).toBe('navigation')
    expect(kind('/sign-up', { mode: 'navigate' })).toBe('navigation')
    expect(offlineFallbackFor(new URL('/sign-in', ORIGIN))).toBe(
      SHELL_PAGES.offline,
    )
  })
})
