// What the PWA costs and buys in a browser: return-visit paint against the
// replica's boot, local writes against server writes, and first-visit
// downloads. Runs headless Chromium against `next start` on a free loopback
// port with a fresh embedded database; needs a production build
// (`npm run build`). Figures are medians, printed with ratios against
// baselines measured in the same run (the machine is shared and noisy).
//
//   npm run bench:pwa
//
// A return visit is measured twice. Online, the service worker passes the
// navigation to the network and the server renders the roster into the
// HTML; the persisted query cache paints the roster only in the offline app
// shell (`/shell`, which the worker serves for `/` when the network fails).
//
// Definitions (times read inside the page with performance.now()):
// - roster painted: the first animation frame after the first
//   `[data-testid="avatar-item"]` entered the DOM (a MutationObserver
//   installed before the page's own scripts notes the insertion), in ms
//   after navigation start.
// - replica ready: `<html data-replica-state>` first says `ready`.
// - interactive: React has hydrated the add form (its element carries
//   React's props), checked once per animation frame.
// - bytes: encoded bytes received, headers included (CDP
//   Network.loadingFinished encodedDataLength).
// - a write: from the click's input event (its timeStamp) to the new name
//   in the roster, and to `data-sync-pending` moving.
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

import type { Browser, BrowserContext, Page, Request } from 'playwright-core'

import { launchBrowser } from '../tests/e2e/support/browser'
import { waitForWorker } from '../tests/e2e/support/pwa'
import { waitForReplica } from '../tests/e2e/support/replica'
import { GUEST_COOKIE } from '../tests/e2e/support/roster-page'
import { startServer, type RunningServer } from '../tests/e2e/support/server'

const VISITS = 5
const WRITES = 20
const SEEDED_AVATARS = 20
const TIMEOUT_MS = 90_000
/** Idle time after each write before the next one. */
const QUIET_MS = 250

/**
 * PGlite's own files: named after it (its wasm and data), or holding the
 * library (Turbopack keeps the package path in the chunks it bundles).
 * The replica's code and the service worker mention "pglite" too; they
 * are not PGlite.
 */
const isPglite = (url: string, body: string) =>
  /pglite/i.test(new URL(url).pathname) || body.includes('@electric-sql/pglite')

// ---------------------------------------------------------------- the page

/** What `recordMarks` notes in the page; times from performance.now(). */
interface Marks {
  load: number | null
  hydrated: number | null
  firstAvatar: {
    inDom: number
    painted: number | null
    /** Avatar items in the DOM at that moment. */
    count: number
    /** `data-replica-state` at that moment. */
    replicaState: string
  } | null
  /** When `data-replica-state` first took each value. */
  replica: Record<string, number>
}

interface PageMarks extends Marks {
  timeOrigin: number
}

/**
 * Installed in every page of a context before the page's scripts. Only
 * anonymous functions inside: tsx names named ones with a helper that does
 * not exist in the page.
 */
function recordMarks() {
  const marks: Marks = {
    load: null,
    hydrated: null,
    firstAvatar: null,
    replica: {},
  }
  Object.assign(window, { __benchMarks: marks })

  new MutationObserver(() => {
    const state = document.documentElement?.dataset.replicaState
    if (state && !(state in marks.replica)) {
      marks.replica[state] = performance.now()
    }
    if (marks.firstAvatar) return
    const items = document.querySelectorAll('[data-testid="avatar-item"]')
    if (items.length === 0) return
    const first = {
      inDom: performance.now(),
      painted: null as number | null,
      count: items.length,
      replicaState: state ?? 'unset',
    }
    marks.firstAvatar = first
    requestAnimationFrame(() => {
      first.painted = performance.now()
    })
  }).observe(document, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['data-replica-state'],
  })

  addEventListener('load', () => {
    marks.load = performance.now()
  })
  void (async () => {
    while (marks.hydrated === null) {
      await new Promise((resolve) => requestAnimationFrame(resolve))
      const form = document.querySelector('form')
      if (form && Object.keys(form).some((k) => k.startsWith('__reactProps'))) {
        marks.hydrated = performance.now()
      }
    }
  })()
}

