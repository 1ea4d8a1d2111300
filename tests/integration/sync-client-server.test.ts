import { randomUUID } from 'node:crypto'

import { PGlite } from '@electric-sql/pglite'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { signUp } from '@/app/server/accounts.server'
import { mergeGuestSpace } from '@/app/server/merge.server'
import { openDatabase, type ServerDatabase } from '@/db/connect.server'
import { syncClients } from '@/db/schema'
import { createDrizzleStorage } from '@/sync/client/drizzle-storage'
import { type RefusedMutation, SyncEngine } from '@/sync/client/engine'
import { openReplicaDatabase } from '@/sync/client/replica-db'
import type { ReplicaStorage } from '@/sync/client/storage'
import { SyncTransportError, type SyncTransport } from '@/sync/client/transport'
import { listAvatars } from '@/sync/server/mutators.server'
import { runSync, type SyncOptions } from '@/sync/server/sync.server'

/**
 * The engine against the real server round (`runSync`), in process: the
 * server on an in-memory database, two replicas each on their own PGlite.
 */

let server: ServerDatabase
const replicas: { pglite: PGlite; storage: ReplicaStorage }[] = []
let spaceId: string
let options: SyncOptions
let clock: number

beforeAll(async () => {
  server = await openDatabase({ dataDir: 'memory://' })
  for (let i = 0; i < 2; i++) {
    const pglite = await PGlite.create()
    const storage = createDrizzleStorage(await openReplicaDatabase(pglite))
    replicas.push({ pglite, storage })
  }
})

afterAll(async () => {
  await server.close()
  for (const { pglite } of replicas) await pglite.close()
})

beforeEach(async () => {
  for (const { storage } of replicas)
    await storage.transaction((tx) => tx.wipe())
  spaceId = `guest-${randomUUID()}`
  clock = Date.now()
  options = { tombstoneHorizonSeconds: 3600, now: () => new Date(clock) }
})

/** Calls the server round directly, as the route does for `viewer`. */
function serverTransport(viewer: () => string = () => spaceId): SyncTransport {
  return async (request) => {
    const outcome = await runSync(
      server.db,
      viewer(),
      structuredClone(request),
      options,
    )
    return structuredClone(outcome.response)
  }
}

function openClient(replica: number, transport = serverTransport()) {
  return SyncEngine.open({
    storage: replicas[replica]!.storage,
    transport,
    spaceId,
  })
}

const avatar = (name: string) => ({ id: randomUUID(), emoji: '🦊', name })

async function seed(engine: SyncEngine, names: string[]) {
  const ids: string[] = []
  for (const name of names) {
    ids.push((await engine.mutate('createAvatar', avatar(name))).args.id)
  }
  await engine.flush()
  return ids
}

