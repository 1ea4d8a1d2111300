import { randomUUID } from 'node:crypto'

import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { AppError, isAppError } from '@/lib/errors'
import { createDrizzleStorage } from '@/sync/client/drizzle-storage'
import {
  type RefusedMutation,
  SyncEngine,
  type SyncEngineOptions,
} from '@/sync/client/engine'
import { parseMutationArgs } from '@/sync/client/local-mutators'
import { positionAfter } from '@/sync/position'
import { openReplicaDatabase } from '@/sync/client/replica-db'
import type { ReplicaStorage } from '@/sync/client/storage'
import { SyncTransportError, type SyncTransport } from '@/sync/client/transport'
import type { Avatar, MutationName } from '@/sync/mutations'
import {
  formatCursor,
  parseCursor,
  type Refusal,
  SCHEMA_VERSION,
  type SyncRequest,
  type SyncResponse,
} from '@/sync/protocol'

/**
 * A small in-process stand-in for the sync route, with the server's rules:
 * per-space versions, tombstones, exactly-once per client id, refusals that
 * still advance the id, resets for cursors it cannot continue.
 */
class FakeServer {
  readonly requests: SyncRequest[] = []
  readonly #spaces = new Map<
    string,
    { version: number; purged: number; rows: Map<string, ServerRow> }
  >()
  readonly #clients = new Map<
    string,
    { spaceId: string; last: number; refusals: Map<number, Refusal> }
  >()

  space(spaceId: string) {
    let space = this.#spaces.get(spaceId)
    if (!space) {
      space = { version: 0, purged: 0, rows: new Map() }
      this.#spaces.set(spaceId, space)
    }
    return space
  }

  /** The live avatars of a space, in roster order. */
  list(spaceId: string): Avatar[] {
    return [...this.space(spaceId).rows.values()]
      .filter((row) => !row.deleted)
      .map(({ deleted: _, ...avatar }) => avatar)
      .sort((a, b) =>
        a.position === b.position
          ? a.id.localeCompare(b.id)
          : a.position < b.position
            ? -1
            : 1,
      )
  }

  /** Drops the tombstones, so older cursors can only be reset. */
  purge(spaceId: string) {
    const space = this.space(spaceId)
    for (const [id, row] of space.rows) if (row.deleted) space.rows.delete(id)
    space.purged = space.version
  }

