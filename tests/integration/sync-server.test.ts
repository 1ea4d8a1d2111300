import { randomUUID } from 'node:crypto'

import { asc } from 'drizzle-orm'
import { expect, it } from 'vitest'

import type { Database } from '@/db/connect.server'
import { avatars, spaces, syncClients, syncRefusals } from '@/db/schema'
import { AppError } from '@/lib/errors'
import { listAvatars } from '@/sync/server/mutators.server'
import {
  MAX_MUTATIONS_PER_PUSH,
  type PatchResponse,
  type ResetResponse,
  type SyncResponse,
} from '@/sync/protocol'
import { runSync, type SyncOptions } from '@/sync/server/sync.server'
import { describeEachEngine } from '../support/databases'

const options: SyncOptions = { tombstoneHorizonSeconds: 3600 }

interface Mutation {
  id: number
  name: string
  args: unknown
}

function body(
  clientId: string,
  cursor: string | null,
  mutations: Mutation[] = [],
  extra: object = {},
) {
  return {
    protocol: 2,
    schemaVersion: 1,
    clientId,
    cursor,
    mutations,
    ...extra,
  }
}

async function everything(db: Database) {
  return {
    spaces: await db.select().from(spaces).orderBy(asc(spaces.id)),
    avatars: await db.select().from(avatars).orderBy(asc(avatars.id)),
    clients: await db.select().from(syncClients).orderBy(asc(syncClients.id)),
    refusals: await db
      .select()
      .from(syncRefusals)
      .orderBy(asc(syncRefusals.clientId), asc(syncRefusals.mutationId)),
  }
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

const create = (
  id: number,
  avatarId: string,
  fields: object = {},
): Mutation => ({
  id,
  name: 'createAvatar',
  args: { id: avatarId, emoji: '🦊', name: 'Fox', position: 'm', ...fields },
})

const patch = (response: SyncResponse) => {
  expect(response.kind).toBe('patch')
  return response as PatchResponse
}

describeEachEngine('sync route core', (context, engine) => {
  const db = () => context().database.db

  /** A client of one space: pushes its queue, remembers its cursor. */
  function client(spaceId: string) {
    const clientId = randomUUID()
    let cursor: string | null = null
    let nextId = 1
    return {
      clientId,
      get cursor() {
        return cursor
      },
      async push(...mutations: Array<{ name: string; args: unknown }>) {
        const numbered = mutations.map((m) => ({ ...m, id: nextId++ }))
        const { response } = await runSync(
          db(),
          spaceId,
          body(clientId, cursor, numbered),
          options,
        )
        cursor = response.cursor
        return response
      },
      async pull() {
        const { response } = await runSync(
          db(),
          spaceId,
          body(clientId, cursor),
          options,
        )
        cursor = response.cursor
        return response
      },
    }
  }

  it('pushes, applies in order and answers with the changes', async () => {
    const space = `sync-${randomUUID()}`
    const a = randomUUID()
    const { response } = await runSync(
      db(),
      space,
      body(randomUUID(), null, [
        create(1, a),
        { id: 2, name: 'renameAvatar', args: { id: a, name: 'Vixen' } },
      ]),
      options,
    )
    const result = patch(response)
    expect(result.lastMutationId).toBe(2)
    expect(result.refused).toEqual([])
    // One push is one transaction: one version for all it changed.
    expect(result.cursor).toBe(`1@${space}`)
    expect(result.upserts).toEqual([
      expect.objectContaining({ id: a, name: 'Vixen', version: 1 }),
    ])
  })

  it('writes nothing for a round with nothing to push', async () => {
    const space = `sync-${randomUUID()}`
    const before = await everything(db())
    const { response } = await runSync(
      db(),
      space,
      body(randomUUID(), null),
      options,
    )
    expect(patch(response)).toMatchObject({
      cursor: `0@${space}`,
      upserts: [],
      deletes: [],
    })
    expect(await everything(db())).toEqual(before)
  })

  it('acknowledges a replayed push without applying it twice', async () => {
    const space = `sync-${randomUUID()}`
    const clientId = randomUUID()
    const a = randomUUID()
    const request = body(clientId, null, [
      create(1, a),
      { id: 2, name: 'setActive', args: { id: a, isActive: true } },
    ])
    await runSync(db(), space, request, options)
    const after = await everything(db())

    const { response } = await runSync(db(), space, request, options)

    expect(await everything(db())).toEqual(after)
    expect(response.lastMutationId).toBe(2)
  })

  it('answers a retry after a lost response with the same effects and refusals', async () => {
    const space = `sync-${randomUUID()}`
    const clientId = randomUUID()
    const a = randomUUID()
    const request = body(clientId, null, [
      create(1, a),
      { id: 2, name: 'renameAvatar', args: { id: a, name: '' } },
      { id: 3, name: 'setEmoji', args: { id: a, emoji: '🐼' } },
    ])
    const first = await runSync(db(), space, request, options)

    // The response never arrived: the client sends the same request again.
    const retry = await runSync(db(), space, request, options)

    expect(retry.response).toEqual(first.response)
    expect(retry.applied).toBe(0)
    const result = patch(retry.response)
    expect(result.refused).toEqual([
      expect.objectContaining({
        id: 2,
        code: 'mutation/invalid',
        field: 'name',
      }),
    ])
    expect(result.upserts).toEqual([
      expect.objectContaining({ emoji: '🐼', name: 'Fox' }),
    ])
  })

  it('refuses a push whose ids skip ahead, without effects', async () => {
    const space = `sync-${randomUUID()}`
    const fox = client(space)
    await fox.push({ name: 'createAvatar', args: create(0, randomUUID()).args })
    const before = await everything(db())

    const error = await refusal(
      runSync(
        db(),
        space,
        body(fox.clientId, fox.cursor, [create(3, randomUUID())]),
        options,
      ),
    )

    expect([error.code, error.status]).toEqual(['sync/mutation-gap', 409])
    expect(error.message).toBe('expected mutation 2 next, received 3')
    expect(await everything(db())).toEqual(before)
  })

  it('refuses a bad mutation for good, advances past it and applies the rest', async () => {
    const space = `sync-${randomUUID()}`
    const fox = client(space)
    const a = randomUUID()
    const response = patch(
      await fox.push(
        { name: 'createAvatar', args: create(0, a).args },
        { name: 'setEmoji', args: { id: a, emoji: 'nope' } },
        { name: 'renameAvatar', args: { id: a, name: 'Still here' } },
      ),
    )
    expect(response.lastMutationId).toBe(3)
    expect(response.refused).toEqual([
      {
        id: 2,
        code: 'mutation/invalid',
        message: 'emoji must be exactly one emoji',
        field: 'emoji',
      },
    ])
    expect((await listAvatars(db(), space))[0]).toMatchObject({
      emoji: '🦊',
      name: 'Still here',
    })
  })

  it('refuses a client id that another space already uses', async () => {
    const owner = client(`sync-${randomUUID()}`)
    await owner.push({
      name: 'createAvatar',
      args: create(0, randomUUID()).args,
    })
    const before = await everything(db())

    for (const mutations of [[create(2, randomUUID())], []]) {
      const error = await refusal(
        runSync(
          db(),
          `sync-${randomUUID()}`,
          body(owner.clientId, null, mutations),
          options,
        ),
      )
      expect([error.code, error.status]).toEqual([
        'sync/client-space-mismatch',
        409,
      ])
    }
    expect(await everything(db())).toEqual(before)
  })

  const clientId = randomUUID()
  const okMutation = create(1, randomUUID())
  it.each([
    ['a string body', 'hello', 400, 'sync/unsupported-protocol'],
    [
      'a deeply nested protocol',
      JSON.parse('{"protocol":' + '['.repeat(5000) + ']'.repeat(5000) + '}'),
      400,
      'sync/unsupported-protocol',
    ],
    ['a null body', null, 400, 'sync/unsupported-protocol'],
    [
      'no protocol',
      { ...body(clientId, null), protocol: undefined },
      400,
      'sync/unsupported-protocol',
    ],
    [
      'a future protocol',
      { ...body(clientId, null), protocol: 3 },
      400,
      'sync/unsupported-protocol',
    ],
    [
      'protocol 0',
      { ...body(clientId, null), protocol: 0 },
      400,
      'sync/unsupported-protocol',
    ],
    [
      'an unknown field',
      body(clientId, null, [], { spaceId: 'other' }),
      400,
      'sync/invalid-request',
    ],
    [
      'a non-UUID client id',
      body('client-1', null),
      400,
      'sync/invalid-request',
    ],
    ['a made-up cursor', body(clientId, 'latest'), 400, 'sync/invalid-request'],
    [
      'mutations that are not a list',
      { ...body(clientId, null), mutations: {} },
      400,
      'sync/invalid-request',
    ],
    [
      'an unknown mutation',
      body(clientId, null, [{ id: 1, name: 'dropTable', args: {} }]),
      400,
      'sync/invalid-request',
    ],
    [
      'a fractional mutation id',
      body(clientId, null, [{ ...okMutation, id: 1.5 }]),
      400,
      'sync/invalid-request',
    ],
    [
      'a negative mutation id',
      body(clientId, null, [{ ...okMutation, id: -1 }]),
      400,
      'sync/invalid-request',
    ],
    [
      'a mutation with extra fields',
      body(clientId, null, [{ ...okMutation, space: 'x' } as Mutation]),
      400,
      'sync/invalid-request',
    ],
    [
      'ids out of order',
      body(clientId, null, [create(2, randomUUID()), create(1, randomUUID())]),
      400,
      'sync/invalid-request',
    ],
    [
      'repeated ids',
      body(clientId, null, [create(1, randomUUID()), create(1, randomUUID())]),
      400,
      'sync/invalid-request',
    ],
    [
      `more than ${MAX_MUTATIONS_PER_PUSH} mutations`,
      body(
        clientId,
        null,
        Array.from({ length: MAX_MUTATIONS_PER_PUSH + 1 }, (_, i) =>
          create(i + 1, randomUUID()),
        ),
      ),
      413,
      'sync/too-many-mutations',
    ],
  ])(
    'answers %s with a 4xx and writes nothing',
    async (_, payload, status, code) => {
      const before = await everything(db())
      const error = await refusal(
        runSync(db(), `sync-${randomUUID()}`, payload, options),
      )
      expect([error.status, error.code]).toEqual([status, code])
      expect(error.message.length).toBeGreaterThan(10)
      expect(await everything(db())).toEqual(before)
    },
  )

  it('refuses a mutation with a control character in an unknown key, storing a tame refusal', async () => {
    const space = `sync-${randomUUID()}`
    const clientId = randomUUID()
    const request = body(clientId, null, [
      {
        id: 1,
        name: 'createAvatar',
        args: { ...(create(0, randomUUID()).args as object), 'x\u0000y\nz': 1 },
      },
    ])

    const first = await runSync(db(), space, request, options)
    const replay = await runSync(db(), space, request, options)

    expect(first.response.refused).toEqual([
      expect.objectContaining({ code: 'mutation/invalid', field: 'x?y?z' }),
    ])
    expect(replay.response.refused).toEqual(first.response.refused)
  })

  it('names the field of a wrong-typed value instead of calling it missing', async () => {
    const space = `sync-${randomUUID()}`
    const a = randomUUID()
    const { response } = await runSync(
      db(),
      space,
      body(randomUUID(), null, [
        create(1, a),
        { id: 2, name: 'setActive', args: { id: a, isActive: 'true' } },
      ]),
      options,
    )
    expect(response.refused).toEqual([
      expect.objectContaining({
        field: 'isActive',
        message: expect.stringMatching(/^isActive: .*expected boolean/),
      }),
    ])
  })

  it('names the field of a bad request, version by version', async () => {
    const error = await refusal(
      runSync(
        db(),
        `sync-${randomUUID()}`,
        { ...body(randomUUID(), null), cursor: undefined },
        options,
      ),
    )
    expect([error.code, error.field, error.message]).toEqual([
      'sync/invalid-request',
      'cursor',
      'cursor is required',
    ])
  })

  it('accepts the previous protocol version', async () => {
    const space = `sync-${randomUUID()}`
    const v1 = {
      protocol: 1,
      clientId: randomUUID(),
      cursor: null,
      mutations: [create(1, randomUUID())],
    }
    const { response } = await runSync(db(), space, v1, options)
    expect(response).toMatchObject({ protocol: 2, lastMutationId: 1 })
    expect(await listAvatars(db(), space)).toHaveLength(1)
  })

  it('keeps the later of two renames (arrival order)', async () => {
    const space = `sync-${randomUUID()}`
    const [one, two] = [client(space), client(space)]
    const a = randomUUID()
    await one.push({ name: 'createAvatar', args: create(0, a).args })
    await two.pull()
    await two.push({
      name: 'renameAvatar',
      args: { id: a, name: 'From two' },
    })
    await one.push({
      name: 'renameAvatar',
      args: { id: a, name: 'From one' },
    })
    await two.pull()
    expect((await listAvatars(db(), space))[0]!.name).toBe('From one')
  })

  it('keeps both edits when they change different fields', async () => {
    const space = `sync-${randomUUID()}`
    const [one, two] = [client(space), client(space)]
    const a = randomUUID()
    await one.push({ name: 'createAvatar', args: create(0, a).args })
    await one.push({ name: 'renameAvatar', args: { id: a, name: 'Renamed' } })
    await two.push({ name: 'setEmoji', args: { id: a, emoji: '🐙' } })
    expect((await listAvatars(db(), space))[0]).toMatchObject({
      name: 'Renamed',
      emoji: '🐙',
    })
  })

  it('lets a delete win over an edit that arrives after it', async () => {
    const space = `sync-${randomUUID()}`
    const [one, two] = [client(space), client(space)]
    const a = randomUUID()
    await one.push({ name: 'createAvatar', args: create(0, a).args })
    await one.push({ name: 'deleteAvatar', args: { id: a } })
    const response = patch(
      await two.push({
        name: 'renameAvatar',
        args: { id: a, name: 'Too late' },
      }),
    )
    expect(response.refused).toEqual([
      expect.objectContaining({ code: 'avatar/deleted' }),
    ])
    expect(response.deletes).toEqual([a])
    expect(await listAvatars(db(), space)).toEqual([])
  })

  it('lets a delete win over an edit that arrived before it', async () => {
    const space = `sync-${randomUUID()}`
    const [one, two] = [client(space), client(space)]
    const a = randomUUID()
    await one.push({ name: 'createAvatar', args: create(0, a).args })
    await two.push({ name: 'renameAvatar', args: { id: a, name: 'Early' } })
    await one.push({ name: 'deleteAvatar', args: { id: a } })
    expect(await listAvatars(db(), space)).toEqual([])
  })

  it('answers the second of two deletes with avatar/deleted', async () => {
    const space = `sync-${randomUUID()}`
    const [one, two] = [client(space), client(space)]
    const a = randomUUID()
    await one.push({ name: 'createAvatar', args: create(0, a).args })
    await one.push({ name: 'deleteAvatar', args: { id: a } })
    const response = await two.push({ name: 'deleteAvatar', args: { id: a } })
    expect(response.refused.map((r) => r.code)).toEqual(['avatar/deleted'])
  })

  it('keeps the later of two moves, and orders equal positions by id', async () => {
    const space = `sync-${randomUUID()}`
    const [one, two] = [client(space), client(space)]
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()]
    await one.push(
      { name: 'createAvatar', args: create(0, a, { position: 'c' }).args },
      { name: 'createAvatar', args: create(0, b, { position: 'g' }).args },
      { name: 'createAvatar', args: create(0, c, { position: 'k' }).args },
    )
    // Offline, both move `a`; then each moves another avatar to one spot.
    await one.push({ name: 'moveAvatar', args: { id: a, position: 'e' } })
    await two.push({ name: 'moveAvatar', args: { id: a, position: 'z' } })
    expect((await listAvatars(db(), space)).map((row) => row.id)).toEqual([
      b,
      c,
      a,
    ])

    await one.push({ name: 'moveAvatar', args: { id: b, position: 'p' } })
    await two.push({ name: 'moveAvatar', args: { id: c, position: 'p' } })
    const tied = [b, c].sort()
    expect((await listAvatars(db(), space)).map((row) => row.id)).toEqual([
      ...tied,
      a,
    ])
  })

  it('tells a client with an old cursor to reset once tombstones are purged', async () => {
    const space = `sync-${randomUUID()}`
    const tiny: SyncOptions = { tombstoneHorizonSeconds: 0 }
    const stale = client(space)
    const a = randomUUID()
    const b = randomUUID()
    await stale.push({ name: 'createAvatar', args: create(0, a).args })
    const clientId = randomUUID()
    await runSync(
      db(),
      space,
      body(clientId, null, [
        { id: 1, name: 'deleteAvatar', args: { id: a } },
        create(2, b),
      ]),
      tiny,
    )
    // A later write purges the tombstone (its horizon is zero seconds).
    await runSync(
      db(),
      space,
      body(clientId, null, [
        { id: 3, name: 'setActive', args: { id: b, isActive: true } },
      ]),
      tiny,
    )

    const { response } = await runSync(
      db(),
      space,
      body(stale.clientId, stale.cursor),
      tiny,
    )

    expect(response.kind).toBe('reset')
    const reset = response as ResetResponse
    expect(reset.reason).toBe('expired-cursor')
    expect(reset.avatars.map((row) => row.id)).toEqual([b])
  })

  it.each([
    [
      'a cursor from another space',
      (space: string) => body(randomUUID(), `1@${space}-other`),
      'foreign-cursor',
    ],
    [
      'a cursor from the future',
      (space: string) => body(randomUUID(), `99@${space}`),
      'future-cursor',
    ],
    [
      'another schema version',
      (space: string) => ({
        ...body(randomUUID(), `1@${space}`),
        schemaVersion: 7,
      }),
      'schema-changed',
    ],
  ])(
    'resets a client sending %s with a snapshot of its own space',
    async (_, make, reason) => {
      const space = `sync-${randomUUID()}`
      const other = `sync-${randomUUID()}`
      await client(other).push({
        name: 'createAvatar',
        args: create(0, randomUUID(), { name: 'Secret' }).args,
      })
      await client(space).push({
        name: 'createAvatar',
        args: create(0, randomUUID(), { name: 'Mine' }).args,
      })

      const { response } = await runSync(db(), space, make(space), options)

      expect(response).toMatchObject({
        kind: 'reset',
        reason,
        cursor: `1@${space}`,
      })
      expect(
        (response as ResetResponse).avatars.map((row) => row.name),
      ).toEqual(['Mine'])
    },
  )

  it('never reaches another space through any field', async () => {
    const owner = `sync-${randomUUID()}`
    const theirs = randomUUID()
    await client(owner).push({
      name: 'createAvatar',
      args: create(0, theirs, { name: 'Secret' }).args,
    })
    const before = await everything(db())
    const intruder = `sync-${randomUUID()}`
    const clientId = randomUUID()

    const { response } = await runSync(
      db(),
      intruder,
      body(clientId, `1@${owner}`, [
        { id: 1, name: 'renameAvatar', args: { id: theirs, name: 'Mine' } },
        { id: 2, name: 'deleteAvatar', args: { id: theirs } },
        {
          id: 3,
          name: 'createAvatar',
          args: { ...(create(0, theirs).args as object) },
        },
        {
          id: 4,
          name: 'renameAvatar',
          args: { id: theirs, name: 'x', spaceId: owner },
        },
      ]),
      options,
    )

    expect(response.refused.map((r) => r.code)).toEqual([
      'avatar/not-found',
      'avatar/not-found',
      'avatar/id-taken',
      'mutation/invalid',
    ])
    expect(JSON.stringify(response)).not.toContain('Secret')
    expect(response).toMatchObject({
      kind: 'reset',
      reason: 'foreign-cursor',
      avatars: [],
    })
    const after = await everything(db())
    expect(after.avatars).toEqual(before.avatars)
  })

  it('answers a database failure with a 5xx and advances nothing', async () => {
    const space = `sync-${randomUUID()}`
    const fox = client(space)
    await fox.push({ name: 'createAvatar', args: create(0, randomUUID()).args })
    const before = await everything(db())
    let calls = 0

    const error = await runSync(
      db(),
      space,
      body(fox.clientId, fox.cursor, [
        create(2, randomUUID()),
        create(3, randomUUID()),
      ]),
      {
        ...options,
        afterMutation: async () => {
          if (++calls === 2) throw new Error('connection reset by peer')
        },
      },
    ).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(Error)
    expect(error).not.toBeInstanceOf(AppError)
    expect(await everything(db())).toEqual(before)
  })

  it.skipIf(engine === 'pglite')(
    'hands out no cursor past a row a concurrent push has not committed yet',
    async () => {
      const space = `sync-${randomUUID()}`
      const [one, two, reader] = [client(space), client(space), client(space)]
      await one.push({
        name: 'createAvatar',
        args: create(0, randomUUID()).args,
      })
      await reader.pull()

      const gate = () => {
        let open!: () => void
        const opened = new Promise<void>((resolve) => (open = resolve))
        let reached!: () => void
        const arrived = new Promise<void>((resolve) => (reached = resolve))
        return { open, opened, reached, arrived }
      }
      const first = gate()
      const second = gate()
      const [a, b] = [randomUUID(), randomUUID()]

      const pushOne = runSync(
        db(),
        space,
        body(one.clientId, one.cursor, [create(2, a)]),
        {
          ...options,
          afterMutation: async () => {
            first.reached()
            await first.opened
          },
        },
      )
      await first.arrived
      const pushTwo = runSync(
        db(),
        space,
        body(two.clientId, null, [create(1, b)]),
        {
          ...options,
          afterMutation: async () => {
            second.reached()
            await second.opened
          },
        },
      )
      // While both are open the reader sees neither.
      expect(patch(await reader.pull()).upserts).toEqual([])

      first.open()
      await pushOne
      await second.arrived
      const between = patch(await reader.pull())
      second.open()
      await pushTwo
      const after = patch(await reader.pull())

      expect(between.upserts.map((row) => row.id)).toEqual([a])
      expect(after.upserts.map((row) => row.id)).toEqual([b])
    },
  )
})
