import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type {
  Browser,
  BrowserContext,
  BrowserContextOptions,
  Page,
} from 'playwright-core'

import { launchBrowser, watchErrors } from './support/browser'
import {
  addAvatar,
  databaseNames,
  debugPage,
  eventuallyOnServer,
  isLeader,
  replicaState,
  serverAvatars,
  shownNames,
  unexpected,
  waitForAvatar,
  waitForPending,
  waitForReplica,
  webStorageSizes,
} from './support/replica'
import { type RunningServer, startServer } from './support/server'

const SLOW = 180_000

let server: RunningServer
let browser: Browser
let context: BrowserContext
let errors: string[][] = []
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
  await context?.close()
  errors = []
})

async function newContext(
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  context = await browser.newContext(options)
  return context
}

async function open(target = context): Promise<Page> {
  const page = await target.newPage()
  errors.push(watchErrors(page))
  debugPage(page, `page ${++pages}`)
  await page.goto(server.url)
  // The attribute is set once React has hydrated: the form is live.
  await page.waitForFunction(
    () => document.documentElement.dataset.replicaState !== undefined,
  )
  return page
}

/** A gate a route handler can wait on, opened by the test. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { opened, open }
}

function count(names: string[], name: string): number {
  return names.filter((candidate) => candidate === name).length
}

describe('the browser replica', () => {
  it(
    'paints from the server, then boots the replica in the background and reads from it',
    async () => {
      await newContext()
      const page = await open()

      // First paint is the server render: the form and the empty roster
      // are there before PGlite has even been fetched.
      await page.getByText('No avatars yet').waitFor()
      expect(await replicaState(page)).toBe('loading')

      await waitForReplica(page, 'ready')
      expect(await isLeader(page)).toBe(true)
      await addAvatar(page, 'Ada')
      await waitForAvatar(page, 'Ada')
      await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual(['Ada']),
      )
      await waitForPending(page, 0)

      expect(await webStorageSizes(page)).toEqual({ local: 0, session: 0 })
      expect(unexpected(errors.flat())).toEqual([])
    },
    SLOW,
  )

  it(
    'delivers an edit made before the replica is ready, even when the tab closes at once',
    async () => {
      await newContext()
      const wasm = gate()
      await context.route('**/*.wasm', async (route) => {
        await wasm.opened
        await route.continue().catch(() => {})
      })
      const page = await open()
      await page.getByText('No avatars yet').waitFor()
      expect(await replicaState(page)).toBe('loading')

      await addAvatar(page, 'Early')
      await page.close()
      wasm.open()

      const avatars = await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual(['Early']),
      )
      expect(avatars).toHaveLength(1)
      expect(unexpected(errors.flat())).toEqual([])
    },
    SLOW,
  )

  it(
    'keeps an edit made before the replica was ready once it is: not lost, not twice',
    async () => {
      await newContext()
      const wasm = gate()
      await context.route('**/*.wasm', async (route) => {
        await wasm.opened
        await route.continue().catch(() => {})
      })
      const page = await open()
      await page.getByText('No avatars yet').waitFor()

      await addAvatar(page, 'Before')
      await waitForAvatar(page, 'Before')
      await waitForPending(page, 0)
      expect(await replicaState(page)).toBe('loading')

      wasm.open()
      await waitForReplica(page, 'ready')
      await addAvatar(page, 'After')
      await waitForAvatar(page, 'After')
      await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name).sort()).toEqual([
          'After',
          'Before',
        ]),
      )
      await waitForPending(page, 0)
      expect(await shownNames(page)).toEqual(['Before', 'After'])

      // A reload reads the replica, which holds both exactly once.
      await page.reload()
      await waitForReplica(page, 'ready')
      expect(await shownNames(page)).toEqual(['Before', 'After'])
      expect(unexpected(errors.flat())).toEqual([])
    },
    SLOW,
  )

  it(
    'delivers changes left pending in a closed tab when it is opened again online',
    async () => {
      await newContext()
      const page = await open()
      await waitForReplica(page, 'ready')

      await context.route('**/api/sync', (route) => route.abort())
      await addAvatar(page, 'Pending')
      await waitForAvatar(page, 'Pending')
      await waitForPending(page, 1)
      await page.close()
      expect(await serverAvatars(context, server)).toEqual([])

      await context.unroute('**/api/sync')
      const again = await open()
      await waitForReplica(again, 'ready')
      await waitForAvatar(again, 'Pending')
      await waitForPending(again, 0)
      const avatars = await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual(['Pending']),
      )
      expect(avatars).toHaveLength(1)
      expect(
        unexpected(errors.flat(), [/Failed to load resource.*api\/sync/]),
      ).toEqual([])
    },
    SLOW,
  )

  it(
    'shares one replica between two tabs: one leader, edits seen across tabs, and the other leads on when the leader closes',
    async () => {
      await newContext()
      const first = await open()
      await waitForReplica(first, 'ready')
      const second = await open()
      await waitForReplica(second, 'ready')
      expect([await isLeader(first), await isLeader(second)]).toEqual([
        true,
        false,
      ])

      await addAvatar(second, 'From follower')
      await waitForAvatar(first, 'From follower')
      await addAvatar(first, 'From leader')
      await waitForAvatar(second, 'From leader')
      await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name).sort()).toEqual([
          'From follower',
          'From leader',
        ]),
      )

      await first.close()
      await second.waitForFunction(
        () => document.documentElement.dataset.replicaLeader === 'true',
        null,
        { timeout: 60_000 },
      )
      await addAvatar(second, 'After handover')
      await waitForAvatar(second, 'After handover')
      const avatars = await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name).sort()).toEqual([
          'After handover',
          'From follower',
          'From leader',
        ]),
      )
      expect(avatars).toHaveLength(3)
      const names = await shownNames(second)
      expect(count(names, 'After handover')).toBe(1)
      expect(await webStorageSizes(second)).toEqual({ local: 0, session: 0 })
      expect(unexpected(errors.flat())).toEqual([])
    },
    SLOW,
  )
})