/**
 * Waits until the page has hydrated, painted an avatar and settled its
 * replica, then reads the marks; throws if the replica went unavailable.
 */
async function marksOf(page: Page) {
  await page.waitForFunction(
    () => {
      const marks = (window as unknown as { __benchMarks: Marks }).__benchMarks
      const settled = 'ready' in marks.replica || 'unavailable' in marks.replica
      return (
        settled && marks.firstAvatar?.painted != null && marks.hydrated !== null
      )
    },
    null,
    { timeout: TIMEOUT_MS },
  )
  const marks = await page.evaluate(() => ({
    ...(window as unknown as { __benchMarks: Marks }).__benchMarks,
    timeOrigin: performance.timeOrigin,
  }))
  if (marks.replica.ready === undefined) {
    throw new Error('the replica went unavailable; nothing to compare with')
  }
  return marks as PageMarks & { replica: { ready: number } }
}

// ---------------------------------------------------------------- a guest

/** Mints a guest in the context and gives it `count` avatars via the API. */
async function seedGuest(
  context: BrowserContext,
  server: RunningServer,
  count: number,
): Promise<string> {
  const viewer = await context.request.get(`${server.url}/api/viewer`)
  const { spaceId } = (await viewer.json()) as { spaceId: string }
  const cookies = await context.cookies(server.url)
  if (!cookies.some((cookie) => cookie.name === GUEST_COOKIE)) {
    throw new Error('the context did not keep the guest cookie')
  }
  for (let i = 1; i <= count; i++) {
    const created = await context.request.post(`${server.url}/api/avatars`, {
      data: { id: randomUUID(), emoji: '🐝', name: `Bee ${i}` },
    })
    if (created.status() !== 201) {
      throw new Error(`seeding answered ${created.status()}`)
    }
  }
  return spaceId
}

/**
 * Waits until the persisted query cache holds `count` avatars of the space.
 * Polls from here: waitForFunction would not await an async predicate.
 */
async function waitForPersistedRoster(
  page: Page,
  spaceId: string,
  count: number,
): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS
  while ((await persistedAvatars(page, spaceId)) < count) {
    if (Date.now() > deadline) throw new Error('the roster was never saved')
    await page.waitForTimeout(100)
  }
}

/** How many avatars of the space the persisted query cache holds. */
function persistedAvatars(page: Page, spaceId: string): Promise<number> {
  return page.evaluate(async (key) => {
    const saved = await new Promise<unknown>((resolve) => {
      const opening = indexedDB.open('rollcall-cache')
      // Not there yet: creating it here would leave it without its store.
      opening.onupgradeneeded = () => opening.transaction?.abort()
      opening.onerror = () => resolve(undefined)
      opening.onsuccess = () => {
        const db = opening.result
        const read = db.transaction('queries').objectStore('queries').get(key)
        read.onsuccess = () => resolve(read.result)
        read.onerror = () => resolve(undefined)
        db.close()
      }
    })
    const queries =
      (
        saved as {
          clientState?: {
            queries: { queryKey: unknown[]; state: { data: unknown } }[]
          }
        }
      )?.clientState?.queries ?? []
    const roster = queries.find((query) => query.queryKey[0] === 'roster')
    return (roster?.state.data as unknown[] | undefined)?.length ?? 0
  }, `query-cache:${spaceId}`)
}

// ---------------------------------------------------------------- traffic

interface Download {
  url: string
  /** Encoded bytes, headers included. */
  bytes: number
  /** Wall-clock ms when the last byte arrived. */
  endedAt: number
  isScript: boolean
  byServiceWorker: boolean
}

/**
 * The page target's downloads, from CDP. It does not see what the page's
 * dedicated worker or the service worker fetch.
 */
