import { randomUUID } from 'node:crypto'

import { and, eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'

import type { Database } from '@/db/connect.server'
import { avatars, spaces } from '@/db/schema'
import { AppError } from '@/lib/errors'
import { MAX_AVATARS_PER_SPACE, type MutationName } from '@/sync/mutations'
import { applyMutation, listAvatars } from '@/sync/server/mutators.server'
import { describeEachEngine, rowsOf } from '../support/databases'

const newSpace = () => `test-${randomUUID()}`

function mutate(
  db: Database,
  spaceId: string,
  name: MutationName,
  args: unknown,
) {
  return db.transaction((tx) => applyMutation(tx, spaceId, name, args))
}

async function create(db: Database, spaceId: string, fields: object = {}) {
  const effect = await mutate(db, spaceId, 'createAvatar', {
    id: randomUUID(),
    emoji: '🦊',
    name: 'Fox',
    ...fields,
  })
  if (effect.kind !== 'upsert') throw new Error('expected an upsert')
  return effect.avatar
}

async function spaceVersion(db: Database, spaceId: string) {
  const [row] = await db
    .select({ version: spaces.version })
    .from(spaces)
    .where(eq(spaces.id, spaceId))
  return row?.version
}

/** Everything stored for a space, tombstones included: "nothing changed". */
async function snapshot(db: Database, spaceId: string) {
  const rows = await db
    .select()
    .from(avatars)
    .where(eq(avatars.spaceId, spaceId))
    .orderBy(avatars.id)
  return { version: await spaceVersion(db, spaceId), rows }
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describeEachEngine('server mutators', (context) => {
  const db = () => context().database.db

  it('creates the space row on its first write, not before', async () => {
    const spaceId = newSpace()
    expect(await listAvatars(db(), spaceId)).toEqual([])
    expect(await spaceVersion(db(), spaceId)).toBeUndefined()

    const avatar = await create(db(), spaceId)

    expect(await spaceVersion(db(), spaceId)).toBe(1)
    expect(avatar.version).toBe(1)
  })

  it('bumps the space version on every write and stamps the row with it', async () => {
    const spaceId = newSpace()
    const avatar = await create(db(), spaceId)
    await mutate(db(), spaceId, 'renameAvatar', {
      id: avatar.id,
      name: 'Vixen',
    })
    const effect = await mutate(db(), spaceId, 'setActive', {
      id: avatar.id,
      isActive: true,
    })

    expect(await spaceVersion(db(), spaceId)).toBe(3)
    expect(effect).toMatchObject({ kind: 'upsert', avatar: { version: 3 } })
  })

  it('appends new avatars to the end of the roster', async () => {
    const spaceId = newSpace()
    const names = ['Ann', 'Bob', 'Cy', 'Dee']
    for (const name of names) await create(db(), spaceId, { name })

    const roster = await listAvatars(db(), spaceId)
    expect(roster.map((a) => a.name)).toEqual(names)
  })

  it('changes only the field each mutation names', async () => {
    const spaceId = newSpace()
    const avatar = await create(db(), spaceId, { name: 'Ann', emoji: '🐱' })

    await mutate(db(), spaceId, 'renameAvatar', {
      id: avatar.id,
      name: ' Anna ',
    })
    await mutate(db(), spaceId, 'setEmoji', { id: avatar.id, emoji: '🐶' })
    await mutate(db(), spaceId, 'setActive', { id: avatar.id, isActive: true })
    await mutate(db(), spaceId, 'moveAvatar', { id: avatar.id, position: 'm' })

    const [stored] = await listAvatars(db(), spaceId)
    expect(stored).toEqual({
      id: avatar.id,
      name: 'Anna',
      emoji: '🐶',
      isActive: true,
      position: 'm',
      version: 5,
    })
  })

  it('orders by position, breaking ties by id', async () => {
    const spaceId = newSpace()
    const ids = [randomUUID(), randomUUID(), randomUUID()]
    await create(db(), spaceId, { id: ids[0], position: 'k' })
    await create(db(), spaceId, { id: ids[1], position: 'k' })
    await create(db(), spaceId, { id: ids[2], position: 'a' })

    const roster = await listAvatars(db(), spaceId)
    const tied = [ids[0]!, ids[1]!].sort()
    expect(roster.map((a) => a.id)).toEqual([ids[2], ...tied])
  })

  it('orders positions byte by byte, whatever the database collation', async () => {
    const spaceId = newSpace()
    for (const position of ['b', 'a1', 'Z'.toLowerCase(), '9', 'a']) {
      await create(db(), spaceId, { position })
    }
    const roster = await listAvatars(db(), spaceId)
    expect(roster.map((a) => a.position)).toEqual(['9', 'a', 'a1', 'b', 'z'])
  })

  it('keeps a deleted avatar as a tombstone and hides it from the roster', async () => {
    const spaceId = newSpace()
    const avatar = await create(db(), spaceId)

    const effect = await mutate(db(), spaceId, 'deleteAvatar', {
      id: avatar.id,
    })

    expect(effect).toEqual({ kind: 'delete', id: avatar.id, version: 2 })
    expect(await listAvatars(db(), spaceId)).toEqual([])
    const [row] = await db()
      .select()
      .from(avatars)
      .where(and(eq(avatars.spaceId, spaceId), eq(avatars.id, avatar.id)))
    expect(row?.deletedAt).toBeInstanceOf(Date)
    expect(row?.version).toBe(2)
  })

  it.each([
    ['renameAvatar', { name: 'Again' }],
    ['setEmoji', { emoji: '🐸' }],
    ['setActive', { isActive: true }],
    ['moveAvatar', { position: 'b' }],
    ['deleteAvatar', {}],
  ] as const)(
    'refuses %s on a deleted avatar (avatar/deleted, 410)',
    async (name, fields) => {
      const spaceId = newSpace()
      const avatar = await create(db(), spaceId)
      await mutate(db(), spaceId, 'deleteAvatar', { id: avatar.id })
      const before = await snapshot(db(), spaceId)

      const error = await refusal(
        mutate(db(), spaceId, name, { id: avatar.id, ...fields }),
      )

      expect([error.code, error.status]).toEqual(['avatar/deleted', 410])
      expect(await snapshot(db(), spaceId)).toEqual(before)
    },
  )

  it.each([
    ['renameAvatar', { name: 'Mine now' }],
    ['setEmoji', { emoji: '🐸' }],
    ['setActive', { isActive: true }],
    ['moveAvatar', { position: 'b' }],
    ['deleteAvatar', {}],
  ] as const)(
    'never touches another space: %s answers avatar/not-found (404)',
    async (name, fields) => {
      const owner = newSpace()
      const intruder = newSpace()
      const theirs = await create(db(), owner, { name: 'Private' })
      await create(db(), intruder)
      const ownerBefore = await snapshot(db(), owner)
      const intruderBefore = await snapshot(db(), intruder)

      const error = await refusal(
        mutate(db(), intruder, name, { id: theirs.id, ...fields }),
      )

      expect([error.code, error.status]).toEqual(['avatar/not-found', 404])
      expect(error.message).not.toContain('Private')
      expect(await snapshot(db(), owner)).toEqual(ownerBefore)
      expect(await snapshot(db(), intruder)).toEqual(intruderBefore)
    },
  )

  it('refuses to create an avatar with an id used in another space', async () => {
    const owner = newSpace()
    const intruder = newSpace()
    const theirs = await create(db(), owner, { name: 'Private' })
    const ownerBefore = await snapshot(db(), owner)

    const error = await refusal(create(db(), intruder, { id: theirs.id }))

    expect([error.code, error.status, error.field]).toEqual([
      'avatar/id-taken',
      409,
      'id',
    ])
    expect(await snapshot(db(), owner)).toEqual(ownerBefore)
    expect(await spaceVersion(db(), intruder)).toBeUndefined()
  })

  const validId = '6b1e2f4a-5c3d-4e8f-9a0b-1c2d3e4f5a6b'
  it.each([
    ['an empty name', { name: '' }, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a 41-character name', { name: 'x'.repeat(41) }, 'name'],
    ['a name with a control character', { name: 'a\u0007b' }, 'name'],
    ['a name with a NUL', { name: 'a\u0000b' }, 'name'],
    ['a name with a newline', { name: 'a\nb' }, 'name'],
    ['a number as name', { name: 42 }, 'name'],
    ['a missing name', { name: undefined }, 'name'],
    ['two emoji', { emoji: '😀😀' }, 'emoji'],
    ['a letter as emoji', { emoji: 'a' }, 'emoji'],
    ['an empty emoji', { emoji: '' }, 'emoji'],
    ['an emoji with a space', { emoji: ' 😀' }, 'emoji'],
    ['a non-UUID id', { id: 'not-a-uuid' }, 'id'],
    ['a non-boolean isActive', { isActive: 'yes' }, 'isActive'],
    ['a position ending in 0', { position: 'a0' }, 'position'],
    ['a position with capitals', { position: 'A' }, 'position'],
    ['a 201-character position', { position: 'a'.repeat(201) }, 'position'],
    ['an unknown field', { spaceId: 'someone-else' }, 'spaceId'],
  ])(
    'refuses %s (mutation/invalid, 400) and writes nothing',
    async (_, fields, field) => {
      const spaceId = newSpace()
      const args = { id: validId, emoji: '🦊', name: 'Fox', ...fields }

      const error = await refusal(mutate(db(), spaceId, 'createAvatar', args))

      expect([error.code, error.status, error.field]).toEqual([
        'mutation/invalid',
        400,
        field,
      ])
      expect(await snapshot(db(), spaceId)).toEqual({
        version: undefined,
        rows: [],
      })
    },
  )

  it('refuses a write to an existing space without changing its version', async () => {
    const spaceId = newSpace()
    const avatar = await create(db(), spaceId)
    const before = await snapshot(db(), spaceId)

    const error = await refusal(
      mutate(db(), spaceId, 'renameAvatar', { id: avatar.id, name: '' }),
    )

    expect(error.code).toBe('mutation/invalid')
    expect(await snapshot(db(), spaceId)).toEqual(before)
  })

  it('refuses a new avatar once the roster is full (space/full, 409)', async () => {
    const spaceId = newSpace()
    await db()
      .insert(avatars)
      .values(
        Array.from({ length: MAX_AVATARS_PER_SPACE }, (_, i) => ({
          spaceId,
          id: randomUUID(),
          emoji: '🐝',
          name: `Bee ${i}`,
          position: `a${i.toString(36)}z`,
          version: 1,
        })),
      )
    await db().insert(spaces).values({ id: spaceId, version: 1 })

    const error = await refusal(create(db(), spaceId))

    expect([error.code, error.status]).toEqual(['space/full', 409])
    expect(await spaceVersion(db(), spaceId)).toBe(1)
  })

  describe('database checks, for writes that bypass validation', () => {
    it.each([
      ['an untrimmed name', { name: ' Fox' }],
      ['an empty name', { name: '' }],
      ['a 41-character name', { name: 'x'.repeat(41) }],
      ['a name with a control character', { name: 'a\u0007b' }],
      ['an empty emoji', { emoji: '' }],
      ['an emoji with a space', { emoji: '😀 ' }],
      ['a position ending in 0', { position: 'a0' }],
      ['a position with capitals', { position: 'A' }],
    ])('rejects %s', async (_, fields) => {
      const insert = db()
        .insert(avatars)
        .values({
          spaceId: newSpace(),
          id: randomUUID(),
          emoji: '🦊',
          name: 'Fox',
          position: 'a',
          version: 1,
          ...fields,
        })
      await expect(insert).rejects.toThrow()
    })
  })

  it('respaces the roster instead of failing when appended keys grow long', async () => {
    const spaceId = newSpace()
    const first = await create(db(), spaceId, { name: 'First' })
    const last = await create(db(), spaceId, {
      name: 'Last',
      position: 'z'.repeat(200),
    })

    const next = await create(db(), spaceId, { name: 'Next' })

    const roster = await listAvatars(db(), spaceId)
    expect(roster.map((a) => a.name)).toEqual(['First', 'Last', 'Next'])
    expect(roster.every((a) => a.position.length <= 4)).toBe(true)
    // The long key was respaced by the write that brought it, and every
    // respaced row carries that write's version.
    expect(last.position.length).toBeLessThanOrEqual(4)
    expect(roster.map((a) => a.version)).toEqual([
      last.version,
      last.version,
      next.version,
    ])
    expect([first.id, last.id]).toEqual(roster.slice(0, 2).map((a) => a.id))
  })

  it('respaces after a move leaves a long key, keeping the order', async () => {
    const spaceId = newSpace()
    const a = await create(db(), spaceId, { name: 'A', position: 'm' })
    await create(db(), spaceId, { name: 'B', position: 'm1' })
    const long = 'm0' + '0'.repeat(60) + '1'
    const effect = await mutate(db(), spaceId, 'moveAvatar', {
      id: a.id,
      position: long,
    })

    const roster = await listAvatars(db(), spaceId)
    expect(roster.map((row) => row.name)).toEqual(['A', 'B'])
    expect(effect.kind === 'upsert' && effect.avatar.position.length).toBe(2)
  })

  it('survives a thousand appends and deletes with short keys', async () => {
    const spaceId = newSpace()
    let previous = await create(db(), spaceId)
    for (let i = 0; i < 120; i++) {
      const next = await create(db(), spaceId)
      await mutate(db(), spaceId, 'deleteAvatar', { id: previous.id })
      previous = next
    }
    const roster = await listAvatars(db(), spaceId)
    expect(roster).toHaveLength(1)
    expect(roster[0]!.position.length).toBeLessThanOrEqual(48)
  })

  it('indexes rows by space and version for "changed since V"', async () => {
    const result = await db().execute(
      sql`select indexdef from pg_indexes where indexname = 'avatars_space_version_idx'`,
    )
    const rows = rowsOf<{ indexdef: string }>(result)
    expect(rows[0]?.indexdef).toMatch(/\(space_id, version\)/)
  })
})