  /** Another client's write, straight into the space. */
  write(spaceId: string, name: MutationName, rawArgs: unknown) {
    const args = parseMutationArgs(name, rawArgs) as Record<string, unknown>
    const space = this.space(spaceId)
    const id = args.id as string
    const row = space.rows.get(id)
    if (name === 'createAvatar') {
      const taken = [...this.#spaces.values()].some((s) => s.rows.has(id))
      if (taken) throw new AppError('avatar/id-taken', 'taken', { status: 409 })
    } else if (!row) {
      throw new AppError('avatar/not-found', 'missing', { status: 404 })
    } else if (row.deleted) {
      throw new AppError('avatar/deleted', 'deleted', { status: 410 })
    }

    const version = ++space.version
    if (name === 'createAvatar') {
      space.rows.set(id, {
        id,
        emoji: args.emoji as string,
        name: args.name as string,
        isActive: args.isActive as boolean,
        position:
          (args.position as string | undefined) ??
          positionAfter(this.list(spaceId).at(-1)?.position ?? null),
        version,
        deleted: false,
      })
    } else if (name === 'deleteAvatar') {
      space.rows.set(id, { ...row!, deleted: true, version })
    } else {
      const { id: _, ...fields } = args
      space.rows.set(id, { ...row!, ...fields, version })
    }
  }

  handle(spaceId: string, request: SyncRequest): SyncResponse {
    this.requests.push(structuredClone(request))
    if (request.mutations.length > 0) this.#push(spaceId, request)

    const space = this.space(spaceId)
    const client = this.#clients.get(request.clientId)
    const bound = client?.spaceId === spaceId ? client : undefined
    const common = {
      protocol: 2 as const,
      cursor: formatCursor(spaceId, space.version),
      lastMutationId: bound?.last ?? 0,
      refused: request.mutations.flatMap(
        (m) => bound?.refusals.get(m.id) ?? [],
      ),
    }
    const cursor = request.cursor ? parseCursor(request.cursor) : null
    const reason =
      request.schemaVersion !== SCHEMA_VERSION
        ? 'schema-changed'
        : cursor && cursor.spaceId !== spaceId
          ? 'foreign-cursor'
          : cursor && cursor.version > space.version
            ? 'future-cursor'
            : cursor && cursor.version < space.purged
              ? 'expired-cursor'
              : null
    if (reason) {
      return { ...common, kind: 'reset', reason, avatars: this.list(spaceId) }
    }
    const since = cursor?.version ?? 0
    const changed = [...space.rows.values()].filter((r) => r.version > since)
    return {
      ...common,
      kind: 'patch',
      upserts: changed
        .filter((row) => !row.deleted)
        .map(({ deleted: _, ...avatar }) => avatar),
      deletes: changed.filter((row) => row.deleted).map((row) => row.id),
    }
  }

  #push(spaceId: string, request: SyncRequest) {
    let client = this.#clients.get(request.clientId)
    if (!client) {
      client = { spaceId, last: 0, refusals: new Map() }
      this.#clients.set(request.clientId, client)
    }
    if (client.spaceId !== spaceId) {
      throw new AppError('sync/client-space-mismatch', 'other space', {
        status: 409,
        field: 'clientId',
      })
    }
    const fresh = request.mutations.filter((m) => m.id > client.last)
    if (fresh.length > 0 && fresh[0]!.id !== client.last + 1) {
      throw new AppError('sync/mutation-gap', 'gap', { status: 409 })
    }
    for (const mutation of fresh) {
      try {
        this.write(spaceId, mutation.name, mutation.args)
      } catch (error) {
        if (!isAppError(error) || error.status >= 500) throw error
        client.refusals.set(mutation.id, {
          id: mutation.id,
          code: error.code,
          message: error.message,
        })
      }
      client.last = mutation.id
    }
  }
}

interface ServerRow extends Avatar {
  deleted: boolean
}

const SPACE = 'space-a'
const OTHER_SPACE = 'space-b'

let pglite: PGlite
let storage: ReplicaStorage
let server: FakeServer

beforeAll(async () => {
  pglite = await PGlite.create()
  storage = createDrizzleStorage(await openReplicaDatabase(pglite))
})

afterAll(async () => {
  await pglite.close()
})

beforeEach(async () => {
  await storage.transaction((tx) => tx.wipe())
  server = new FakeServer()
})

/** Speaks for `spaceId` (the viewer's space), in process. */
function transportFor(spaceId: () => string): SyncTransport {
  return async (request) =>
    structuredClone(server.handle(spaceId(), structuredClone(request)))
}

function open(options: Partial<SyncEngineOptions> = {}) {
  return SyncEngine.open({
    storage,
    transport: transportFor(() => SPACE),
    spaceId: SPACE,
    ...options,
  })
}

const avatar = (fields: Partial<Avatar> = {}) => ({
  id: randomUUID(),
  emoji: '🦊',
  name: 'Fox',
  ...fields,
})

/** An engine whose replica already holds `count` synced avatars. */
async function syncedEngine(
  count = 2,
  options: Partial<SyncEngineOptions> = {},
) {
  const engine = await open(options)
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const receipt = await engine.mutate(
      'createAvatar',
      avatar({ name: `A${i}` }),
    )
    ids.push(receipt.args.id)
  }
  await engine.flush()
  expect(await engine.pendingMutations()).toEqual([])
  return { engine, ids }
}