async function watchPageTarget(page: Page) {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  const seen = new Map<string, { url: string; type: string; sw: boolean }>()
  const downloads: Download[] = []
  // CDP stamps events on a monotonic clock; requestWillBeSent pairs it with
  // the wall clock the page's timeOrigin is on.
  let wallOffset: number | null = null

  cdp.on('Network.requestWillBeSent', (event) => {
    wallOffset ??= event.wallTime * 1000 - event.timestamp * 1000
  })
  cdp.on('Network.responseReceived', (event) => {
    seen.set(event.requestId, {
      url: event.response.url,
      type: event.type,
      sw: event.response.fromServiceWorker ?? false,
    })
  })
  cdp.on('Network.loadingFinished', (event) => {
    const response = seen.get(event.requestId)
    if (!response || wallOffset === null) return
    downloads.push({
      url: response.url,
      // Served through the service worker: its own fetch did the download.
      bytes: response.sw ? 0 : event.encodedDataLength,
      endedAt: event.timestamp * 1000 + wallOffset,
      isScript: response.type === 'Script',
      byServiceWorker: false,
    })
  })
  return {
    downloads: () => [...downloads],
    stop: () => cdp.detach(),
  }
}

/**
 * Every download of the context: the page, its dedicated worker (where
 * PGlite fetches its wasm and data) and the service worker, through
 * Playwright's request.sizes(), which attaches to all three (on the page
 * target its figures equal CDP's encodedDataLength).
 */
function watchAllTargets(context: BrowserContext) {
  const pending: Promise<Download | null>[] = []
  const onFinished = (request: Request) => {
    const finishedAt = Date.now()
    pending.push(
      (async () => {
        const response = await request.response()
        // Counted where the service worker fetched it, if it did.
        if (!response || response.fromServiceWorker()) return null
        const sizes = await request.sizes()
        const timing = request.timing()
        return {
          url: request.url(),
          bytes: sizes.responseBodySize + sizes.responseHeadersSize,
          endedAt:
            timing.responseEnd >= 0
              ? timing.startTime + timing.responseEnd
              : finishedAt,
          isScript: /\.js$/.test(new URL(request.url()).pathname),
          byServiceWorker: request.serviceWorker() !== null,
        }
      })(),
    )
  }
  context.on('requestfinished', onFinished)
  return {
    async downloads(): Promise<Download[]> {
      const all = await Promise.all(pending)
      return all.filter((download) => download !== null)
    },
    stop: () => context.off('requestfinished', onFinished),
  }
}

const sum = (downloads: Download[]) =>
  downloads.reduce((total, download) => total + download.bytes, 0)

// ---------------------------------------------------------------- visits

interface FirstVisit {
  interactiveMs: number
  loadMs: number
  readyMs: number
  bytesBeforeInteractive: number
  bytesUntilReady: number
  pageTargetUntilReady: number
  pgliteAssetsUntilReady: number
  serviceWorkerUntilReady: number
  /** Scripts the page target finished before hydration. */
  firstLoadScripts: string[]
  /** Scripts the page and its worker fetched before the replica was ready. */
  scriptsUntilReady: string[]
}

interface ReturnVisit {
  paintedMs: number
  readyMs: number
  avatarsAtPaint: number
  replicaStateAtPaint: string
  /** The HTML response itself held avatar items (a server render). */
  rosterInHtml: boolean
  /** The page is the app shell (`/shell`, from the service worker). */
  appShell: boolean
}

interface VisitRound {
  first: FirstVisit
  online: ReturnVisit
  offline: ReturnVisit
}

/**
 * One guest: a first visit (seeded roster, replica ready, cache persisted,
 * service worker active), then `/` again online, then `/` again offline.
 */
async function visitRound(
  browser: Browser,
  server: RunningServer,
): Promise<VisitRound> {
  const context = await browser.newContext()
  try {
    await context.addInitScript(recordMarks)
    const spaceId = await seedGuest(context, server, SEEDED_AVATARS)
    const page = await context.newPage()

    const first = await firstVisit(page, server)
    await waitForWorker(page)
    await waitForPersistedRoster(page, spaceId, SEEDED_AVATARS)

    const online = await returnVisit(page, server)
    await context.setOffline(true)
    const offline = await returnVisit(page, server)
    await context.setOffline(false)
    return { first, online, offline }
  } finally {
    await context.close()
  }
}

