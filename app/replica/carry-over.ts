import type { PGliteInterface } from '@electric-sql/pglite'

import { createDrizzleStorage } from '@/sync/client/drizzle-storage'
import type { ReplicaDatabase } from '@/sync/client/replica-db'
import type { OutboxEntry, ReplicaState } from '@/sync/client/storage'

/**
 * What could be read of a replica that is about to be thrown away (an older
 * epoch, or one whose schema no longer migrates): who it was, how far the
 * server had acknowledged it, and its queue. Its rows are not kept: the
 * next pull brings them back from the server.
 */
export interface SalvagedQueue {
  state: Omit<ReplicaState, 'cursor'> | null
  outbox: OutboxEntry[]
}

interface StateRow {
  client_id: string
  space_id: string | null
  last_mutation_id: number | string
  last_acked_id: number | string
  schema_version: number
}

interface OutboxRow {
  id: number | string
  name: string
  args: unknown
}

/**
 * Reads the state row and the outbox with plain SQL, so it works on any
 * epoch's shape that still has those columns. What cannot be read is left
 * out rather than failing the rebuild.
 */
export async function salvageQueue(
  pglite: PGliteInterface,
  epoch: number,
): Promise<SalvagedQueue> {
  const state = await pglite
    .query<StateRow>(
      `select client_id, space_id, last_mutation_id, last_acked_id, schema_version
         from sync_state where key = 1`,
    )
    .then(({ rows: [row] }) => (row ? toState(row, epoch) : null))
    .catch(() => null)
  const outbox = await pglite
    .query<OutboxRow>('select id, name, args from outbox order by id')
    .then(({ rows }) =>
      rows.map((row) => ({
        id: Number(row.id),
        name: row.name,
        args: row.args,
      })),
    )
    .catch(() => [] as OutboxEntry[])
  return { state, outbox }
}

function toState(row: StateRow, epoch: number): SalvagedQueue['state'] {
  return {
    clientId: row.client_id,
    spaceId: row.space_id,
    lastMutationId: Number(row.last_mutation_id),
    lastAckedId: Number(row.last_acked_id),
    // The name says which epoch wrote it; trust the lower of the two, so a
    // replica moved across epochs always asks the server for a fresh start.
    schemaVersion: Math.min(row.schema_version, epoch),
  }
}

/**
 * Moves salvaged queues into a freshly opened replica, in one transaction.
 *
 * Into an empty replica the first queue moves whole, with its client id and
 * mutation ids: the engine then sees a replica from another epoch, pulls
 * from scratch, learns which ids the server already holds and renumbers the
 * rest (see ADR 006). Into a replica that already has a client, the pending
 * entries are appended as that client's next mutations: the server decides
 * on them like on any other write. Returns the entries moved.
 */
export async function restoreQueues(
  db: ReplicaDatabase,
  spaceId: string,
  queues: readonly SalvagedQueue[],
  newClientId: () => string = () => crypto.randomUUID(),
): Promise<number> {
  const storage = createDrizzleStorage(db)
  return storage.transaction(async (tx) => {
    let moved = 0
    for (const queue of queues) {
      const pending = queue.outbox.filter(
        (entry) => entry.id > (queue.state?.lastAckedId ?? 0),
      )
      const current = await tx.readState()
      if (!current && queue.state) {
        await tx.writeState({ ...queue.state, spaceId, cursor: null })
        for (const entry of pending) await tx.appendOutbox(entry)
        moved += pending.length
        continue
      }
      if (pending.length === 0) continue

      const state: ReplicaState = current ?? {
        clientId: newClientId(),
        spaceId,
        cursor: null,
        lastMutationId: 0,
        lastAckedId: 0,
        schemaVersion: queue.state?.schemaVersion ?? 0,
      }
      let id = state.lastMutationId
      for (const entry of pending) {
        await tx.appendOutbox({ ...entry, id: ++id })
      }
      await tx.writeState({ ...state, lastMutationId: id })
      moved += pending.length
    }
    return moved
  })
}
