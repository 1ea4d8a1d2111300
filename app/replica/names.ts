import { SCHEMA_VERSION } from '@/sync/protocol'

/**
 * Names of a browser replica. One replica holds one space under one schema
 * epoch, so both are in its name: a new epoch opens a new database and the
 * old one is emptied into it, never read by code that no longer knows its
 * shape.
 */
export function replicaName(spaceId: string, epoch = SCHEMA_VERSION): string {
  return `rollcall-${spaceId}-e${epoch}`
}

/** PGlite's data directory for a replica, kept in IndexedDB. */
export function replicaDataDir(name: string): string {
  return `idb://${name}`
}

/** The IndexedDB database PGlite's `idb://` file system keeps a replica in. */
export function idbDatabaseName(name: string): string {
  return `/pglite/${name}`
}

export interface OlderReplica {
  /** The replica's name (without the IndexedDB prefix). */
  name: string
  epoch: number
}

/**
 * The replicas of `spaceId` written under another epoch than `epoch`,
 * found among IndexedDB database names, oldest first.
 */
export function olderReplicas(
  databaseNames: readonly string[],
  spaceId: string,
  epoch = SCHEMA_VERSION,
): OlderReplica[] {
  const prefix = idbDatabaseName(`rollcall-${spaceId}-e`)
  const found: OlderReplica[] = []
  for (const databaseName of databaseNames) {
    if (!databaseName.startsWith(prefix)) continue
    const tail = databaseName.slice(prefix.length)
    if (!/^\d{1,6}$/.test(tail)) continue
    const foundEpoch = Number(tail)
    if (foundEpoch === epoch) continue
    found.push({ name: replicaName(spaceId, foundEpoch), epoch: foundEpoch })
  }
  return found.sort((a, b) => a.epoch - b.epoch)
}

/** The BroadcastChannel the tabs of one replica talk on. */
export function replicaChannelName(name: string): string {
  return `rollcall-replica:${name}`
}