describe('editing on the replica', () => {
  it(
    'shows a tick at once, while the replica is still writing it',
    async () => {
      await newContext()
      const page = await open()
      await waitForReplica(page, 'ready')
      await addAvatar(page, 'Tick')
      await waitForAvatar(page, 'Tick')
      await waitForPending(page, 0)

      for (const wanted of [true, false]) {
        // Read as soon as the click's handlers have run, before any timer.
        const shown = await page.evaluate(() => {
          const box = document.querySelector<HTMLInputElement>(
            'input[aria-label="Tick is active"]',
          )!
          box.click()
          return box.checked
        })
        expect(shown).toBe(wanted)
        await waitForPending(page, 0)
        expect(await page.getByLabel('Tick is active').isChecked()).toBe(wanted)
      }
      await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((row) => [row.name, row.isActive])).toEqual([
          ['Tick', false],
        ]),
      )
      expect(unexpected(errors.flat())).toEqual([])
    },
    SLOW,
  )
})

describe('the persisted query cache', () => {
  it(
    'keeps the viewer and the roster in IndexedDB per space, without mutations, and not in web storage',
    async () => {
      await newContext()
      const page = await open()
      await waitForReplica(page, 'ready')
      await addAvatar(page, 'Cached')
      await waitForAvatar(page, 'Cached')

      const spaceId = await page.evaluate(
        async () =>
          ((await (await fetch('/api/viewer')).json()) as { spaceId: string })
            .spaceId,
      )
      type SavedClient = {
        buster: string
        clientState: {
          queries: { queryKey: unknown[]; state: { data: unknown } }[]
          mutations: unknown[]
        }
      }
      // Reads the app's cache entry without creating the database: opening
      // a missing one would make an empty one the app could not use.
      const readSaved = () =>
        page.evaluate(async (key) => {
          const names = (await indexedDB.databases()).map((db) => db.name)
          if (!names.includes('rollcall-cache')) return null
          return new Promise<unknown>((resolve, reject) => {
            const request = indexedDB.open('rollcall-cache')
            request.onerror = () => reject(request.error)
            request.onsuccess = () => {
              const db = request.result
              if (!db.objectStoreNames.contains('queries')) {
                db.close()
                resolve(null)
                return
              }
              const read = db
                .transaction('queries')
                .objectStore('queries')
                .get(key)
              read.onsuccess = () => {
                db.close()
                resolve(read.result ?? null)
              }
            }
          })
        }, `query-cache:${spaceId}`) as Promise<SavedClient | null>
      const shownIn = (saved: SavedClient | null) =>
        (
          saved?.clientState.queries.find(
            (query) => query.queryKey[0] === 'roster',
          )?.state.data as { name: string }[] | undefined
        )?.map((avatar) => avatar.name) ?? []
      await expect
        .poll(async () => shownIn(await readSaved()), { timeout: 15_000 })
        .toContain('Cached')
      const client = await readSaved()
      if (!client) throw new Error('no cache entry')
      expect(client.buster).toMatch(/^schema-\d+:/)
      expect(client.clientState.mutations).toEqual([])
      expect(client.clientState.queries.map((query) => query.queryKey)).toEqual(
        expect.arrayContaining([['viewer'], ['roster', spaceId]]),
      )
      expect(await webStorageSizes(page)).toEqual({ local: 0, session: 0 })
      expect(unexpected(errors.flat())).toEqual([])
    },
    SLOW,
  )
})