async function firstVisit(
  page: Page,
  server: RunningServer,
): Promise<FirstVisit> {
  const pageTarget = await watchPageTarget(page)
  const allTargets = watchAllTargets(page.context())
  await page.goto(`${server.url}/`)
  const marks = await marksOf(page)
  await pageTarget.stop()
  allTargets.stop()

  const interactiveAt = marks.timeOrigin + marks.hydrated!
  const readyAt = marks.timeOrigin + marks.replica.ready
  const beforeInteractive = pageTarget
    .downloads()
    .filter((download) => download.endedAt <= interactiveAt)
  const untilReady = (await allTargets.downloads()).filter(
    (download) => download.endedAt <= readyAt,
  )
  const pageUntilReady = pageTarget
    .downloads()
    .filter((download) => download.endedAt <= readyAt)

  return {
    interactiveMs: marks.hydrated!,
    loadMs: marks.load ?? NaN,
    readyMs: marks.replica.ready,
    bytesBeforeInteractive: sum(beforeInteractive),
    bytesUntilReady: sum(untilReady),
    pageTargetUntilReady: sum(pageUntilReady),
    pgliteAssetsUntilReady: sum(
      untilReady.filter((d) =>
        /\.(?:wasm|data)$/.test(new URL(d.url).pathname),
      ),
    ),
    serviceWorkerUntilReady: sum(untilReady.filter((d) => d.byServiceWorker)),
    firstLoadScripts: beforeInteractive
      .filter((download) => download.isScript)
      .map((download) => download.url),
    scriptsUntilReady: untilReady
      .filter((download) => download.isScript && !download.byServiceWorker)
      .map((download) => download.url),
  }
}

async function returnVisit(
  page: Page,
  server: RunningServer,
): Promise<ReturnVisit> {
  const response = await page.goto(`${server.url}/`)
  const html = (await response?.text()) ?? ''
  const marks = await marksOf(page)
  const avatar = marks.firstAvatar!
  return {
    paintedMs: avatar.painted!,
    readyMs: marks.replica.ready,
    avatarsAtPaint: avatar.count,
    replicaStateAtPaint: avatar.replicaState,
    rosterInHtml: html.includes('data-testid="avatar-item"'),
    appShell: (await page.locator('.shell-status').count()) > 0,
  }
}

// ---------------------------------------------------------------- writes

/**
 * A page of a fresh seeded guest whose replica is ready, or, with
 * `withoutReplica`, unavailable: PGlite's wasm cannot load, so every write
 * goes to /api/sync. Blocking the service worker there keeps the wasm
 * requests where the route can refuse them.
 */
async function writerPage(
  browser: Browser,
  server: RunningServer,
  { withoutReplica }: { withoutReplica: boolean },
) {
  const context = await browser.newContext(
    withoutReplica ? { serviceWorkers: 'block' } : {},
  )
  if (withoutReplica) {
    await context.route('**/*.wasm', (route) => route.abort())
  }
  await seedGuest(context, server, SEEDED_AVATARS)
  const page = await context.newPage()
  await page.goto(`${server.url}/`)
  await waitForReplica(
    page,
    withoutReplica ? 'unavailable' : 'ready',
    TIMEOUT_MS,
  )
  return { context, page }
}

/** One write as the page saw it; times from performance.now(). */
interface WriteMarks {
  /** The click's timeStamp: when the input event was made. */
  clickedAt: number | null
  /** A MutationObserver first saw the new name in the roster. */
  shownAt: number | null
  /** `data-sync-pending` at that moment. */
  pendingAtShow: string | null
  /** `data-sync-pending` first left 0 after the click. */
  pendingAt: number | null
  /** ...and first came back to 0. */
  settledAt: number | null
}

interface TimedWrite {
  shownMs: number
  pendingAtShow: string
  /** Null when the page never showed the write as pending. */
  pendingMs: number | null
  settledMs: number | null
}

