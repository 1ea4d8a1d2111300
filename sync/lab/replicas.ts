import { PGlite } from '@electric-sql/pglite'

import { createDrizzleStorage } from '../client/drizzle-storage'
import { createMemoryStorage } from '../client/memory-storage'
import { openReplicaDatabase } from '../client/replica-db'
import type { ReplicaStorage } from '../client/storage'

/** One headless client's local database. */
export interface LabReplica {
  storage: ReplicaStorage
  close(): Promise<void>
}

export type ReplicaKind = 'pglite' | 'memory'

/**
 * Returns a function that opens one replica per call: `pglite` is the
 * browser's storage (Drizzle on an in-memory PGlite with the client
 * migration set), `memory` the fast in-memory one for many short runs.
 *
 * A PGlite's own start (initdb) takes seconds, so the first replica's
 * freshly migrated, still empty data directory is kept and every later
 * replica starts from a copy of it.
 */
export function labReplicas(kind: ReplicaKind): () => Promise<LabReplica> {
  if (kind === 'memory') {
    return async () => ({
      storage: createMemoryStorage(),
      close: async () => {},
    })
  }

  let template: Promise<Blob> | undefined
  return async () => {
    if (!template) {
      const first = PGlite.create()
      template = first.then(async (pglite) => {
        await openReplicaDatabase(pglite)
        return pglite.dumpDataDir('none')
      })
      const pglite = await first
      await template
      return pgliteReplica(pglite)
    }
    return pgliteReplica(await PGlite.create({ loadDataDir: await template }))
  }
}

async function pgliteReplica(pglite: PGlite): Promise<LabReplica> {
  const storage = createDrizzleStorage(await openReplicaDatabase(pglite))
  return { storage, close: () => pglite.close() }
}
