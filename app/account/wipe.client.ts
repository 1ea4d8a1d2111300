import { clear, createStore } from 'idb-keyval'

import { createLogger } from '@/lib/logger'

import { suspendQueryPersistence } from '../replica/query-persistence.client'
import {
  QUERY_CACHE_DATABASE,
  replicaDatabasesToWipe,
  viewerCachesToWipe,
} from './sign-out-plan'

const log = createLogger('sign-out')

/** How long one database deletion may stay blocked by a tab still using it. */
const DELETE_TIMEOUT_MS = 15_000

/**
 * Removes what this browser kept of the viewers before `keepSpaceId`: the
 * replica databases, the persisted query cache and any per-viewer service
 * worker cache. The query cache stops saving first, so nothing of the old
 * viewer is written back. Never throws; returns what it could not remove.
 */
export async function wipeViewerData(
  keepSpaceId: string | null,
): Promise<string[]> {
  suspendQueryPersistence()
  const left: string[] = []

  try {
    await clear(createStore(QUERY_CACHE_DATABASE, 'queries'))
  } catch (error) {
    log.warn(`could not clear the query cache: ${describe(error)}`)
    left.push(QUERY_CACHE_DATABASE)
  }

  let names: string[] = []
  try {
    const databases = await indexedDB.databases()
    names = databases.flatMap(({ name }) => (name ? [name] : []))
  } catch (error) {
    log.warn(`could not list this browser's databases: ${describe(error)}`)
  }
  const doomed = replicaDatabasesToWipe(names, keepSpaceId)
  const results = await Promise.all(doomed.map(deleteDatabase))
  doomed.forEach((name, index) => {
    if (!results[index]) left.push(name)
  })

  if (typeof caches !== 'undefined') {
    try {
      for (const name of viewerCachesToWipe(await caches.keys())) {
        if (!(await caches.delete(name))) left.push(name)
      }
    } catch (error) {
      log.warn(`could not clear the worker's caches: ${describe(error)}`)
    }
  }
  if (left.length > 0) log.warn(`sign-out left behind: ${left.join(', ')}`)
  return left
}

/**
 * Deletes one IndexedDB database, waiting while another connection (a tab
 * still closing its replica) blocks it, up to a limit. Resolves with
 * whether it is gone; a request still blocked completes on its own once
 * the last connection closes.
 */
function deleteDatabase(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), DELETE_TIMEOUT_MS)
    const done = (ok: boolean) => {
      clearTimeout(timer)
      resolve(ok)
    }
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => done(true)
    request.onerror = () => done(false)
    request.onblocked = () => log.info(`waiting for ${name} to close`)
  })
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