describe('where PGlite cannot run', () => {
  it(
    'says so quietly and keeps working online when the wasm download fails',
    async () => {
      // Without the service worker, whose runtime cache would otherwise
      // answer for the wasm once any earlier page had loaded it.
      await newContext({ serviceWorkers: 'block' })
      await context.route('**/*.wasm', (route) => route.abort())
      const page = await open()
      await waitForReplica(page, 'unavailable')
      await page.getByTestId('replica-note').waitFor()

      await addAvatar(page, 'Online only')
      await waitForAvatar(page, 'Online only')
      await waitForPending(page, 0)
      await page.reload()
      await waitForAvatar(page, 'Online only')
      const avatars = await serverAvatars(context, server)
      expect(avatars.map((avatar) => avatar.name)).toEqual(['Online only'])
      expect(await webStorageSizes(page)).toEqual({ local: 0, session: 0 })
      expect(
        unexpected(errors.flat(), [/Failed to load resource.*\.wasm/]),
      ).toEqual([])
    },
    SLOW,
  )

  it(
    'says so quietly and keeps working online without IndexedDB',
    async () => {
      await newContext()
      await context.addInitScript(() => {
        delete (globalThis as { indexedDB?: unknown }).indexedDB
      })
      const page = await open()
      await waitForReplica(page, 'unavailable')
      await page.getByTestId('replica-note').waitFor()
      expect(await page.evaluate(() => typeof indexedDB)).toBe('undefined')

      await addAvatar(page, 'No storage')
      await waitForAvatar(page, 'No storage')
      await waitForPending(page, 0)
      const avatar = page.getByLabel('No storage is active')
      await avatar.check()
      await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((row) => [row.name, row.isActive])).toEqual([
          ['No storage', true],
        ]),
      )
      expect(await webStorageSizes(page)).toEqual({ local: 0, session: 0 })
      expect(unexpected(errors.flat())).toEqual([])
    },
    SLOW,
  )
})

