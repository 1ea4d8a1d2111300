import { worker } from '@electric-sql/pglite/worker'

import { createLogger } from '@/lib/logger'

import { openReplicaPglite } from './open-pglite.client'
import { replicaChannelName } from './names'
import {
  REPLICA_FAILED,
  REPLICA_LEADER,
  type ReplicaWorkerMeta,
} from './worker-protocol'

const log = createLogger('replica')

/**
 * The dedicated worker each tab starts. PGlite's worker runtime elects one
 * leader among the tabs of a replica; only the leader's worker runs `init`
 * and owns the IndexedDB data directory, and every tab's queries go to it.
 * A leader that cannot open the replica says so to its own tab and to the
 * others, which would otherwise wait for it forever; its tab then closes
 * the worker.
 */
void worker({
  async init(options) {
    const meta = options.meta as ReplicaWorkerMeta
    postMessage({ type: REPLICA_LEADER })
    try {
      return await openReplicaPglite(meta)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      log.warn(`the replica cannot run here: ${message}`)
      postMessage({ type: REPLICA_FAILED, message })
      const channel = new BroadcastChannel(replicaChannelName(meta.name))
      channel.postMessage({ type: REPLICA_FAILED, message })
      channel.close()
      // Never settles: the tabs were told, and a rejection here would only
      // surface as an unhandled error inside PGlite's worker runtime.
      return new Promise<never>(() => {})
    }
  },
})
