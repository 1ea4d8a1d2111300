import { randomUUID } from 'node:crypto'

import { PGlite, type PGliteInterface } from '@electric-sql/pglite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { restoreQueues, salvageQueue } from '@/app/replica/carry-over'
import { createDrizzleStorage } from '@/sync/client/drizzle-storage'
import { SyncEngine } from '@/sync/client/engine'
import { openReplicaDatabase } from '@/sync/client/replica-db'
import type { SyncTransport } from '@/sync/client/transport'
import { formatCursor, SCHEMA_VERSION, type SyncRequest } from '@/sync/protocol'

const SPACE = 'space-a'
const open: PGliteInterface[] = []
let template: PGlite

// A fresh PGlite takes seconds: migrate one, and clone it for each replica.
beforeAll(async () => {
  template = new PGlite()
  await openReplicaDatabase(template)
})

afterAll(async () => {
  await template?.close()
})

async function replica() {
  const pglite = await template.clone()
  open.push(pglite)
  const db = await openReplicaDatabase(pglite)
  return { pglite, db, storage: createDrizzleStorage(db) }
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((pglite) => pglite.close()))
})

/** A replica with two mutations queued, the first acknowledged. */
async function olderReplica() {
  const old = await replica()
  const engine = await SyncEngine.open({
    storage: old.storage,
    transport: () => Promise.reject(new Error('offline')),
    spaceId: SPACE,
  })
  const first = randomUUID()
  const second = randomUUID()
  await engine.mutate('createAvatar', { id: first, emoji: '🦉', name: 'Owl' })
  await engine.mutate('createAvatar', { id: second, emoji: '🦊', name: 'Fox' })
  await old.storage.transaction(async (tx) => {
    const state = (await tx.readState())!
    await tx.writeState({ ...state, lastAckedId: 1 })
  })
  return { ...old, clientId: engine.clientId, first, second }
}

describe('moving the queue of a replica that is thrown away', () => {
  it('reads the state and the outbox with plain SQL, with the lower epoch', async () => {
    const old = await olderReplica()

    const salvaged = await salvageQueue(old.pglite, 0)

    expect(salvaged.state).toMatchObject({
      clientId: old.clientId,
      spaceId: SPACE,
      lastMutationId: 2,
      lastAckedId: 1,
      schemaVersion: 0,
    })
    expect(salvaged.outbox.map((entry) => entry.id)).toEqual([1, 2])
    expect(salvaged.outbox[1]).toMatchObject({
      name: 'createAvatar',
      args: { id: old.second, name: 'Fox' },
    })
  })

  it('reads nothing, without failing, from a database that has no replica', async () => {
    const empty = new PGlite()
    open.push(empty)
    await expect(salvageQueue(empty, 0)).resolves.toEqual({
      state: null,
      outbox: [],
    })
  })

  it('moves a queue whole into an empty replica, which then asks the server to start over', async () => {
    const old = await olderReplica()
    const salvaged = await salvageQueue(old.pglite, 0)
    const fresh = await replica()

    const moved = await restoreQueues(fresh.db, SPACE, [salvaged])

    expect(moved).toBe(1)
    const requests: SyncRequest[] = []
    const transport: SyncTransport = async (request) => {
      requests.push(request)
      return {
        protocol: 2,
        kind: 'patch',
        cursor: formatCursor(SPACE, 5),
        lastMutationId: request.mutations.at(-1)?.id ?? 1,
        refused: [],
        upserts: [],
        deletes: [],
      }
    }
    const engine = await SyncEngine.open({
      storage: fresh.storage,
      transport,
      spaceId: SPACE,
    })
    expect(engine.clientId).toBe(old.clientId)
    await engine.flush()

    expect(requests[0]).toMatchObject({
      clientId: old.clientId,
      cursor: null,
      mutations: [],
      schemaVersion: SCHEMA_VERSION,
    })
    // The server holds mutation 1 already: the pending one is numbered on.
    expect(requests[1]!.mutations).toMatchObject([
      { id: 2, name: 'createAvatar', args: { id: old.second } },
    ])
    expect(await engine.pendingMutations()).toEqual([])
  })

  it('appends a queue to a replica that already has a client, numbered on', async () => {
    const old = await olderReplica()
    const salvaged = await salvageQueue(old.pglite, 0)
    const fresh = await replica()
    const engine = await SyncEngine.open({
      storage: fresh.storage,
      transport: () => Promise.reject(new Error('offline')),
      spaceId: SPACE,
    })
    await engine.mutate('renameAvatar', { id: old.first, name: 'Owlet' })

    await restoreQueues(fresh.db, SPACE, [salvaged])

    const pending = await engine.pendingMutations()
    expect(pending.map((entry) => [entry.id, entry.name])).toEqual([
      [1, 'renameAvatar'],
      [2, 'createAvatar'],
    ])
    expect((await engine.readState()).lastMutationId).toBe(2)
    await expect(
      engine.mutate('setActive', { id: old.first, isActive: true }),
    ).resolves.toMatchObject({ id: 3 })
  })
})
