import type { QueryClient, QueryKey } from '@tanstack/react-query'

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

/**
 * Marks these queries stale after the replica changed, unless a roster
 * write is still on its way into the replica: a read now would show the
 * replica without that write for a moment (the roster jumping back a step
 * while a round lands). The last write to settle refetches for all.
 */
export function invalidate(client: QueryClient, keys: QueryKey[]): void {
  if (client.isMutating({ mutationKey: rosterKeys.mutations() }) > 0) return
  for (const queryKey of keys) {
    void client.invalidateQueries({ queryKey, exact: true })
  }
}