describe('the client engine against the sync route', () => {
  it('converges two replicas with offline edits on what the server holds', async () => {
    const alice = await openClient(0)
    const bob = await openClient(1)
    const [fox, owl] = await seed(alice, ['Fox', 'Owl'])
    await bob.flush()
    expect(await bob.listAvatars()).toEqual(await alice.listAvatars())

    // Offline: neither syncs while both edit.
    await alice.mutate('renameAvatar', { id: fox!, name: 'Vixen' })
    await alice.mutate('createAvatar', avatar('Cat'))
    await alice.mutate('setActive', { id: owl!, isActive: true })
    await bob.mutate('setEmoji', { id: fox!, emoji: '🐺' })
    await bob.mutate('renameAvatar', { id: fox!, name: 'Wolf' })
    await bob.mutate('moveAvatar', { id: owl!, position: '1' })
    await bob.mutate('createAvatar', avatar('Dog'))

    await alice.flush()
    await bob.flush()
    await alice.flush()

    const onServer = await listAvatars(server.db, spaceId)
    expect(onServer.map((a) => [a.name, a.emoji, a.isActive])).toEqual([
      ['Owl', '🦊', true],
      ['Wolf', '🐺', false],
      ['Dog', '🦊', false],
      ['Cat', '🦊', false],
    ])
    expect(await alice.listAvatars()).toEqual(onServer)
    expect(await bob.listAvatars()).toEqual(onServer)
    expect(await alice.pendingMutations()).toEqual([])
    expect(await bob.pendingMutations()).toEqual([])
  })

  it('applies a push once when its answer is lost after the server committed it', async () => {
    let lose = false
    const inner = serverTransport()
    const engine = await openClient(0, async (request) => {
      const response = await inner(request)
      if (lose) {
        lose = false
        throw new SyncTransportError('sync/network', 'answer lost', {
          status: 503,
          retryable: true,
        })
      }
      return response
    })
    const [fox] = await seed(engine, ['Fox'])
    await engine.mutate('createAvatar', avatar('Once'))
    await engine.mutate('renameAvatar', { id: fox!, name: 'Renamed once' })
    const refusals: RefusedMutation[] = []
    engine.subscribe({ onRefused: (r) => refusals.push(...r) })

    lose = true
    await expect(engine.sync()).rejects.toMatchObject({ code: 'sync/network' })
    const retried = await engine.sync()

    expect(retried).toMatchObject({ pushed: 2, acknowledged: 2, pending: 0 })
    expect(refusals).toEqual([])
    const onServer = await listAvatars(server.db, spaceId)
    expect(onServer.map((a) => a.name)).toEqual(['Renamed once', 'Once'])
    expect(await engine.listAvatars()).toEqual(onServer)
    const [client] = await server.db
      .select()
      .from(syncClients)
      .where(eq(syncClients.id, engine.clientId))
    expect(client!.lastMutationId).toBe(3)
  })

  it('reports a refused mutation and rolls back its local effect', async () => {
    const alice = await openClient(0)
    const bob = await openClient(1)
    const [fox, owl] = await seed(alice, ['Fox', 'Owl'])
    await bob.flush()
    const refusals: RefusedMutation[] = []
    alice.subscribe({ onRefused: (r) => refusals.push(...r) })

    await bob.mutate('deleteAvatar', { id: fox! })
    await alice.mutate('renameAvatar', { id: fox!, name: 'Too late' })
    await alice.mutate('renameAvatar', { id: owl!, name: 'Kept' })
    await bob.flush()
    await alice.flush()

    expect(refusals).toEqual([
      expect.objectContaining({
        name: 'renameAvatar',
        args: { id: fox, name: 'Too late' },
        code: 'avatar/deleted',
        field: 'id',
      }),
    ])
    const onServer = await listAvatars(server.db, spaceId)
    expect(onServer.map((a) => a.name)).toEqual(['Kept'])
    expect(await alice.listAvatars()).toEqual(onServer)
    await bob.flush()
    expect(await bob.listAvatars()).toEqual(onServer)
  })

  it('resets a replica whose cursor fell behind the tombstone horizon', async () => {
    const alice = await openClient(0)
    const bob = await openClient(1)
    const [fox, owl] = await seed(alice, ['Fox', 'Owl'])
    await bob.flush()
    await alice.mutate('deleteAvatar', { id: owl! })
    await alice.flush()
    // An hour and more later, a write purges the tombstone Bob never saw.
    // From the wall clock: the delete stamped its tombstone with real time,
    // which may be seconds past this test's start on a busy machine.
    clock = Date.now() + 3_601_000
    await alice.mutate('renameAvatar', { id: fox!, name: 'Later' })
    await alice.flush()

    await bob.mutate('setActive', { id: owl!, isActive: true })
    await bob.mutate('setEmoji', { id: fox!, emoji: '🐺' })
    const refusals: RefusedMutation[] = []
    bob.subscribe({ onRefused: (r) => refusals.push(...r) })
    const results = await bob.flush()

    expect(results[0]!.kind).toBe('reset')
    expect(refusals.map((r) => [r.name, r.code])).toEqual([
      ['setActive', 'avatar/not-found'],
    ])
    const onServer = await listAvatars(server.db, spaceId)
    expect(onServer.map((a) => [a.name, a.emoji])).toEqual([['Later', '🐺']])
    expect(await bob.listAvatars()).toEqual(onServer)
  })

  it('delivers to the old space before a switch, and the server refuses the rest', async () => {
    const oldSpace = spaceId
    const newSpace = `guest-${randomUUID()}`
    let viewer = oldSpace
    const engine = await openClient(
      0,
      serverTransport(() => viewer),
    )
    const [fox] = await seed(engine, ['Fox'])
    await engine.mutate('renameAvatar', { id: fox!, name: 'Delivered' })

    const first = await engine.switchSpace(newSpace, { deliver: true })
    expect(first).toMatchObject({ delivered: 1, undelivered: [] })
    expect((await listAvatars(server.db, oldSpace))[0]!.name).toBe('Delivered')

    // The new client pushes into the new space, then the viewer changes
    // again before the next edit is delivered.
    viewer = newSpace
    await seed(engine, ['Owl'])
    await engine.mutate('createAvatar', avatar('Stranded'))
    viewer = `guest-${randomUUID()}`
    const second = await engine.switchSpace(viewer, { deliver: true })

    expect(second.delivered).toBe(0)
    expect(second.undelivered.map((m) => m.name)).toEqual(['createAvatar'])
    expect((second.deliveryError as { code?: string }).code).toBe(
      'sync/client-space-mismatch',
    )
    expect((await listAvatars(server.db, newSpace)).map((a) => a.name)).toEqual(
      ['Owl'],
    )
    expect(await listAvatars(server.db, viewer)).toEqual([])
  })

  it('carries a queue never acknowledged into the account its space merged into, once', async () => {
    const guestSpace = spaceId
    let viewer = guestSpace
    let online = false
    const transport = serverTransport(() => viewer)
    const engine = await SyncEngine.open({
      storage: replicas[0]!.storage,
      transport: (request) =>
        online
          ? transport(request)
          : Promise.reject(
              new SyncTransportError('sync/network', 'offline', {
                status: 0,
                retryable: true,
              }),
            ),
      spaceId: guestSpace,
    })
    // Offline from the start: the server has never seen this client.
    const fox = await engine.mutate('createAvatar', avatar('Fox'))
    await engine.mutate('renameAvatar', { id: fox.args.id, name: 'Fox II' })
    await engine.mutate('createAvatar', avatar('Owl'))
    expect(
      await server.db
        .select()
        .from(syncClients)
        .where(eq(syncClients.id, engine.clientId)),
    ).toEqual([])

    const user = await signUp(
      server.db,
      {
        name: 'Ann',
        email: `ann-${randomUUID().slice(0, 8)}@example.com`,
        password: 'correct horse battery',
      },
      {
        address: 'test',
        limits: { perAddress: 100, perAccount: 100, windowSeconds: 900 },
        scrypt: { N: 2 ** 10, r: 8, p: 1 },
      },
    )
    const other = await SyncEngine.open({
      storage: replicas[1]!.storage,
      transport: serverTransport(() => user.spaceId),
      spaceId: user.spaceId,
    })
    const [kept] = await seed(other, ['Kept'])
    await mergeGuestSpace(server.db, { guestSpaceId: guestSpace, user })
    viewer = user.spaceId
    online = true

    await engine.adoptMergedSpace(user.spaceId)
    expect(engine.spaceId).toBe(user.spaceId)
    await engine.flush()

    expect(await engine.pendingMutations()).toEqual([])
    const onServer = await listAvatars(server.db, user.spaceId)
    // The queued creates keep the places the guest's replica gave them.
    expect(onServer.map((a) => a.name).sort()).toEqual([
      'Fox II',
      'Kept',
      'Owl',
    ])
    expect(onServer.map((a) => a.id)).toContain(kept)
    expect(await engine.listAvatars()).toEqual(onServer)
    // Nothing reached the guest's space, and a further round adds nothing.
    expect(await listAvatars(server.db, guestSpace)).toEqual([])
    await engine.sync()
    expect(await listAvatars(server.db, user.spaceId)).toHaveLength(3)
  })
})
