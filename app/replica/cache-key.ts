import type { QueryKey } from '@tanstack/react-query'

import { SCHEMA_VERSION } from '@/sync/protocol'

import { rosterKeys, viewerKeys } from '../roster/query-keys'

/**
 * Names the shape of the persisted query data. Bump it when what a query
 * returns changes shape (an Avatar field, a new key layout), so an old
 * cache is dropped instead of read wrong. Deploys that keep the shape keep
 * the cache: the build id is deliberately not part of it.
 */
export const CACHE_SHAPE = 'roster-1'

/** A persisted cache older than this is dropped whole. */
export const CACHE_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000

/** Saves happen at most this often. */
export const CACHE_THROTTLE_MS = 1000

/** The IndexedDB key of the last space whose cache was saved. */
export const LAST_SPACE_KEY = 'last-space'

export function cacheBuster(
  schemaVersion = SCHEMA_VERSION,
  shape = CACHE_SHAPE,
): string {
  return `schema-${schemaVersion}:${shape}`
}

/** The IndexedDB key of a space's persisted query cache. */
export function cacheKey(spaceId: string): string {
  return `query-cache:${spaceId}`
}

/**
 * Whether a query belongs in the space's persisted cache: who the viewer
 * is, and that space's roster; never another space's data.
 */
export function belongsToSpace(queryKey: QueryKey, spaceId: string): boolean {
  const [root, space] = queryKey
  if (root === viewerKeys.current()[0]) return queryKey.length === 1
  return root === rosterKeys.root()[0] && space === spaceId
}