/**
 * Adds an avatar through the form and times it inside the page. Then waits
 * until the server has it, nothing is pending and the page is quiet, so
 * writes do not overlap.
 */
async function timeWrite(
  page: Page,
  server: RunningServer,
  name: string,
): Promise<TimedWrite> {
  await page.evaluate((wanted) => {
    const marks: WriteMarks = {
      clickedAt: null,
      shownAt: null,
      pendingAtShow: null,
      pendingAt: null,
      settledAt: null,
    }
    Object.assign(window, { __benchWrite: marks })
    addEventListener(
      'click',
      (event) => {
        marks.clickedAt = event.timeStamp
      },
      { capture: true, once: true },
    )
    const root = document.documentElement
    const observer = new MutationObserver(() => {
      if (marks.clickedAt === null) return
      const now = performance.now()
      const pending = root.dataset.syncPending ?? ''
      if (pending !== '0' && marks.pendingAt === null) marks.pendingAt = now
      if (pending === '0' && marks.pendingAt !== null) marks.settledAt ??= now
      if (marks.shownAt === null) {
        const names = document.querySelectorAll(
          '[data-testid="avatar-item"] .avatar-name',
        )
        if ([...names].some((node) => node.getAttribute('title') === wanted)) {
          marks.shownAt = now
          marks.pendingAtShow = pending
        }
      }
      if (marks.shownAt !== null && marks.settledAt !== null) {
        observer.disconnect()
      }
    })
    observer.observe(root, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
    })
  }, name)

  await page.getByLabel('Name', { exact: true }).fill(name)
  await page.getByRole('button', { name: 'Add avatar' }).click()
  await waitUntilSettled(page, server, name)
  await page.waitForTimeout(QUIET_MS)

  const marks = await page.evaluate(
    () => (window as unknown as { __benchWrite: WriteMarks }).__benchWrite,
  )
  const { clickedAt, shownAt, pendingAt, settledAt } = marks
  if (clickedAt === null || shownAt === null) {
    throw new Error(`${name}: the page never showed the write`)
  }
  return {
    shownMs: shownAt - clickedAt,
    pendingAtShow: marks.pendingAtShow ?? '',
    pendingMs: pendingAt === null ? null : pendingAt - clickedAt,
    settledMs: settledAt === null ? null : settledAt - clickedAt,
  }
}

async function waitUntilSettled(
  page: Page,
  server: RunningServer,
  name: string,
): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS
  for (;;) {
    const answer = await page.context().request.get(`${server.url}/api/avatars`)
    const { avatars } = (await answer.json()) as { avatars: { name: string }[] }
    const pending = await page.evaluate(
      () => document.documentElement.dataset.syncPending,
    )
    if (avatars.some((avatar) => avatar.name === name) && pending === '0') {
      return
    }
    if (Date.now() > deadline) throw new Error(`${name} never settled`)
    await page.waitForTimeout(50)
  }
}

async function writes(browser: Browser, server: RunningServer) {
  const local = await writerPage(browser, server, { withoutReplica: false })
  const remote = await writerPage(browser, server, { withoutReplica: true })
  try {
    // One write each to warm up, then alternate so noise hits both alike.
    await timeWrite(local.page, server, 'Warm-up local')
    await timeWrite(remote.page, server, 'Warm-up remote')
    const replica: TimedWrite[] = []
    const direct: TimedWrite[] = []
    for (let i = 1; i <= WRITES; i++) {
      replica.push(await timeWrite(local.page, server, `Local ${i}`))
      direct.push(await timeWrite(remote.page, server, `Remote ${i}`))
    }
    return { replica, direct }
  } finally {
    await local.context.close()
    await remote.context.close()
  }
}

// ---------------------------------------------------------------- scripts

interface ScriptFile {
  url: string
  raw: number
  gzip: number
  isPglite: boolean
}

