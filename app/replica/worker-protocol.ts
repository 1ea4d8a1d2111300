/** What a tab tells its replica worker, through PGlite's `meta` option. */
export interface ReplicaWorkerMeta {
  spaceId: string
  epoch: number
  /** The replica's name (space and epoch). */
  name: string
}

/** Sent by a leader worker that could not open the replica. */
export const REPLICA_FAILED = 'rollcall/replica-failed'

/**
 * Sent by a worker to its own tab when it becomes the leader (its `init`
 * runs). PGliteWorker's own `isLeader` can miss its message when the
 * election is won before the tab listens for it, so the tab listens for
 * this one from the moment it creates the worker.
 */
export const REPLICA_LEADER = 'rollcall/replica-leader'
