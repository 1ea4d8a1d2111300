import type { QueryKey } from '@tanstack/react-query'

import type { ChangedIds } from '@/sync/client/engine'

import { rosterKeys } from '../roster/query-keys'

/**
 * The queries a change of the replica's visible rows makes stale: the
 * space's roster when any avatar changed, nothing when none did. (Every
 * avatar the UI shows comes through the roster query; a per-avatar query
 * would be added here.)
 */
export function queriesForChange(
  spaceId: string,
  changed: ChangedIds,
): QueryKey[] {
  if (changed !== 'all' && changed.length === 0) return []
  return [rosterKeys.all(spaceId)]
}
