import { randomUUID } from 'node:crypto'

import type {
  Browser,
  BrowserContext,
  BrowserContextOptions,
  Page,
  Route,
} from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { SyncEngine, type RefusedMutation } from '@/sync/client/engine'
import { createHttpTransport } from '@/sync/client/http-transport'
import { createMemoryStorage } from '@/sync/client/memory-storage'
import type { Avatar } from '@/sync/mutations'
import {
  parseCursor,
  PROTOCOL_VERSION,
  SCHEMA_VERSION,
  type SyncRequest,
} from '@/sync/protocol'

import { launchBrowser, watchErrors } from './support/browser'
import {
  addAvatar,
  debugPage,
  eventuallyOnServer,
  serverAvatars,
  unexpected,
  waitForAvatar,
  waitForPending,
  waitForReplica,
} from './support/replica'
import {
  GUEST_COOKIE,
  guestToken,
  type ShownAvatar,
  shownRoster,
} from './support/roster-page'
import { type RunningServer, startServer } from './support/server'

const SLOW = 180_000
/** Errors a test causes on purpose: a network cut, a dropped answer. */
const NETWORK_ERRORS = [
  /Failed to load resource.*api\/sync/,
  /ERR_INTERNET_DISCONNECTED/,
]

let server: RunningServer
let browser: Browser
const contexts: BrowserContext[] = []
const errors: string[][] = []
let pages = 0

beforeAll(async () => {
  server = await startServer()
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()))
  errors.splice(0)
})

async function newContext(
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext(options)
  contexts.push(context)
  return context
}

/** Loads the roster in a new page of `context`. */
async function visit(context: BrowserContext, path = '/'): Promise<Page> {
  const page = await context.newPage()
  errors.push(watchErrors(page))
  debugPage(page, `page ${++pages}`)
  await page.goto(`${server.url}${path}`)
  return page
}

/** Opens the roster in `context`; resolves once the replica is ready. */
async function openRoster(context: BrowserContext, path = '/'): Promise<Page> {
  const page = await visit(context, path)
  await waitForReplica(page, 'ready')
  return page
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

function statusArea(page: Page) {
  return page.getByTestId('sync-status')
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
  await waitForAvatar(page, to)
}

async function pickEmoji(page: Page, name: string, emoji: string) {
  await page
    .getByRole('button', { name: `Change emoji for ${name}`, exact: true })
    .click()
  await page
    .getByRole('button', { name: `Use ${emoji} for ${name}`, exact: true })
    .click()
}

function activeBox(page: Page, name: string) {
  return page.getByLabel(`${name} is active`, { exact: true })
}

async function deleteAvatar(page: Page, name: string) {
  await page
    .getByRole('button', { name: `Delete ${name}`, exact: true })
    .click()
  await page
    .getByRole('button', { name: `Delete ${name}`, exact: true })
    .waitFor({ state: 'detached' })
}

/** What a person sees of an avatar, in roster order. */
function view(avatars: readonly (Avatar | ShownAvatar)[]): ShownAvatar[] {
  return avatars.map(({ id, emoji, name, isActive }) => ({
    id,
    emoji,
    name,
    isActive,
  }))
}

/** The page's roster converges on `expected` (order included). */
async function showsRoster(page: Page, expected: readonly Avatar[]) {
  await expect
    .poll(async () => view(await shownRoster(page)), { timeout: 30_000 })
    .toEqual(view(expected))
}

/** A fetch that carries the guest's cookie, as a script outside would. */
function fetchAs(token: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set('cookie', `${GUEST_COOKIE}=${token}`)
    return fetch(input, { ...init, headers })
  }
}

/**
 * A headless client of the sync protocol: the app's own engine on memory
 * storage with its own client id, holding the page's guest cookie.
 */
async function headlessClient(page: Page): Promise<SyncEngine> {
  const withCookie = fetchAs(await guestToken(page, server.url))
  const viewer = (await (
    await withCookie(`${server.url}/api/viewer`)
  ).json()) as { spaceId: string }
  return SyncEngine.open({
    storage: createMemoryStorage(),
    transport: createHttpTransport({
      url: `${server.url}/api/sync`,
      fetch: withCookie,
    }),
    spaceId: viewer.spaceId,
  })
}

