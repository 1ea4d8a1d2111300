import { randomUUID } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { AppError } from '@/lib/errors'
import {
  applyLocalMutation,
  completeMutation,
  parseMutationArgs,
  prepareMutation,
} from '@/sync/client/local-mutators'
import { createMemoryStorage } from '@/sync/client/memory-storage'
import type { AvatarStore, ReplicaTransaction } from '@/sync/client/storage'
import { type Avatar, MAX_AVATARS_PER_SPACE } from '@/sync/mutations'

const SPACE = 'space-a'

/** Runs `work` on the visible rows of a fresh in-memory replica. */
async function withStore<T>(
  work: (store: AvatarStore, tx: ReplicaTransaction) => Promise<T>,
  rows: Avatar[] = [],
): Promise<T> {
  const storage = createMemoryStorage()
  return storage.transaction(async (tx) => {
    const store = tx.visible(SPACE)
    for (const row of rows) await store.put(row)
    return work(store, tx)
  })
}

const row = (fields: Partial<Avatar> = {}): Avatar => ({
  id: randomUUID(),
  emoji: '🦊',
  name: 'Fox',
  isActive: false,
  position: 'i',
  version: 3,
  ...fields,
})

function thrown(run: () => unknown): AppError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected a throw')
}

describe('parseMutationArgs', () => {
  it('normalises arguments the way the server does', () => {
    const id = randomUUID()
    expect(
      parseMutationArgs('createAvatar', { id, emoji: '❤', name: ' Ann ' }),
    ).toEqual({ id, emoji: '❤️', name: 'Ann', isActive: false })
  })

  it.each([
    ['a missing field', { id: randomUUID() }, 'name', 'name is required'],
    [
      'an unknown field',
      { id: randomUUID(), name: 'Ann', colour: 'red' },
      'colour',
      'unknown field: colour',
    ],
    ['a bad id', { id: 'nope', name: 'Ann' }, 'id', 'id must be a UUID'],
  ])(
    'refuses %s with mutation/invalid naming the field',
    (_, args, field, message) => {
      const error = thrown(() => parseMutationArgs('renameAvatar', args))
      expect([error.code, error.status, error.field, error.message]).toEqual([
        'mutation/invalid',
        400,
        field,
        message,
      ])
    },
  )

  it('refuses a mutation name it does not know', () => {
    const error = thrown(() => parseMutationArgs('waveAvatar' as never, {}))
    expect([error.code, error.status, error.field]).toEqual([
      'mutation/unknown',
      400,
      'name',
    ])
  })
})

describe('completeMutation', () => {
  it('places a new avatar after the last position the replica shows', async () => {
    const last = row({ position: 'r' })
    const args = await withStore(
      (store) =>
        prepareMutation(store, 'createAvatar', {
          id: randomUUID(),
          emoji: '🦊',
          name: 'New',
        }),
      [row({ position: 'c' }), last],
    )
    expect(args.position! > last.position).toBe(true)
  })

  it('keeps a position the caller chose, and leaves other mutations alone', async () => {
    await withStore(async (store) => {
      const create = parseMutationArgs('createAvatar', {
        id: randomUUID(),
        emoji: '🦊',
        name: 'New',
        position: '5',
      })
      expect(await completeMutation(store, 'createAvatar', create)).toEqual(
        create,
      )
      const rename = { id: randomUUID(), name: 'Ann' }
      expect(await completeMutation(store, 'renameAvatar', rename)).toBe(rename)
    })
  })

  it('refuses a new avatar when the roster is full', async () => {
    const full = Array.from({ length: MAX_AVATARS_PER_SPACE }, () => row())
    const error = await withStore(
      (store) =>
        prepareMutation(store, 'createAvatar', {
          id: randomUUID(),
          emoji: '🦊',
          name: 'One too many',
        }).catch((caught: unknown) => caught),
      full,
    )
    expect(error).toMatchObject({ code: 'space/full', status: 409 })
  })
})