/** Fetches each script from the server and gzips it (zlib's default level). */
async function scriptFiles(urls: string[]): Promise<ScriptFile[]> {
  return Promise.all(
    [...new Set(urls)].map(async (url) => {
      const body = Buffer.from(await (await fetch(url)).arrayBuffer())
      return {
        url,
        raw: body.length,
        gzip: gzipSync(body).length,
        isPglite: isPglite(url, body.toString('utf8')),
      }
    }),
  )
}

// ---------------------------------------------------------------- printing

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const ms = (value: number) => `${value.toFixed(0)} ms`
const kib = (bytes: number) =>
  bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(2)} MiB`
    : `${(bytes / 1024).toFixed(1)} KiB`
const runs = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ')
const count = <T>(items: T[], test: (item: T) => boolean) =>
  `${items.filter(test).length}/${items.length}`

function printReturnVisits(title: string, visits: ReturnVisit[]) {
  const painted = median(visits.map((visit) => visit.paintedMs))
  const ready = median(visits.map((visit) => visit.readyMs))
  const states = [...new Set(visits.map((v) => v.replicaStateAtPaint))]
  console.log(
    `${title}\n` +
      `  roster painted   ${ms(painted).padStart(8)}  (runs: ${runs(visits.map((v) => v.paintedMs))} ms)\n` +
      `  replica ready    ${ms(ready).padStart(8)}  (runs: ${runs(visits.map((v) => v.readyMs))} ms)\n` +
      `  ratio painted/ready: ${(painted / ready).toFixed(3)}\n` +
      `  where the roster came from: avatars in the HTML response ${count(visits, (v) => v.rosterInHtml)}, ` +
      `app shell ${count(visits, (v) => v.appShell)}, ` +
      `data-replica-state at paint: ${states.join('/')}, ` +
      `avatars at paint: ${median(visits.map((v) => v.avatarsAtPaint))}`,
  )
}

function printFirstVisits(visits: FirstVisit[]) {
  const of = (value: (visit: FirstVisit) => number) => median(visits.map(value))
  const before = of((v) => v.bytesBeforeInteractive)
  const total = of((v) => v.bytesUntilReady)
  const row = (label: string, bytes: number, note = '') =>
    `    ${label.padEnd(34)} ${kib(bytes).padStart(10)}${note}\n`
  console.log(
    `first visit, bytes received (encoded, headers included; median of ${visits.length}):\n` +
      `  before interactive: React hydrated at ${ms(of((v) => v.interactiveMs))} ` +
      `(load event at ${ms(of((v) => v.loadMs))})\n` +
      row('page target (CDP)', before) +
      `  until the replica is ready, at ${ms(of((v) => v.readyMs))}\n` +
      row('page, its worker, service worker', total) +
      row(
        '  of which PGlite wasm + data',
        of((v) => v.pgliteAssetsUntilReady),
      ) +
      row(
        '  of which service worker',
        of((v) => v.serviceWorkerUntilReady),
      ) +
      row(
        'page target alone (CDP)',
        of((v) => v.pageTargetUntilReady),
        '  (blind to the worker)',
      ) +
      `  ratio before-interactive/until-ready: ${(before / total).toFixed(4)}`,
  )
}

async function printScripts(visit: FirstVisit) {
  const firstLoad = await scriptFiles(visit.firstLoadScripts)
  const counted = firstLoad.filter((file) => !file.isPglite)
  const excluded = firstLoad.filter((file) => file.isPglite)
  const seen = new Set(visit.firstLoadScripts)
  const later = await scriptFiles(
    visit.scriptsUntilReady.filter((url) => !seen.has(url)),
  )
  const pglite = later.filter((file) => file.isPglite)
  const gzip = (files: ScriptFile[]) => files.reduce((t, f) => t + f.gzip, 0)
  const raw = (files: ScriptFile[]) => files.reduce((t, f) => t + f.raw, 0)
  const names = (files: ScriptFile[]) =>
    files.map((file) => new URL(file.url).pathname.split('/').pop()).join(', ')
  console.log(
    `first-load JavaScript (scripts the page finished before hydration, first visit of round 1; gzip: node:zlib, default level):\n` +
      `  excluding PGlite    ${String(counted.length).padStart(2)} files ${kib(gzip(counted)).padStart(10)} gzip ` +
      `(${kib(raw(counted))} raw)\n` +
      `  PGlite's, excluded  ${String(excluded.length).padStart(2)} files${excluded.length ? ` (${names(excluded)})` : ''}\n` +
      `  baseline: PGlite's scripts, fetched after hydration by the page and its worker\n` +
      `                      ${String(pglite.length).padStart(2)} files ${kib(gzip(pglite)).padStart(10)} gzip ` +
      `(${kib(raw(pglite))} raw: ${names(pglite)})\n` +
      `  ratio first-load/PGlite's scripts (gzip): ${(gzip(counted) / gzip(pglite)).toFixed(2)}`,
  )
}