/** Runs rounds until the client's queue is delivered; its refusals. */
async function deliver(engine: SyncEngine): Promise<RefusedMutation[]> {
  const rounds = await engine.flush()
  expect(await engine.pendingMutations()).toEqual([])
  return rounds.flatMap((round) => round.refused)
}

function byName(avatars: readonly Avatar[], name: string): Avatar {
  const found = avatars.filter((avatar) => avatar.name === name)
  expect(found, `avatars named ${name}`).toHaveLength(1)
  return found[0]!
}

/** Name, emoji and active flag of each avatar, sorted by name. */
function summary(avatars: readonly Avatar[]) {
  return avatars
    .map(({ name, emoji, isActive }) => ({ name, emoji, isActive }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

describe('conflicting offline edits', () => {
  it(
    'A headless client of the sync protocol holding the same guest cookie and the browser edit the same avatar while both offline: after both sync, both show the policy’s result',
    async () => {
      const context = await newContext()
      const page = await openRoster(context, '/?inspect=1')
      await waitForSync(page, 'synced')
      for (const name of ['Ann', 'Bob', 'Cat', 'Dan']) {
        await addAvatar(page, name)
        await waitForAvatar(page, name)
      }
      await waitForPending(page, 0)
      const seeded = await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual([
          'Ann',
          'Bob',
          'Cat',
          'Dan',
        ]),
      )
      const [ann, bob, cat, dan] = seeded.map((avatar) => avatar.id) as [
        string,
        string,
        string,
        string,
      ]

      const headless = await headlessClient(page)
      await headless.sync()
      expect(view(await headless.listAvatars())).toEqual(view(seeded))
      const pageClientId = await page
        .getByTestId('inspector-client-id')
        .textContent()
      expect(headless.clientId).not.toBe(pageClientId)

      // Round 1: both offline (the browser paused from the inspector); the
      // headless client's edits reach the server first, the browser's after.
      await pauseSwitch(page).check()
      await waitForSync(page, 'paused')
      const eve = randomUUID()
      await headless.mutate('renameAvatar', { id: ann, name: 'Anna' })
      await headless.mutate('setActive', { id: bob, isActive: true })
      await headless.mutate('setEmoji', { id: bob, emoji: '🦊' })
      await headless.mutate('deleteAvatar', { id: cat })
      await headless.mutate('createAvatar', {
        id: eve,
        name: 'Eve',
        emoji: '🦉',
      })
      await rename(page, 'Ann', 'Annie')
      await rename(page, 'Bob', 'Bobby')
      await rename(page, 'Cat', 'Cathy')
      await addAvatar(page, 'Fay')
      await waitForAvatar(page, 'Fay')
      await waitForPending(page, 4)
      expect(view(await serverAvatars(context, server))).toEqual(view(seeded))

      expect(await deliver(headless)).toEqual([])
      await pauseSwitch(page).uncheck()
      await waitForSync(page, 'synced')
      await waitForPending(page, 0)
      await headless.sync()

      // The later arrival wins per field, edits to other fields survive,
      // and the delete wins over the rename.
      const afterFirst = await eventuallyOnServer(context, server, (rows) =>
        expect(summary(rows)).toEqual([
          { name: 'Annie', emoji: '😀', isActive: false },
          { name: 'Bobby', emoji: '🦊', isActive: true },
          { name: 'Dan', emoji: '😀', isActive: false },
          { name: 'Eve', emoji: '🦉', isActive: false },
          { name: 'Fay', emoji: '😀', isActive: false },
        ]),
      )
      expect(byName(afterFirst, 'Annie').id).toBe(ann)
      expect(byName(afterFirst, 'Bobby').id).toBe(bob)
      expect(byName(afterFirst, 'Eve').id).toBe(eve)
      expect(afterFirst.some((avatar) => avatar.id === cat)).toBe(false)
      expect(view(await headless.listAvatars())).toEqual(view(afterFirst))
      await showsRoster(page, afterFirst)
      await expect
        .poll(() => statusArea(page).textContent())
        .toContain("Your rename of 'Cat' was refused: avatar has been deleted")
      await expect(
        page.getByTestId('inspector-refusals').textContent(),
      ).resolves.toContain('renameAvatar: avatar/deleted')
      await page.getByRole('button', { name: 'Dismiss' }).click()

      // Round 2: both offline again (the browser's network cut); this time
      // the browser's edits arrive first and the headless client's after.
      await context.setOffline(true)
      await waitForSync(page, 'offline')
      await headless.mutate('renameAvatar', { id: ann, name: 'Hanna' })
      await headless.mutate('setEmoji', { id: bob, emoji: '🚀' })
      await headless.mutate('renameAvatar', { id: dan, name: 'Danny' })
      await headless.mutate('setActive', { id: dan, isActive: true })
      await rename(page, 'Annie', 'Annabel')
      await activeBox(page, 'Bobby').uncheck()
      await pickEmoji(page, 'Bobby', '🐼')
      await deleteAvatar(page, 'Dan')
      await waitForPending(page, 4)
      expect(view(await serverAvatars(context, server))).toEqual(
        view(afterFirst),
      )

      await context.setOffline(false)
      await waitForPending(page, 0)
      await eventuallyOnServer(context, server, (rows) =>
        expect(summary(rows).map((avatar) => avatar.name)).toEqual([
          'Annabel',
          'Bobby',
          'Eve',
          'Fay',
        ]),
      )
      const refused = await deliver(headless)
      expect(
        refused.map(({ name, code, args }) => ({ name, code, args })),
      ).toEqual([
        {
          name: 'renameAvatar',
          code: 'avatar/deleted',
          args: { id: dan, name: 'Danny' },
        },
        {
          name: 'setActive',
          code: 'avatar/deleted',
          args: { id: dan, isActive: true },
        },
      ])

      const afterSecond = await serverAvatars(context, server)
      expect(summary(afterSecond)).toEqual([
        { name: 'Bobby', emoji: '🚀', isActive: false },
        { name: 'Eve', emoji: '🦉', isActive: false },
        { name: 'Fay', emoji: '😀', isActive: false },
        { name: 'Hanna', emoji: '😀', isActive: false },
      ])
      expect(byName(afterSecond, 'Hanna').id).toBe(ann)
      expect(view(await headless.listAvatars())).toEqual(view(afterSecond))
      // The browser hears of the headless client's push (a poke) and pulls.
      await showsRoster(page, afterSecond)
      await waitForSync(page, 'synced')
      await waitForPending(page, 0)
      expect(unexpected(errors.flat(), NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )
})

/** A phone: small touch screen. */
const MOBILE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
}

/** A slow mobile link: 150 ms latency, ~1.6 Mbps down, 750 kbps up. */
const LINK = {
  latencyMs: 150,
  downBytesPerSecond: (1.6 * 1_000_000) / 8,
  upBytesPerSecond: (750 * 1_000) / 8,
}

/** Puts the page on the slow link (Chromium's network emulation). */
async function throttle(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: LINK.latencyMs,
    downloadThroughput: LINK.downBytesPerSecond,
    uploadThroughput: LINK.upBytesPerSecond,
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** One sync request as the lossy link saw it. */
interface Exchange {
  device: string
  clientId: string
  /** Mutation ids the request carried. */
  sent: number[]
  status: number
  /** The server's acknowledgement, when it answered 200. */
  lastMutationId: number | null
  refused: number
  /** The answer was lost on its way back to the page. */
  dropped: boolean
}

/**
 * A lossy link for one context: every sync request reaches the server and is
 * handled, but every third answer to a push, and every third answer to a
 * pull, is lost on the way back. The page sees a network error for a change
 * the server has applied. Chromium's network emulation does not reach the
 * requests a route answers, so the route puts them on the slow link itself.
 */
async function loseEveryThirdAnswer(
  context: BrowserContext,
  device: string,
  log: Exchange[],
): Promise<void> {
  const answered = { push: 0, pull: 0 }
  await context.route('**/api/sync', async (route: Route) => {
    const request = route.request()
    const body = request.postDataJSON() as SyncRequest
    const sentBytes = request.postDataBuffer()?.length ?? 0
    let response
    try {
      await sleep(
        LINK.latencyMs / 2 + (sentBytes / LINK.upBytesPerSecond) * 1000,
      )
      response = await route.fetch()
      const answerBytes = (await response.body()).length
      await sleep(
        LINK.latencyMs / 2 + (answerBytes / LINK.downBytesPerSecond) * 1000,
      )
    } catch {
      // The context is closing.
      await route.abort('failed').catch(() => {})
      return
    }
    const kind = body.mutations.length > 0 ? 'push' : 'pull'
    answered[kind] += 1
    const dropped = answered[kind] % 3 === 0
    const answer = response.ok()
      ? ((await response.json()) as {
          lastMutationId: number
          refused: unknown[]
        })
      : null
    log.push({
      device,
      clientId: body.clientId,
      sent: body.mutations.map((mutation) => mutation.id),
      status: response.status(),
      lastMutationId: answer?.lastMutationId ?? null,
      refused: answer?.refused.length ?? 0,
      dropped,
    })
    if (dropped) await route.abort('failed')
    else await route.fulfill({ response })
  })
}

/**
 * The server's own record, read with a pull that writes nothing: how far
 * it got in each client's mutations, and the space's version.
 */
async function serverRecord(
  token: string,
  clientIds: readonly string[],
): Promise<{ lastMutationIds: Map<string, number>; version: number }> {
  const transport = createHttpTransport({
    url: `${server.url}/api/sync`,
    fetch: fetchAs(token),
  })
  const pull = (clientId: string) =>
    transport({
      protocol: PROTOCOL_VERSION,
      schemaVersion: SCHEMA_VERSION,
      clientId,
      cursor: null,
      mutations: [],
    })
  const lastMutationIds = new Map<string, number>()
  for (const clientId of clientIds) {
    lastMutationIds.set(clientId, (await pull(clientId)).lastMutationId)
  }
  const { cursor } = await pull(randomUUID())
  return { lastMutationIds, version: parseCursor(cursor)!.version }
}

describe('a lossy mobile network', () => {
  it(
    'A lossy network (a route that drops a third of /api/sync responses after the server handled them, and a throttled mobile profile): every change arrives exactly once and the replicas converge',
    async () => {
      const log: Exchange[] = []
      const phone = await newContext(MOBILE)
      await loseEveryThirdAnswer(phone, 'phone', log)
      const a = await visit(phone)
      // A second device of the same guest: its own browser, its own replica.
      const tablet = await newContext(MOBILE)
      await tablet.addCookies(await phone.cookies(server.url))
      await loseEveryThirdAnswer(tablet, 'tablet', log)
      const b = await visit(tablet)
      await Promise.all([
        waitForReplica(a, 'ready'),
        waitForReplica(b, 'ready'),
      ])
      // The slow link from here on: PGlite's 15 MB came over a fast one.
      await throttle(a)
      await throttle(b)
      const both = [a, b]
      const settle = async () => {
        for (const page of both) await waitForPending(page, 0, 90_000)
      }

      // Both devices add avatars, turn about.
      const made = { a: ['A1', 'A2', 'A3', 'A4'], b: ['B1', 'B2', 'B3', 'B4'] }
      for (let i = 0; i < 4; i++) {
        await addAvatar(a, made.a[i]!)
        await addAvatar(b, made.b[i]!)
        await waitForAvatar(a, made.a[i]!)
        await waitForAvatar(b, made.b[i]!)
      }
      for (const page of both) {
        for (const name of [...made.a, ...made.b]) {
          await waitForAvatar(page, name, 90_000)
        }
      }
      await settle()
      // Each create once, however many times its push was sent.
      const created = await eventuallyOnServer(phone, server, (rows) =>
        expect(rows.map((avatar) => avatar.name).sort()).toEqual([
          ...made.a,
          ...made.b,
        ]),
      )

      // Each edits the other's avatars, and its own.
      await rename(a, 'B1', 'B1 by A')
      await activeBox(b, 'A1').check()
      await deleteAvatar(a, 'B2')
      await deleteAvatar(b, 'A2')
      await activeBox(a, 'B3').check()
      await pickEmoji(a, 'B3', '🐸')
      await rename(b, 'A3', 'A3 by B')
      await settle()

      // The same field twice, one device after the other.
      await rename(a, 'A4', 'A4 first')
      await waitForAvatar(b, 'A4 first', 90_000)
      await rename(b, 'A4 first', 'A4 second')
      await activeBox(a, 'B4').check()
      await expect
        .poll(() => activeBox(b, 'B4').isChecked(), { timeout: 90_000 })
        .toBe(true)
      await activeBox(b, 'B4').uncheck()
      await settle()

      const expected = [
        { name: 'A1', emoji: '😀', isActive: true },
        { name: 'A3 by B', emoji: '😀', isActive: false },
        { name: 'A4 second', emoji: '😀', isActive: false },
        { name: 'B1 by A', emoji: '😀', isActive: false },
        { name: 'B3', emoji: '🐸', isActive: true },
        { name: 'B4', emoji: '😀', isActive: false },
      ]
      const final = await eventuallyOnServer(phone, server, (rows) =>
        expect(summary(rows)).toEqual(expected),
      )
      const createdIds = new Set(created.map((avatar) => avatar.id))
      expect(final.every((avatar) => createdIds.has(avatar.id))).toBe(true)
      for (const page of both) {
        await showsRoster(page, final)
        await waitForPending(page, 0)
        await waitForSync(page, 'synced')
        expect(
          await page.locator('.field-error, .notice').allTextContents(),
        ).toEqual([])
      }

      // Exactly once, by the server's own record.
      const edits = { phone: 10, tablet: 9 }
      const clients = new Map<string, string>()
      for (const exchange of log) {
        clients.set(exchange.device, exchange.clientId)
      }
      expect([...clients.keys()].sort()).toEqual(['phone', 'tablet'])
      expect(new Set(clients.values()).size).toBe(2)
      expect(log.every((exchange) => exchange.status === 200)).toBe(true)
      expect(log.reduce((sum, exchange) => sum + exchange.refused, 0)).toBe(0)

      let applyingPushes = 0
      for (const [device, clientId] of clients) {
        const own = log.filter((exchange) => exchange.clientId === clientId)
        const count = edits[device as keyof typeof edits]
        // Each answer lost after the server applied a push made the page
        // send those mutations again.
        const lostPushes = own.filter(
          (exchange) => exchange.dropped && exchange.sent.length > 0,
        )
        expect(
          lostPushes.length,
          `${device}: lost push answers`,
        ).toBeGreaterThan(0)
        let acknowledged = 0
        let replays = 0
        for (const exchange of own) {
          if (exchange.sent.some((id) => id <= acknowledged)) replays++
          if (exchange.lastMutationId! > acknowledged) applyingPushes++
          acknowledged = Math.max(acknowledged, exchange.lastMutationId!)
        }
        expect(replays, `${device}: replayed pushes`).toBeGreaterThan(0)
        expect(acknowledged).toBe(count)
        expect(
          [...new Set(own.flatMap((exchange) => exchange.sent))].sort(
            (x, y) => x - y,
          ),
        ).toEqual(Array.from({ length: count }, (_, i) => i + 1))
      }
      const record = await serverRecord(await guestToken(a, server.url), [
        ...clients.values(),
      ])
      expect(record.lastMutationIds).toEqual(
        new Map(
          [...clients].map(([device, id]) => [
            id,
            edits[device as keyof typeof edits],
          ]),
        ),
      )
      // One version per push that applied something: a replay that the
      // server applied again would have cost one more.
      expect(record.version).toBe(applyingPushes)
      const lost = log.filter((exchange) => exchange.dropped).length
      console.info(
        `[conflict] lossy link: ${log.length} sync requests, ${lost} answers lost, ${applyingPushes} pushes applied`,
      )
      expect(unexpected(errors.flat(), NETWORK_ERRORS)).toEqual([])
    },
    SLOW,
  )
})