describe('applyLocalMutation', () => {
  it('creates an avatar with a version the server has yet to give', async () => {
    const id = randomUUID()
    const rows = await withStore(async (store) => {
      const args = await prepareMutation(store, 'createAvatar', {
        id,
        emoji: '🦊',
        name: 'Fox',
        isActive: true,
      })
      expect(await applyLocalMutation(store, 'createAvatar', args)).toBe(true)
      return store.list()
    })
    expect(rows).toEqual([
      {
        id,
        emoji: '🦊',
        name: 'Fox',
        isActive: true,
        position: 'i',
        version: 0,
      },
    ])
  })

  it.each([
    ['renameAvatar', { name: 'Ann' }],
    ['setEmoji', { emoji: '🐻' }],
    ['setActive', { isActive: true }],
    ['moveAvatar', { position: '2' }],
  ] as const)('%s changes only its own field', async (name, fields) => {
    const before = row()
    const [after] = await withStore(
      async (store) => {
        const args = parseMutationArgs(name, { id: before.id, ...fields })
        expect(await applyLocalMutation(store, name, args as never)).toBe(true)
        return store.list()
      },
      [before],
    )
    expect(after).toEqual({ ...before, ...fields })
  })

  it('removes a deleted avatar', async () => {
    const [kept, gone] = [row({ position: '1' }), row({ position: '2' })]
    const rows = await withStore(
      async (store) => {
        await applyLocalMutation(store, 'deleteAvatar', { id: gone.id })
        return store.list()
      },
      [kept, gone],
    )
    expect(rows).toEqual([kept])
  })

  it.each([
    ['renameAvatar', { name: 'Ann' }],
    ['setEmoji', { emoji: '🐻' }],
    ['setActive', { isActive: true }],
    ['moveAvatar', { position: '2' }],
    ['deleteAvatar', {}],
  ] as const)(
    'leaves the replica alone for %s of a missing avatar',
    async (name, fields) => {
      const existing = row()
      const rows = await withStore(
        async (store) => {
          const args = parseMutationArgs(name, { id: randomUUID(), ...fields })
          expect(await applyLocalMutation(store, name, args as never)).toBe(
            false,
          )
          return store.list()
        },
        [existing],
      )
      expect(rows).toEqual([existing])
    },
  )

  it('does not create an avatar over one with the same id', async () => {
    const existing = row()
    const rows = await withStore(
      async (store) => {
        const args = parseMutationArgs('createAvatar', {
          id: existing.id,
          emoji: '🐻',
          name: 'Bear',
          position: '1',
        })
        expect(await applyLocalMutation(store, 'createAvatar', args)).toBe(
          false,
        )
        return store.list()
      },
      [existing],
    )
    expect(rows).toEqual([existing])
  })
})

describe('the in-memory replica storage', () => {
  it('keeps nothing of a transaction that throws', async () => {
    const storage = createMemoryStorage()
    const kept = row()
    await storage.transaction((tx) => tx.visible(SPACE).put(kept))

    await expect(
      storage.transaction(async (tx) => {
        await tx.visible(SPACE).remove([kept.id])
        await tx.appendOutbox({ id: 1, name: 'deleteAvatar', args: {} })
        throw new Error('midway')
      }),
    ).rejects.toThrow('midway')

    const after = await storage.transaction(async (tx) => ({
      rows: await tx.visible(SPACE).list(),
      outbox: await tx.readOutbox(),
    }))
    expect(after).toEqual({ rows: [kept], outbox: [] })
  })

  it('keeps spaces apart and restores visible rows from the base', async () => {
    const storage = createMemoryStorage()
    const [a, b] = [row({ position: '1' }), row({ position: '2' })]
    const rows = await storage.transaction(async (tx) => {
      await tx.base(SPACE).put(a)
      await tx.visible(SPACE).put({ ...a, name: 'Local' })
      await tx.visible(SPACE).put(b)
      await tx.visible('space-b').put(row())
      await tx.restoreFromBase(SPACE, [a.id, b.id])
      return tx.visible(SPACE).list()
    })
    expect(rows).toEqual([a])
  })
})
