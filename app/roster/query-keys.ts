/**
 * Every query and mutation key the UI uses, from one place, so the sync
 * engine can invalidate exactly what a pull changed.
 */
export const viewerKeys = {
  current: () => ['viewer'] as const,
}

export const rosterKeys = {
  /** Every roster, whatever the space. */
  root: () => ['roster'] as const,
  /** The avatars of one space, sorted. */
  all: (spaceId: string) => ['roster', spaceId] as const,
  /** Writes to a roster; one key per kind of write. */
  mutations: () => ['roster-mutation'] as const,
  mutation: (action: RosterAction) => ['roster-mutation', action] as const,
}

export type RosterAction =
  'create' | 'rename' | 'set-emoji' | 'set-active' | 'move' | 'delete'
