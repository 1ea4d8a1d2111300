import type { PersistedClient } from '@tanstack/query-persist-client-core'
import { createStore, get } from 'idb-keyval'

import type { Avatar } from '@/sync/mutations'

import {
  cacheBuster,
  cacheKey,
  CACHE_MAX_AGE_MS,
  LAST_SPACE_KEY,
} from '../replica/cache-key'
import type { Viewer } from '../roster/api'
import { rosterKeys, viewerKeys } from '../roster/query-keys'

/** What this device kept of the last space it showed. */
export interface SavedSpace {
  viewer: Viewer
  /** The roster as last cached, when the cache is still good. */
  avatars: Avatar[] | undefined
}

/**
 * The last space this browser saved, found through the persisted query
 * cache's `last-space` pointer (a label, not a secret), or null when the
 * device holds nothing. The viewer's label comes from the cached viewer
 * query; a cache too old or of another shape still names the space.
 */
export async function findSavedSpace(): Promise<SavedSpace | null> {
  const store = createStore('rollcall-cache', 'queries')
  const spaceId = await get<string>(LAST_SPACE_KEY, store)
  if (!spaceId) return null
  const saved = await get<PersistedClient>(cacheKey(spaceId), store)
  const fresh =
    saved !== undefined &&
    saved.buster === cacheBuster() &&
    Date.now() - saved.timestamp <= CACHE_MAX_AGE_MS
  const queries = saved?.clientState.queries ?? []
  const find = (key: readonly unknown[]) =>
    queries.find(
      (query) => JSON.stringify(query.queryKey) === JSON.stringify(key),
    )?.state.data

  const cachedViewer = find(viewerKeys.current()) as Viewer | undefined
  const viewer: Viewer =
    cachedViewer?.spaceId === spaceId
      ? cachedViewer
      : { kind: 'guest', spaceId, label: 'this device' }
  const avatars = fresh
    ? (find(rosterKeys.all(spaceId)) as Avatar[] | undefined)
    : undefined
  return { viewer, avatars }
}
