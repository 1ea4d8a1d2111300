import { PGlite } from '@electric-sql/pglite'

import { AppError } from '@/lib/errors'
import { createLogger } from '@/lib/logger'
import { openReplicaDatabase } from '@/sync/client/replica-db'

import { restoreQueues, salvageQueue, type SalvagedQueue } from './carry-over'
import {
  idbDatabaseName,
  olderReplicas,
  replicaDataDir,
  replicaName,
} from './names'

const log = createLogger('replica')

/** How long deleting a database may stay blocked by a stuck connection. */
const DELETE_TIMEOUT_MS = 5_000

export interface OpenOptions {
  spaceId: string
  epoch: number
}

/**
 * Opens (in the leader's worker) the replica of a space under the current
 * epoch, migrated, ready for every tab to query. A replica that cannot be
 * opened or migrated is rebuilt empty, keeping the queue it can still read;
 * replicas of older epochs are emptied into it and deleted. Throws
 * `replica/unavailable` when PGlite cannot run here at all (no IndexedDB,
 * no quota, its files failed to download).
 */
export async function openReplicaPglite({
  spaceId,
  epoch,
}: OpenOptions): Promise<PGlite> {
  if (typeof indexedDB === 'undefined' || indexedDB === null) {
    throw unavailable('this browser gives the page no IndexedDB')
  }
  const name = replicaName(spaceId, epoch)
  const salvaged: SalvagedQueue[] = []

  let opened = await tryOpen(name, epoch)
  if (!opened.ok) {
    // A download that failed looks like a damaged replica from here: only
    // rebuild when PGlite itself starts, so a flaky network never costs
    // the queue.
    if (!opened.salvaged && !(await pgliteStarts())) {
      throw unavailable(opened.reason)
    }
    log.warn(`replica ${name} cannot be opened (${opened.reason}): rebuilding`)
    if (opened.salvaged) salvaged.push(opened.salvaged)
    await deleteOrEmpty(idbDatabaseName(name))
    opened = await tryOpen(name, epoch)
    if (!opened.ok) throw unavailable(opened.reason)
  }
  const { pglite, db } = opened

  const older = olderReplicas(await databaseNames(), spaceId, epoch)
  for (const replica of older) {
    const queue = await salvageOlder(replica.name, replica.epoch)
    if (queue) salvaged.push(queue)
  }

  const moved = salvaged.length ? await restoreQueues(db, spaceId, salvaged) : 0
  if (moved > 0) log.info(`kept ${moved} queued changes from older replicas`)
  for (const replica of older) {
    try {
      await deleteDatabase(idbDatabaseName(replica.name))
      log.info(`deleted replica ${replica.name} of epoch ${replica.epoch}`)
    } catch (error) {
      // Its queue may be moved again next time: the server refuses or
      // repeats those writes harmlessly, which beats losing them.
      log.warn(`could not delete replica ${replica.name}: ${describe(error)}`)
    }
  }
  return pglite
}

type Opened =
  | {
      ok: true
      pglite: PGlite
      db: Awaited<ReturnType<typeof openReplicaDatabase>>
    }
  | { ok: false; reason: string; salvaged?: SalvagedQueue }

async function tryOpen(name: string, epoch: number): Promise<Opened> {
  const pglite = new PGlite(replicaDataDir(name))
  try {
    await started(pglite)
  } catch (error) {
    void pglite.close().catch(() => {})
    return { ok: false, reason: describe(error) }
  }
  try {
    const db = await openReplicaDatabase(pglite)
    return { ok: true, pglite, db }
  } catch (error) {
    const salvaged = await salvageQueue(pglite, epoch).catch(() => undefined)
    await pglite.close().catch(() => {})
    return { ok: false, reason: describe(error), salvaged }
  }
}

/** Whether PGlite runs at all here, on an in-memory database. */
async function pgliteStarts(): Promise<boolean> {
  const pglite = new PGlite()
  try {
    await started(pglite)
    await pglite.close()
    return true
  } catch {
    void pglite.close().catch(() => {})
    return false
  }
}

/**
 * Resolves when PGlite has started, rejects when it cannot. Some start-up
 * failures (a wasm download that fails or answers with an error page)
 * surface only as an unhandled rejection inside PGlite while its ready
 * promise never settles, so those count as failures too while it starts.
 */
async function started(pglite: PGlite): Promise<void> {
  let stop = () => {}
  const failed = new Promise<never>((_, reject) => {
    const onUnhandled = (event: PromiseRejectionEvent) => {
      event.preventDefault()
      reject(event.reason)
    }
    addEventListener('unhandledrejection', onUnhandled)
    stop = () => removeEventListener('unhandledrejection', onUnhandled)
  })
  try {
    await Promise.race([pglite.waitReady, failed])
  } finally {
    stop()
  }
}

/** Reads an older epoch's queue; null when it cannot be opened at all. */
async function salvageOlder(
  name: string,
  epoch: number,
): Promise<SalvagedQueue | null> {
  const pglite = new PGlite(replicaDataDir(name))
  try {
    await started(pglite)
    const queue = await salvageQueue(pglite, epoch)
    await pglite.close()
    return queue
  } catch (error) {
    log.warn(`replica ${name} cannot be read (${describe(error)})`)
    void pglite.close().catch(() => {})
    return null
  }
}

async function databaseNames(): Promise<string[]> {
  if (typeof indexedDB.databases !== 'function') return []
  try {
    const databases = await indexedDB.databases()
    return databases.flatMap((database) => database.name ?? [])
  } catch {
    return []
  }
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(unavailable(`deleting ${name} stayed blocked`)),
      DELETE_TIMEOUT_MS,
    )
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => {
      clearTimeout(timer)
      resolve()
    }
    request.onerror = () => {
      clearTimeout(timer)
      reject(unavailable(`deleting ${name} failed: ${request.error?.message}`))
    }
  })
}

/**
 * Deletes a damaged replica's database or, when a connection the failed
 * PGlite left open blocks the delete, empties its stores instead: either
 * way the next open starts from a blank file system.
 */
async function deleteOrEmpty(name: string): Promise<void> {
  try {
    await deleteDatabase(name)
  } catch (error) {
    log.warn(`${describe(error)}: emptying it instead`)
    await emptyDatabase(name)
  }
}

function emptyDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (what: string, error: DOMException | null) =>
      reject(unavailable(`${what} ${name} failed: ${error?.message}`))
    const request = indexedDB.open(name)
    request.onerror = () => failed('opening', request.error)
    request.onsuccess = () => {
      const db = request.result
      const stores = [...db.objectStoreNames]
      if (stores.length === 0) {
        db.close()
        return resolve()
      }
      const transaction = db.transaction(stores, 'readwrite')
      for (const store of stores) transaction.objectStore(store).clear()
      transaction.oncomplete = () => {
        db.close()
        resolve()
      }
      transaction.onerror = () => {
        db.close()
        failed('emptying', transaction.error)
      }
    }
  })
}

function unavailable(reason: string): AppError {
  return new AppError('replica/unavailable', reason, { status: 503 })
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
