import { createContext, useContext } from 'react'

import type { RosterBackend } from './backend'

/**
 * - `loading`: the replica is not ready yet (PGlite loads after the page is
 *   interactive; a first visit also waits for its first pull): the hooks
 *   use the server.
 * - `ready`: the hooks read and write the replica.
 * - `unavailable`: PGlite cannot run in this browser; the hooks use the
 *   server for as long as the page lives.
 */
export type ReplicaStatus = 'loading' | 'ready' | 'unavailable'

export interface ReplicaContextValue {
  status: ReplicaStatus
  /** Where the data hooks read and write right now. */
  backend(): RosterBackend
}

export const ReplicaContext = createContext<ReplicaContextValue | null>(null)

/** The replica's status and the data hooks' current backend. */
export function useReplica(): ReplicaContextValue {
  const value = useContext(ReplicaContext)
  if (!value) {
    throw new Error('useReplica() needs a <ReplicaProvider> above it')
  }
  return value
}
