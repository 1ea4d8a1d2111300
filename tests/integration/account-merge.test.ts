import { randomUUID } from 'node:crypto'

import { asc, eq } from 'drizzle-orm'
import { expect, it } from 'vitest'

import { signUp } from '@/app/server/accounts.server'
import { mergeGuestSpace } from '@/app/server/merge.server'
import type { Database } from '@/db/connect.server'
import {
  avatars,
  spaceMerges,
  spaces,
  syncClients,
  syncRefusals,
} from '@/db/schema'
import { AppError } from '@/lib/errors'
import { MAX_AVATARS_PER_SPACE } from '@/sync/mutations'
import { spacedPositions } from '@/sync/position'
import type { SyncResponse } from '@/sync/protocol'
import { listAvatars } from '@/sync/server/mutators.server'
import { runSync } from '@/sync/server/sync.server'
import { describeEachEngine } from '../support/databases'

const scrypt = { N: 2 ** 10, r: 8, p: 1 }
const limits = { perAddress: 1000, perAccount: 1000, windowSeconds: 900 }
const options = { tombstoneHorizonSeconds: 3600 }

/** One replica: a client id, its cursor and its next mutation id. */
interface Client {
  id: string
  cursor: string | null
  next: number
}

function newClient(): Client {
  return { id: randomUUID(), cursor: null, next: 1 }
}

async function sync(
  db: Database,
  spaceId: string,
  client: Client,
  mutations: { name: string; args: object }[] = [],
): Promise<SyncResponse> {
  const pushed = mutations.map((mutation) => ({
    id: client.next++,
    ...mutation,
  }))
  const { response } = await runSync(
    db,
    spaceId,
    {
      protocol: 2,
      schemaVersion: 1,
      clientId: client.id,
      cursor: client.cursor,
      mutations: pushed,
    },
    options,
  )
  client.cursor = response.cursor
  return response
}

function create(name: string, emoji = '🦊') {
  return {
    name: 'createAvatar',
    args: { id: randomUUID(), name, emoji, isActive: false },
  }
}

async function snapshot(db: Database) {
  return {
    spaces: await db.select().from(spaces).orderBy(asc(spaces.id)),
    avatars: await db
      .select()
      .from(avatars)
      .orderBy(asc(avatars.spaceId), asc(avatars.id)),
    clients: await db.select().from(syncClients).orderBy(asc(syncClients.id)),
    refusals: await db.select().from(syncRefusals),
    merges: await db.select().from(spaceMerges),
  }
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  )
}

let counter = 0

