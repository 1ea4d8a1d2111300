import { createContext, useContext } from 'react'

import type { RosterBackend } from './backend'
import type { ReplicaInspection } from './open-replica.client'
import type { RefusalRecord, SyncActivity } from './sync-activity'

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
  /**
   * Changes not yet on the server: the outbox (across tabs) once the
   * replica is ready, the writes in flight to the server before.
   */
  pending: number
  /** The leader's sync activity (idle until the replica is ready). */
  activity: SyncActivity
  /** Refused changes the person has not dismissed yet, newest first. */
  refusals: RefusalRecord[]
  dismissRefusals(): void
  /**
   * After a sign-in that merged the guest space `from` into `into` (ADR
   * 012): the replica of `from` carries its queue into `into` and delivers
   * it. Resolves with whether nothing is left pending; a replica of another
   * space is left alone (and true without one).
   */
  adoptMergedSpace(from: string, into: string): Promise<boolean>
  /** Asks for a round soon; ends a pause after a permanent failure. */
  requestSync(): void
  /** Pauses or resumes the network side (the inspector's switch). */
  setPaused(paused: boolean): void
  /**
   * Tries to put every pending change on the server now (before an identity
   * change: sign-in, sign-out); resolves with how many are still not there
   * (0 when all were delivered). Before the replica is ready, waits for the
   * writes sent straight to the server.
   */
  flush(): Promise<number>
  /** The replica's outbox and state, or null without a replica. */
  inspect(): Promise<ReplicaInspection | null>
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