async function caught(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describe('opening a replica', () => {
  it('creates one client id on first open and keeps it when reopened', async () => {
    const first = await open()
    const again = await open()
    expect(first.clientId).toMatch(/^[0-9a-f-]{36}$/)
    expect(again.clientId).toBe(first.clientId)
    expect(await again.readState()).toMatchObject({
      spaceId: SPACE,
      cursor: null,
      lastMutationId: 0,
      schemaVersion: SCHEMA_VERSION,
    })
  })

  it('refuses to write or sync when the replica holds another space', async () => {
    await open()
    const mismatches: unknown[] = []
    const engine = await open({ spaceId: OTHER_SPACE })
    engine.subscribe({ onSpaceMismatch: (m) => mismatches.push(m) })

    expect(engine.spaceMismatch).toEqual({
      replicaSpaceId: SPACE,
      viewerSpaceId: OTHER_SPACE,
    })
    const write = await caught(engine.mutate('createAvatar', avatar()))
    expect([write.code, write.status]).toEqual(['sync/space-changed', 409])
    expect((await caught(engine.sync())).code).toBe('sync/space-changed')
    expect(server.requests).toEqual([])
    expect(await engine.pendingMutations()).toEqual([])
  })
})

describe('local mutations', () => {
  it('applies a mutation to the visible rows and queues it under the next id', async () => {
    const engine = await open()
    const changes: unknown[] = []
    engine.subscribe({ onChange: (ids) => changes.push(ids) })
    const fox = avatar({ name: '  Fox  ' })

    const created = await engine.mutate('createAvatar', fox)
    const renamed = await engine.mutate('renameAvatar', {
      id: fox.id,
      name: 'Vixen',
    })

    expect([created.id, renamed.id]).toEqual([1, 2])
    expect(await engine.listAvatars()).toEqual([
      {
        id: fox.id,
        emoji: '🦊',
        name: 'Vixen',
        isActive: false,
        position: created.args.position,
        version: 0,
      },
    ])
    expect(await engine.pendingMutations()).toEqual([
      {
        id: 1,
        name: 'createAvatar',
        args: { ...fox, name: 'Fox', isActive: false, position: 'i' },
      },
      { id: 2, name: 'renameAvatar', args: { id: fox.id, name: 'Vixen' } },
    ])
    expect((await engine.readState()).lastMutationId).toBe(2)
    expect(changes).toEqual([[fox.id], [fox.id]])
  })

  it('places a new avatar after the last one before queueing it', async () => {
    const engine = await open()
    const first = await engine.mutate('createAvatar', avatar())
    const second = await engine.mutate('createAvatar', avatar())
    const placed = await engine.mutate('createAvatar', {
      ...avatar(),
      position: '1',
    })

    expect(first.args.position! < second.args.position!).toBe(true)
    expect(placed.args.position).toBe('1')
    const roster = await engine.listAvatars()
    expect(roster.map((a) => a.id)).toEqual([
      placed.args.id,
      first.args.id,
      second.args.id,
    ])
  })

  it.each([
    ['createAvatar', 'id', { id: 'nope', emoji: '🦊', name: 'Fox' }],
    ['createAvatar', 'emoji', { id: randomUUID(), emoji: 'x', name: 'Fox' }],
    ['createAvatar', 'name', { id: randomUUID(), emoji: '🦊', name: '   ' }],
    ['renameAvatar', 'name', { id: randomUUID(), name: 'a'.repeat(41) }],
    ['setActive', 'isActive', { id: randomUUID(), isActive: 'yes' }],
    ['moveAvatar', 'position', { id: randomUUID(), position: 'A0' }],
    ['deleteAvatar', 'extra', { id: randomUUID(), extra: 1 }],
  ] as const)(
    'refuses an invalid %s locally, naming %s, and queues nothing',
    async (name, field, args) => {
      const engine = await open()
      const error = await caught(engine.mutate(name, args as never))
      expect([error.code, error.status, error.field]).toEqual([
        'mutation/invalid',
        400,
        field,
      ])
      expect(await engine.pendingMutations()).toEqual([])
      expect((await engine.readState()).lastMutationId).toBe(0)
    },
  )

  it('keeps the local write and the outbox atomic when the append fails', async () => {
    const engine = await open()
    await engine.mutate('createAvatar', avatar())
    const before = {
      avatars: await engine.listAvatars(),
      outbox: await engine.pendingMutations(),
      state: await engine.readState(),
    }
    const broken: ReplicaStorage = {
      transaction: (work) =>
        storage.transaction((tx) =>
          work({
            ...tx,
            appendOutbox: async () => {
              throw new Error('disk full')
            },
          }),
        ),
    }
    const failing = await open({ storage: broken })

    await expect(
      failing.mutate('renameAvatar', {
        id: before.avatars[0]!.id,
        name: 'Lost',
      }),
    ).rejects.toThrow('disk full')
    await expect(failing.mutate('createAvatar', avatar())).rejects.toThrow(
      'disk full',
    )
    expect(await engine.listAvatars()).toEqual(before.avatars)
    expect(await engine.pendingMutations()).toEqual(before.outbox)
    expect(await engine.readState()).toEqual(before.state)
  })

  it('queues a mutation aimed at a missing avatar without changing anything locally', async () => {
    const engine = await open()
    const changes: unknown[] = []
    engine.subscribe({ onChange: (ids) => changes.push(ids) })

    const receipt = await engine.mutate('renameAvatar', {
      id: randomUUID(),
      name: 'Ghost',
    })

    expect(receipt.applied).toBe(false)
    expect(await engine.listAvatars()).toEqual([])
    expect(await engine.pendingMutations()).toHaveLength(1)
    expect(changes).toEqual([])
  })
})

describe('sync rounds', () => {
  it('confirms the space with a pull before a new client pushes', async () => {
    const engine = await open()
    await engine.mutate('createAvatar', avatar())

    const first = await engine.sync()
    const second = await engine.sync()

    expect(server.requests.map((r) => r.mutations.length)).toEqual([0, 1])
    expect(first).toMatchObject({ pushed: 0, pending: 1, more: true })
    expect(second).toMatchObject({
      pushed: 1,
      acknowledged: 1,
      pending: 0,
      more: false,
    })
    expect(await engine.readState()).toMatchObject({
      cursor: `1@${SPACE}`,
      lastMutationId: 1,
      lastAckedId: 1,
    })
    expect(await engine.listAvatars()).toEqual(server.list(SPACE))
  })

  it('re-applies pending mutations on top of the pulled rows', async () => {
    const { ids } = await syncedEngine(1)
    const engine = await open({
      transport: async (request) => {
        // A write made while the round is in flight stays pending.
        await engine.mutate('setActive', { id: ids[0]!, isActive: true })
        return transportFor(() => SPACE)(request)
      },
    })
    await engine.mutate('setEmoji', { id: ids[0]!, emoji: '🐻' })
    server.write(SPACE, 'renameAvatar', { id: ids[0], name: 'Renamed' })

    const result = await engine.sync()

    expect(result).toMatchObject({ acknowledged: 1, pending: 1 })
    const [row] = await engine.listAvatars()
    expect(row).toMatchObject({
      name: 'Renamed',
      emoji: '🐻',
      isActive: true,
    })
    expect((await engine.pendingMutations()).map((m) => m.name)).toEqual([
      'setActive',
    ])
  })

  it('rolls back a refused mutation and reports it to the caller', async () => {
    const { engine, ids } = await syncedEngine(2)
    const refusals: RefusedMutation[][] = []
    const changes: unknown[] = []
    engine.subscribe({
      onRefused: (r) => refusals.push([...r]),
      onChange: (c) => changes.push(c),
    })
    server.write(SPACE, 'deleteAvatar', { id: ids[0] })
    await engine.mutate('renameAvatar', { id: ids[0]!, name: 'Too late' })
    await engine.mutate('renameAvatar', { id: ids[1]!, name: 'Kept' })
    expect((await engine.listAvatars()).map((a) => a.name)).toEqual([
      'Too late',
      'Kept',
    ])

    const result = await engine.sync()

    const refusal = {
      id: 3,
      name: 'renameAvatar',
      args: { id: ids[0], name: 'Too late' },
      code: 'avatar/deleted',
      message: 'deleted',
    }
    expect(result.refused).toEqual([refusal])
    expect(refusals).toEqual([[refusal]])
    expect(await engine.listAvatars()).toEqual(server.list(SPACE))
    expect((await engine.listAvatars()).map((a) => a.name)).toEqual(['Kept'])
    expect(await engine.pendingMutations()).toEqual([])
    expect(changes.at(-1)).toEqual(expect.arrayContaining([ids[0], ids[1]]))
  })

  it('reports the ids a pull changed, and nothing for an empty pull', async () => {
    const { engine, ids } = await syncedEngine(3)
    const changes: unknown[] = []
    engine.subscribe({ onChange: (c) => changes.push(c) })

    server.write(SPACE, 'setActive', { id: ids[1], isActive: true })
    expect((await engine.sync()).changed).toEqual([ids[1]])
    expect((await engine.sync()).changed).toEqual([])
    expect(changes).toEqual([[ids[1]]])
  })

  it('runs one round at a time and queues exactly one more behind it', async () => {
    const { ids } = await syncedEngine(1)
    const releases: (() => void)[] = []
    let inFlight = 0
    let most = 0
    const engine = await open({
      transport: async (request) => {
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise<void>((resolve) => releases.push(resolve))
        inFlight--
        return transportFor(() => SPACE)(request)
      },
    })
    const before = server.requests.length

    const first = engine.sync()
    await until(() => releases.length === 1)
    await engine.mutate('renameAvatar', { id: ids[0]!, name: 'Later' })
    const second = engine.sync()
    const third = engine.sync()
    expect(third).toBe(second)
    releases.shift()!()
    await first
    await until(() => releases.length === 1)
    releases.shift()!()
    const result = await second

    expect(most).toBe(1)
    expect(server.requests.length - before).toBe(2)
    expect(result.acknowledged).toBe(1)
    expect(server.list(SPACE)[0]!.name).toBe('Later')
  })

  it('never moves the cursor backwards on an older answer', async () => {
    const { engine, ids } = await syncedEngine(1)
    // The answer to a round that started before the rename, arriving late.
    const oldAnswer = server.handle(SPACE, {
      ...(await requestLike(engine)),
      cursor: `0@${SPACE}`,
    })
    server.write(SPACE, 'renameAvatar', { id: ids[0], name: 'Newer' })
    await engine.sync()
    const newer = await engine.readState()

    const replaying = await open({ transport: async () => oldAnswer })
    await replaying.sync()

    expect((await replaying.readState()).cursor).toBe(newer.cursor)
    expect((await replaying.listAvatars())[0]!.name).toBe('Newer')
  })

  it('applies a mutation once when the answer is lost after the server applied it', async () => {
    const { ids } = await syncedEngine(1)
    let lose = true
    const engine = await open({
      transport: async (request) => {
        const response = await transportFor(() => SPACE)(request)
        if (lose) {
          lose = false
          throw new SyncTransportError('sync/network', 'connection reset', {
            status: 503,
            retryable: true,
          })
        }
        return response
      },
    })
    await engine.mutate('createAvatar', avatar({ name: 'Once' }))
    await engine.mutate('renameAvatar', { id: ids[0]!, name: 'Twice?' })

    const lost = await caught(engine.sync())
    expect(lost.code).toBe('sync/network')
    const retried = await engine.sync()

    expect(retried.acknowledged).toBe(2)
    expect(server.list(SPACE).map((a) => a.name)).toEqual(['Twice?', 'Once'])
    expect(await engine.listAvatars()).toEqual(server.list(SPACE))
    expect(server.space(SPACE).version).toBe(3)
  })

  it('surfaces a permanent refusal of the whole round as an error', async () => {
    const engine = await open({
      transport: async () => {
        throw new AppError('sync/mutation-gap', 'expected 1', { status: 409 })
      },
    })
    const error = await caught(engine.sync())
    expect([error.code, error.status]).toEqual(['sync/mutation-gap', 409])
  })
})

describe('resets', () => {
  it('rebuilds from the snapshot and re-applies the pending mutations that still make sense', async () => {
    const { ids } = await syncedEngine(3)
    const changes: unknown[] = []
    const refusals: RefusedMutation[] = []
    let inFlight = true
    const engine = await open({
      transport: async (request) => {
        if (inFlight) {
          inFlight = false
          await engine.mutate('renameAvatar', { id: ids[1]!, name: 'Gone' })
          await engine.mutate('setActive', { id: ids[0]!, isActive: true })
        }
        return transportFor(() => SPACE)(request)
      },
    })
    engine.subscribe({
      onChange: (c) => changes.push(c),
      onRefused: (r) => refusals.push(...r),
    })
    // Another client deletes one, and the tombstone expires before we pull.
    server.write(SPACE, 'deleteAvatar', { id: ids[1] })
    server.write(SPACE, 'renameAvatar', { id: ids[2], name: 'Theirs' })
    server.purge(SPACE)

    const reset = await engine.sync()

    expect(reset).toMatchObject({ kind: 'reset', changed: 'all', pending: 2 })
    expect(await engine.listAvatars()).toEqual([
      expect.objectContaining({ id: ids[0], isActive: true }),
      expect.objectContaining({ id: ids[2], name: 'Theirs' }),
    ])
    // The rename of the vanished avatar is still pushed: the server decides.
    await engine.sync()
    expect(server.requests.at(-1)!.mutations.map((m) => m.name)).toEqual([
      'renameAvatar',
      'setActive',
    ])
    expect(refusals.map((r) => r.code)).toEqual(['avatar/not-found'])
    expect(await engine.listAvatars()).toEqual(server.list(SPACE))
    expect(changes).toContain('all')
  })

  it('asks for a reset after a schema change and keeps the mutations it can still parse', async () => {
    const { engine: before, ids } = await syncedEngine(1)
    const kept = avatar({ name: 'Kept' })
    await storage.transaction(async (tx) => {
      const state = (await tx.readState())!
      await tx.appendOutbox({ id: 2, name: 'waveAvatar', args: { id: ids[0] } })
      await tx.appendOutbox({
        id: 3,
        name: 'renameAvatar',
        args: { id: ids[0], name: '' },
      })
      await tx.appendOutbox({
        id: 4,
        name: 'createAvatar',
        args: { ...kept, isActive: false, position: 'z' },
      })
      await tx.writeState({
        ...state,
        lastMutationId: 4,
        schemaVersion: SCHEMA_VERSION + 1,
      })
    })
    expect(before.clientId).toBeDefined()

    const engine = await open()
    const refusals: RefusedMutation[] = []
    engine.subscribe({ onRefused: (r) => refusals.push(...r) })
    const first = await engine.sync()

    expect(server.requests.at(-1)).toMatchObject({
      cursor: null,
      mutations: [],
      schemaVersion: SCHEMA_VERSION,
    })
    expect(first).toMatchObject({ pending: 1, more: true })
    expect(refusals.map((r) => [r.id, r.name, r.code])).toEqual([
      [2, 'waveAvatar', 'sync/unreadable-mutation'],
      [3, 'renameAvatar', 'sync/unreadable-mutation'],
    ])
    expect(await engine.pendingMutations()).toEqual([
      expect.objectContaining({ id: 2, name: 'createAvatar' }),
    ])
    expect(await engine.readState()).toMatchObject({
      lastMutationId: 2,
      lastAckedId: 1,
      schemaVersion: SCHEMA_VERSION,
    })

    await engine.flush()
    expect(server.list(SPACE).map((a) => a.name)).toEqual(['A0', 'Kept'])
    expect(await engine.listAvatars()).toEqual(server.list(SPACE))
  })
})

describe('changing space', () => {
  it('delivers pending mutations to the old space, then starts a new client there', async () => {
    const { engine, ids } = await syncedEngine(1)
    const oldClient = engine.clientId
    server.write(OTHER_SPACE, 'createAvatar', avatar({ name: 'Theirs' }))
    await engine.mutate('renameAvatar', { id: ids[0]!, name: 'Delivered' })
    let viewer = SPACE
    const switching = await open({ transport: transportFor(() => viewer) })

    const result = await switching.switchSpace(OTHER_SPACE, { deliver: true })
    viewer = OTHER_SPACE

    expect(result).toMatchObject({ delivered: 1, refused: [], undelivered: [] })
    expect(server.list(SPACE)[0]!.name).toBe('Delivered')
    expect(result.clientId).not.toBe(oldClient)
    expect(switching.clientId).toBe(result.clientId)
    expect(await switching.listAvatars()).toEqual([])
    expect(await switching.readState()).toMatchObject({
      spaceId: OTHER_SPACE,
      cursor: null,
      lastMutationId: 0,
    })

    await switching.sync()
    expect((await switching.listAvatars()).map((a) => a.name)).toEqual([
      'Theirs',
    ])
  })

  it('returns what the old space will not take, and never applies it to the new one', async () => {
    const { engine, ids } = await syncedEngine(1)
    const mismatches: unknown[] = []
    engine.subscribe({ onSpaceMismatch: (m) => mismatches.push(m) })
    // The guest token expired: the same transport now speaks for a new guest.
    const stranded = await open({ transport: transportFor(() => OTHER_SPACE) })
    stranded.subscribe({ onSpaceMismatch: (m) => mismatches.push(m) })
    await stranded.mutate('renameAvatar', { id: ids[0]!, name: 'Stranded' })

    const error = await caught(stranded.sync())
    expect([error.code, error.status]).toEqual([
      'sync/client-space-mismatch',
      409,
    ])
    expect(stranded.spaceMismatch).toBeDefined()
    const result = await stranded.switchSpace(OTHER_SPACE, { deliver: true })

    expect(mismatches).toHaveLength(1)
    expect(result.delivered).toBe(0)
    expect(result.undelivered).toEqual([
      {
        id: 2,
        name: 'renameAvatar',
        args: { id: ids[0], name: 'Stranded' },
      },
    ])
    expect(isAppError(result.deliveryError)).toBe(true)
    expect(server.list(OTHER_SPACE)).toEqual([])
    expect(server.list(SPACE)[0]!.name).toBe('A0')
    await stranded.flush()
    expect(await stranded.listAvatars()).toEqual([])
  })

  it('never pushes from a client the server has not bound when the viewer changed', async () => {
    const mismatches: unknown[] = []
    const engine = await open({ transport: transportFor(() => OTHER_SPACE) })
    engine.subscribe({ onSpaceMismatch: (m) => mismatches.push(m) })
    await engine.mutate('createAvatar', avatar({ name: 'Offline' }))

    const error = await caught(engine.sync())

    expect(error.code).toBe('sync/space-changed')
    expect(server.requests.map((r) => r.mutations.length)).toEqual([0])
    expect(server.list(OTHER_SPACE)).toEqual([])
    expect(mismatches).toEqual([
      { replicaSpaceId: SPACE, viewerSpaceId: OTHER_SPACE },
    ])
    const result = await engine.switchSpace(OTHER_SPACE, {
      deliver: transportFor(() => OTHER_SPACE),
    })
    expect(result.undelivered.map((m) => m.name)).toEqual(['createAvatar'])
    expect(server.list(OTHER_SPACE)).toEqual([])
  })

  it('hands back every pending mutation when the old identity cannot push', async () => {
    const engine = await open()
    await engine.mutate('createAvatar', avatar())
    await engine.mutate('createAvatar', avatar())

    const result = await engine.switchSpace(OTHER_SPACE, { deliver: false })

    expect(result.undelivered.map((m) => m.id)).toEqual([1, 2])
    expect(server.requests).toEqual([])
    expect(await engine.pendingMutations()).toEqual([])
    expect(await engine.listAvatars()).toEqual([])
  })
})

async function requestLike(engine: SyncEngine): Promise<SyncRequest> {
  const state = await engine.readState()
  return {
    protocol: 2,
    schemaVersion: SCHEMA_VERSION,
    clientId: state.clientId,
    cursor: state.cursor,
    mutations: [],
  }
}

async function until(condition: () => boolean) {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  expect(condition()).toBe(true)
}
