import {
  persistQueryClientRestore,
  persistQueryClientSave,
  type PersistedClient,
  type Persister,
} from '@tanstack/query-persist-client-core'
import type { QueryClient } from '@tanstack/react-query'
import { createStore, del, get, set, type UseStore } from 'idb-keyval'

import { createLogger } from '@/lib/logger'

import type { Viewer } from '../roster/api'
import { viewerKeys } from '../roster/query-keys'
import {
  belongsToSpace,
  cacheBuster,
  cacheKey,
  CACHE_MAX_AGE_MS,
  CACHE_THROTTLE_MS,
  LAST_SPACE_KEY,
} from './cache-key'

const log = createLogger('cache')

/** Cache events that change what would be saved (not observer traffic). */
const SAVED_ON = new Set(['added', 'removed', 'updated'])

// Set for good by sign-out: from then on this page saves nothing, so the
// viewer it was showing is never written back once wiped.
let suspended = false

/** Stops every save in this page (sign-out is wiping the cache). */
export function suspendQueryPersistence(): void {
  suspended = true
}

/**
 * Keeps the query cache in IndexedDB (idb-keyval), one entry per space, so
 * a returning visitor sees their roster before the replica has booted.
 * Restores the space the page is for (or, with no viewer known, the last
 * one saved), then saves at most once per `CACHE_THROTTLE_MS` and when the
 * page is hidden. Only settled queries are kept, never mutations: queued
 * writes live in the replica's outbox. Returns the function that stops it.
 */
export function persistQueryCache(client: QueryClient): () => void {
  let store: UseStore
  try {
    store = createStore('rollcall-cache', 'queries')
  } catch (error) {
    log.warn(`no persisted cache here: ${describe(error)}`)
    return () => {}
  }
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let unsubscribe = () => {}

  const save = async () => {
    timer = undefined
    const spaceId = viewerSpace(client)
    if (!spaceId || suspended) return
    try {
      await persistQueryClientSave({
        queryClient: client,
        persister: idbPersister(store, cacheKey(spaceId)),
        buster: cacheBuster(),
        dehydrateOptions: {
          shouldDehydrateQuery: (query) =>
            query.state.status === 'success' &&
            belongsToSpace(query.queryKey, spaceId),
          shouldDehydrateMutation: () => false,
        },
      })
      await set(LAST_SPACE_KEY, spaceId, store)
    } catch (error) {
      log.warn(`could not save the query cache: ${describe(error)}`)
    }
  }
  const schedule = () => {
    if (!stopped && !suspended && timer === undefined) {
      timer = setTimeout(() => void save(), CACHE_THROTTLE_MS)
    }
  }
  const flush = () => {
    if (timer === undefined) return
    clearTimeout(timer)
    void save()
  }
  const onHide = () => {
    if (document.visibilityState === 'hidden') flush()
  }

  void (async () => {
    try {
      const spaceId =
        viewerSpace(client) ?? (await get<string>(LAST_SPACE_KEY, store))
      if (spaceId && !stopped) {
        await persistQueryClientRestore({
          queryClient: client,
          persister: idbPersister(store, cacheKey(spaceId)),
          buster: cacheBuster(),
          maxAge: CACHE_MAX_AGE_MS,
        })
      }
    } catch (error) {
      log.warn(`could not restore the query cache: ${describe(error)}`)
      return
    }
    if (stopped) return
    const cache = client.getQueryCache().subscribe((event) => {
      if (SAVED_ON.has(event.type)) schedule()
    })
    document.addEventListener('visibilitychange', onHide)
    window.addEventListener('pagehide', flush)
    unsubscribe = () => {
      cache()
      document.removeEventListener('visibilitychange', onHide)
      window.removeEventListener('pagehide', flush)
    }
  })()

  return () => {
    stopped = true
    flush()
    unsubscribe()
  }
}

function idbPersister(store: UseStore, key: string): Persister {
  return {
    persistClient: (client: PersistedClient) => set(key, client, store),
    restoreClient: () => get<PersistedClient>(key, store),
    removeClient: () => del(key, store),
  }
}

function viewerSpace(client: QueryClient): string | undefined {
  return client.getQueryData<Viewer>(viewerKeys.current())?.spaceId
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