describe('rebuilding a replica', () => {
  it(
    'rebuilds a replica from an older epoch without losing its queued changes',
    async () => {
      await newContext()
      const page = await open()
      await waitForReplica(page, 'ready')
      await context.route('**/api/sync', (route) => route.abort())
      await addAvatar(page, 'Queued long ago')
      await waitForPending(page, 1)
      await page.close()

      // Make the replica look as if an older release (epoch 0) wrote it.
      const blank = await context.newPage()
      await blank.goto(`${server.url}/api/viewer`)
      const current = (await databaseNames(blank)).find((name) =>
        /^\/pglite\/rollcall-.+-e1$/.test(name),
      )
      expect(current).toBeDefined()
      const older = current!.replace(/-e1$/, '-e0')
      await blank.evaluate(copyDatabase, { from: current!, to: older })
      expect(await databaseNames(blank)).toContain(older)
      expect(await databaseNames(blank)).not.toContain(current)
      await blank.close()

      await context.unroute('**/api/sync')
      const again = await open()
      await waitForReplica(again, 'ready')
      await waitForPending(again, 0)
      const avatars = await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual(['Queued long ago']),
      )
      expect(avatars).toHaveLength(1)
      await waitForAvatar(again, 'Queued long ago')
      const names = await databaseNames(again)
      expect(names).toContain(current)
      expect(names).not.toContain(older)
      expect(
        unexpected(errors.flat(), [/Failed to load resource.*api\/sync/]),
      ).toEqual([])
    },
    SLOW,
  )

  it(
    'rebuilds a damaged replica from the server instead of crashing',
    async () => {
      await newContext()
      const page = await open()
      await waitForReplica(page, 'ready')
      await addAvatar(page, 'Kept on the server')
      await eventuallyOnServer(context, server, (rows) =>
        expect(rows.map((avatar) => avatar.name)).toEqual([
          'Kept on the server',
        ]),
      )
      await page.close()

      const blank = await context.newPage()
      await blank.goto(`${server.url}/api/viewer`)
      const current = (await databaseNames(blank)).find((name) =>
        /^\/pglite\/rollcall-.+-e1$/.test(name),
      )
      await blank.evaluate(damageDatabase, current!)
      await blank.close()

      const again = await open()
      await waitForReplica(again, 'ready')
      await waitForAvatar(again, 'Kept on the server')
      expect(await shownNames(again)).toEqual(['Kept on the server'])
      expect(unexpected(errors.flat())).toEqual([])
    },
    SLOW,
  )
})

/**
 * Copies an IndexedDB database of PGlite's file system under another name,
 * rewriting the file paths (its keys), then deletes the original. Runs in
 * the page.
 */
async function copyDatabase({ from, to }: { from: string; to: string }) {
  const request = <T>(req: IDBRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
  const openDb = (
    name: string,
    upgrade?: (db: IDBDatabase) => void,
    version?: number,
  ) =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, version)
      req.onupgradeneeded = () => upgrade?.(req.result)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })

  const source = await openDb(from)
  const stores = [...source.objectStoreNames]
  const shapes = stores.map((name) => {
    const store = source.transaction(name).objectStore(name)
    return {
      name,
      indexes: [...store.indexNames].map((index) => {
        const found = store.index(index)
        return { name: index, keyPath: found.keyPath, unique: found.unique }
      }),
    }
  })
  const records: { store: string; key: IDBValidKey; value: unknown }[] = []
  for (const name of stores) {
    const store = source.transaction(name).objectStore(name)
    const keys = await request(store.getAllKeys())
    const values = await request(store.getAll())
    keys.forEach((key, i) =>
      records.push({ store: name, key, value: values[i] }),
    )
  }
  const version = source.version
  source.close()

  const target = await openDb(
    to,
    (db) => {
      for (const shape of shapes) {
        const store = db.createObjectStore(shape.name)
        for (const index of shape.indexes) {
          store.createIndex(index.name, index.keyPath, { unique: index.unique })
        }
      }
    },
    version,
  )
  const tx = target.transaction(stores, 'readwrite')
  for (const record of records) {
    const key =
      typeof record.key === 'string' && record.key.startsWith(from)
        ? to + record.key.slice(from.length)
        : record.key
    tx.objectStore(record.store).put(record.value, key)
  }
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
  })
  target.close()
  await request(indexedDB.deleteDatabase(from))
}

/** Overwrites every file of a PGlite IndexedDB database with junk. */
async function damageDatabase(name: string) {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
  const store = db
    .transaction('FILE_DATA', 'readwrite')
    .objectStore('FILE_DATA')
  await new Promise<void>((resolve, reject) => {
    const req = store.openCursor()
    req.onsuccess = () => {
      const cursor = req.result
      if (!cursor) return resolve()
      const value = cursor.value as { contents?: Uint8Array }
      if (
        value.contents instanceof Uint8Array &&
        String(cursor.key).includes('/global/')
      ) {
        cursor.update({
          ...value,
          contents: new Uint8Array(value.contents.length).fill(7),
        })
      }
      cursor.continue()
    }
    req.onerror = () => reject(req.error)
  })
  db.close()
}