describeEachEngine('account merge', (current) => {
  const db = () => current().database.db

  async function newUser() {
    counter += 1
    return signUp(
      db(),
      {
        name: 'Ann',
        email: `ann-${counter}-${randomUUID().slice(0, 8)}@example.com`,
        password: 'correct horse battery',
      },
      { address: `address-${counter}`, limits, scrypt },
    )
  }

  /** A guest whose replica pushed `names`; returns its space and client. */
  async function newGuest(names: string[], emoji = '🦊') {
    const spaceId = randomUUID()
    const client = newClient()
    await sync(db(), spaceId, client)
    await sync(
      db(),
      spaceId,
      client,
      names.map((name) => create(name, emoji)),
    )
    return { spaceId, client }
  }

  async function spaceVersion(spaceId: string) {
    const [row] = await db().select().from(spaces).where(eq(spaces.id, spaceId))
    return row?.version ?? 0
  }

  it('moves a guest roster into an empty account, in order, with fresh versions', async () => {
    const user = await newUser()
    const guest = await newGuest(['Ada', 'Bo', 'Cy'])
    const before = await listAvatars(db(), guest.spaceId)

    const result = await mergeGuestSpace(db(), {
      guestSpaceId: guest.spaceId,
      user,
    })

    const version = await spaceVersion(user.spaceId)
    expect(result).toEqual({ kind: 'merged', moved: 3, version })
    const moved = await listAvatars(db(), user.spaceId)
    expect(moved.map((avatar) => [avatar.id, avatar.name])).toEqual(
      before.map((avatar) => [avatar.id, avatar.name]),
    )
    expect(moved.every((avatar) => avatar.version === version)).toBe(true)
    expect(await listAvatars(db(), guest.spaceId)).toEqual([])
    const [client] = await db()
      .select()
      .from(syncClients)
      .where(eq(syncClients.id, guest.client.id))
    expect(client).toMatchObject({ spaceId: user.spaceId, lastMutationId: 3 })
    const [record] = await db()
      .select()
      .from(spaceMerges)
      .where(eq(spaceMerges.guestSpaceId, guest.spaceId))
    expect(record).toMatchObject({
      userId: user.id,
      userSpaceId: user.spaceId,
      moved: 3,
      version,
    })
  })

  it("keeps both rosters: the account's avatars first, then the guest's, look-alikes included", async () => {
    const user = await newUser()
    const device = newClient()
    await sync(db(), user.spaceId, device)
    await sync(db(), user.spaceId, device, [create('Ada'), create('Eve')])
    const guest = await newGuest(['Ada', 'Zed'])

    await mergeGuestSpace(db(), { guestSpaceId: guest.spaceId, user })

    const roster = await listAvatars(db(), user.spaceId)
    expect(roster.map((avatar) => avatar.name)).toEqual([
      'Ada',
      'Eve',
      'Ada',
      'Zed',
    ])
    // The other device pulls the moved avatars as an ordinary patch.
    const patch = await sync(db(), user.spaceId, device)
    expect(patch.kind).toBe('patch')
    expect(
      patch.kind === 'patch' && patch.upserts.map((avatar) => avatar.name),
    ).toEqual(['Ada', 'Zed'])
  })

  it('does nothing twice when the same guest signs in again', async () => {
    const user = await newUser()
    const guest = await newGuest(['Ada'])
    await mergeGuestSpace(db(), { guestSpaceId: guest.spaceId, user })
    const before = await snapshot(db())

    const again = await mergeGuestSpace(db(), {
      guestSpaceId: guest.spaceId,
      user,
    })

    expect(again).toEqual({ kind: 'already-merged', userId: user.id })
    expect(await snapshot(db())).toEqual(before)
  })

  it('runs two merges of one guest at once and moves its roster once', async () => {
    const user = await newUser()
    const guest = await newGuest(['Ada', 'Bo'])

    const results = await Promise.all([
      mergeGuestSpace(db(), { guestSpaceId: guest.spaceId, user }),
      mergeGuestSpace(db(), { guestSpaceId: guest.spaceId, user }),
    ])

    expect(results.map((result) => result.kind).sort()).toEqual([
      'already-merged',
      'merged',
    ])
    expect(await listAvatars(db(), user.spaceId)).toHaveLength(2)
  })

  it('leaves the guest, the account and every version as they were when the merge fails midway', async () => {
    const user = await newUser()
    const device = newClient()
    await sync(db(), user.spaceId, device)
    await sync(db(), user.spaceId, device, [create('Eve')])
    const guest = await newGuest(['Ada', 'Bo', 'Cy'])
    const before = await snapshot(db())

    const error = await caught(
      mergeGuestSpace(
        db(),
        { guestSpaceId: guest.spaceId, user },
        {
          async afterMove(moved) {
            if (moved === 2) throw new Error('injected failure')
          },
        },
      ),
    )

    expect((error as Error).message).toBe('injected failure')
    expect(await snapshot(db())).toEqual(before)
    // Nothing was recorded, so the next sign-in merges for real.
    const retried = await mergeGuestSpace(db(), {
      guestSpaceId: guest.spaceId,
      user,
    })
    expect(retried).toMatchObject({ kind: 'merged', moved: 3 })
  })

  it("accepts the guest replica's queued mutations after the merge and resets its cursor", async () => {
    const user = await newUser()
    const guest = await newGuest(['Ada'])
    const [ada] = await listAvatars(db(), guest.spaceId)
    // Queued while a guest; delivered after the sign-in, as the user.
    const queued = [
      { name: 'renameAvatar', args: { id: ada!.id, name: 'Ada L.' } },
      create('Bo'),
    ]

    await mergeGuestSpace(db(), { guestSpaceId: guest.spaceId, user })
    const response = await sync(db(), user.spaceId, guest.client, queued)

    expect(response).toMatchObject({
      kind: 'reset',
      reason: 'foreign-cursor',
      lastMutationId: 3,
      refused: [],
    })
    expect(
      response.kind === 'reset' && response.avatars.map((a) => a.name),
    ).toEqual(['Ada L.', 'Bo'])
    expect(
      (await listAvatars(db(), user.spaceId)).map((avatar) => avatar.name),
    ).toEqual(['Ada L.', 'Bo'])
    // A replay of the same push (a lost answer) applies nothing twice.
    guest.client.next -= 2
    await sync(db(), user.spaceId, guest.client, queued)
    expect(await listAvatars(db(), user.spaceId)).toHaveLength(2)
  })

  it('moves an avatar the guest pushes while the merge starts, once', async () => {
    const user = await newUser()
    const guest = await newGuest(['Ada'])
    let merging: Promise<unknown> | undefined

    const pushed = runSync(
      db(),
      guest.spaceId,
      {
        protocol: 2,
        schemaVersion: 1,
        clientId: guest.client.id,
        cursor: guest.client.cursor,
        mutations: [{ id: guest.client.next++, ...create('Bo') }],
      },
      {
        ...options,
        // The merge starts while the push holds its locks.
        async afterMutation() {
          merging = mergeGuestSpace(db(), {
            guestSpaceId: guest.spaceId,
            user,
          })
          await new Promise((resolve) => setTimeout(resolve, 100))
        },
      },
    )

    // The push commits first; its pull then runs before or after the merge,
    // answering for the guest space or finding the client rebound.
    const answer = await pushed.then(
      ({ response }) => response.lastMutationId,
      (error: unknown) => (error as AppError).code,
    )
    expect([2, 'sync/client-space-mismatch']).toContain(answer)
    await expect(merging).resolves.toMatchObject({ kind: 'merged', moved: 2 })
    expect(
      (await listAvatars(db(), user.spaceId)).map((avatar) => avatar.name),
    ).toEqual(['Ada', 'Bo'])
  })

  it('refuses with space/full, moving nothing, when both rosters pass the limit', async () => {
    const user = await newUser()
    const keys = spacedPositions(MAX_AVATARS_PER_SPACE)
    await db()
      .insert(avatars)
      .values(
        keys.slice(0, MAX_AVATARS_PER_SPACE - 1).map((position, index) => ({
          spaceId: user.spaceId,
          id: randomUUID(),
          name: `Avatar ${index}`,
          emoji: '🐢',
          position,
          version: 1,
        })),
      )
    await db()
      .update(spaces)
      .set({ version: 1 })
      .where(eq(spaces.id, user.spaceId))
    const guest = await newGuest(['Ada', 'Bo'])
    const before = await snapshot(db())

    const error = await caught(
      mergeGuestSpace(db(), { guestSpaceId: guest.spaceId, user }),
    )

    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'space/full', status: 409 })
    expect((error as Error).message).toContain('nothing was moved')
    expect(await snapshot(db())).toEqual(before)
  })

  it('answers an old guest cookie with an empty roster, never the account', async () => {
    const user = await newUser()
    const guest = await newGuest(['Ada'])
    const cursorBefore = guest.client.cursor
    await mergeGuestSpace(db(), { guestSpaceId: guest.spaceId, user })

    // The guest's old client is bound to the account now: refused as the guest.
    const rebound = await caught(
      sync(db(), guest.spaceId, { ...guest.client, cursor: cursorBefore }),
    )
    expect(rebound).toMatchObject({
      code: 'sync/client-space-mismatch',
      status: 409,
    })
    // Another client of the old guest: its cursor is reset to nothing.
    const other = { ...newClient(), cursor: cursorBefore }
    const response = await sync(db(), guest.spaceId, other)
    expect(response).toMatchObject({
      kind: 'reset',
      reason: 'expired-cursor',
      avatars: [],
    })
    const fresh = await sync(db(), guest.spaceId, newClient())
    expect(fresh).toMatchObject({ kind: 'patch', upserts: [], deletes: [] })
    // Nor can it pull the account's avatars by a second merge elsewhere.
    const intruder = await newUser()
    const again = await mergeGuestSpace(db(), {
      guestSpaceId: guest.spaceId,
      user: intruder,
    })
    expect(again).toEqual({ kind: 'already-merged', userId: user.id })
    expect(await listAvatars(db(), intruder.spaceId)).toEqual([])
    expect(await listAvatars(db(), user.spaceId)).toHaveLength(1)
  })

  it('merges a guest that never wrote, and makes its space dead all the same', async () => {
    const user = await newUser()
    const guestSpaceId = randomUUID()

    const result = await mergeGuestSpace(db(), { guestSpaceId, user })

    expect(result).toEqual({ kind: 'merged', moved: 0, version: null })
    expect(await spaceVersion(user.spaceId)).toBe(0)
  })
})