function printWrites({
  replica,
  direct,
}: {
  replica: TimedWrite[]
  direct: TimedWrite[]
}) {
  type Field = 'shownMs' | 'pendingMs' | 'settledMs'
  const values = (writes: TimedWrite[], field: Field) =>
    writes.flatMap((write) => write[field] ?? [])
  const row = (label: string, writes: TimedWrite[], field: Field) => {
    const seen = values(writes, field)
    const figure = seen.length ? median(seen).toFixed(1) : 'n/a'
    return (
      `    ${label.padEnd(24)} ${figure.padStart(7)} ms  ` +
      `(n=${seen.length}; runs: ${runs(seen)} ms)\n`
    )
  }
  const ratio = (field: Field) =>
    `    ratio replica/no-replica: ${(
      median(values(replica, field)) / median(values(direct, field))
    ).toFixed(3)}\n`
  const pendingAtShow = (writes: TimedWrite[]) =>
    [...new Set(writes.map((write) => write.pendingAtShow))].join('/')

  console.log(
    `a write: adding an avatar through the form (median of ${WRITES}; ms from the click's input event, its timeStamp)\n` +
      `  shown in the roster (a MutationObserver sees the new name)\n` +
      row('replica ready', replica, 'shownMs') +
      row('no replica (/api/sync)', direct, 'shownMs') +
      ratio('shownMs') +
      `    data-sync-pending when shown: replica ${pendingAtShow(replica)}, ` +
      `no replica ${pendingAtShow(direct)}\n` +
      `  counted in the replica's outbox (data-sync-pending above 0)\n` +
      row('replica ready', replica, 'pendingMs') +
      `  acknowledged by the server (data-sync-pending back to 0)\n` +
      row('replica ready', replica, 'settledMs') +
      row('no replica (/api/sync)', direct, 'settledMs') +
      ratio('settledMs').trimEnd(),
  )
}

// ---------------------------------------------------------------- main

if (!existsSync('.next/BUILD_ID')) {
  console.error(
    'bench:pwa needs a production build and .next/BUILD_ID is missing.\n' +
      'Run `npm run build` first.',
  )
  process.exit(1)
}

const server = await startServer()
const browser = await launchBrowser()
try {
  const buildId = readFileSync('.next/BUILD_ID', 'utf8').trim()
  console.log(
    `rollcall pwa bench — ${new Date().toISOString()}, node ${process.version}, ` +
      `chromium ${browser.version()}, build ${buildId}`,
  )
  const rounds: VisitRound[] = []
  for (let i = 0; i < VISITS; i++)
    rounds.push(await visitRound(browser, server))

  console.log(
    `\nreturn visit to / with ${SEEDED_AVATARS} avatars (median of ${VISITS}; ms after navigation start)`,
  )
  printReturnVisits(
    'online (what a return visit is while the server answers):',
    rounds.map((round) => round.online),
  )
  printReturnVisits(
    'offline (the service worker answers / with the app shell):',
    rounds.map((round) => round.offline),
  )
  console.log()
  printFirstVisits(rounds.map((round) => round.first))
  console.log()
  await printScripts(rounds[0]!.first)
  console.log()
  printWrites(await writes(browser, server))
} finally {
  await browser.close()
  await server.stop()
}
