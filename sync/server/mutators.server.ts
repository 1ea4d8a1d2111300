import 'server-only'

import { and, asc, eq, isNull, max, sql } from 'drizzle-orm'

import type { Database } from '../../db/connect.server'
import { avatars, spaces } from '../../db/schema'
import { AppError } from '../../lib/errors'
import {
  type Avatar,
  MAX_AVATARS_PER_SPACE,
  type MutationArgs,
  type MutationName,
  parseMutation,
} from '../mutations'
import { positionAfter, spacedPositions } from '../position'

/** What a mutation did: the avatar as it now stands, or its deletion. */
export type MutationEffect =
  | { kind: 'upsert'; avatar: Avatar }
  | { kind: 'delete'; id: string; version: number }

/**
 * The writes of one transaction to one space. The space's version is bumped
 * once, by the first mutation that passes validation: that takes the space's
 * row lock (ordering its writes) and creates the space on its first write.
 * Every row the transaction changes is stamped with that version.
 */
export interface SpaceWrite {
  spaceId: string
  version(): Promise<number>
}

export function openSpaceWrite(tx: Database, spaceId: string): SpaceWrite {
  let version: Promise<number> | undefined
  return {
    spaceId,
    version: () => (version ??= bumpSpaceVersion(tx, spaceId)),
  }
}

/**
 * Applies one mutation to the viewer's space. Must run inside a transaction;
 * pass a `SpaceWrite` to share one version bump among several mutations. A
 * refusal is thrown before anything is written by this mutation (an
 * `AppError` with a 4xx status); the caller decides whether to roll back.
 */
export async function applyMutation<N extends MutationName>(
  tx: Database,
  target: string | SpaceWrite,
  name: N,
  rawArgs: unknown,
): Promise<MutationEffect> {
  const args = parseMutation(name, rawArgs)
  const write = typeof target === 'string' ? openSpaceWrite(tx, target) : target
  const version = await write.version()
  return mutators[name](tx, { spaceId: write.spaceId, version }, args as never)
}

interface WriteContext {
  spaceId: string
  version: number
}

type Mutator<N extends MutationName> = (
  tx: Database,
  context: WriteContext,
  args: MutationArgs<N>,
) => Promise<MutationEffect>

const mutators: { [N in MutationName]: Mutator<N> } = {
  async createAvatar(tx, { spaceId, version }, args) {
    await assertCanCreate(tx, spaceId, args.id)
    let position =
      args.position ?? positionAfter(await lastPosition(tx, spaceId))
    if (!args.position && position.length > REBALANCE_AT) {
      await respace(tx, { spaceId, version })
      position = positionAfter(await lastPosition(tx, spaceId))
    }
    const [row] = await tx
      .insert(avatars)
      .values({
        spaceId,
        id: args.id,
        emoji: args.emoji,
        name: args.name,
        isActive: args.isActive,
        position,
        version,
      })
      .returning()
    return settle(tx, { spaceId, version }, row!)
  },

  renameAvatar: (tx, context, { id, name }) =>
    updateAvatar(tx, context, id, { name }),

  setEmoji: (tx, context, { id, emoji }) =>
    updateAvatar(tx, context, id, { emoji }),

  setActive: (tx, context, { id, isActive }) =>
    updateAvatar(tx, context, id, { isActive }),

  async moveAvatar(tx, context, { id, position }) {
    const row = await updateLive(tx, context, id, {
      position,
      updatedAt: new Date(),
    })
    return settle(tx, context, row)
  },

  async deleteAvatar(tx, context, { id }) {
    const now = new Date()
    await updateLive(tx, context, id, { deletedAt: now, updatedAt: now })
    return { kind: 'delete', id, version: context.version }
  },
}

type AvatarFields = Partial<
  Pick<typeof avatars.$inferInsert, 'name' | 'emoji' | 'isActive' | 'position'>
>

async function updateAvatar(
  tx: Database,
  context: WriteContext,
  id: string,
  fields: AvatarFields,
): Promise<MutationEffect> {
  const row = await updateLive(tx, context, id, {
    ...fields,
    updatedAt: new Date(),
  })
  return { kind: 'upsert', avatar: toAvatar(row) }
}

/**
 * Updates a live avatar of the space in one statement; when none matched,
 * finds out why (never there, or deleted) to refuse with the right code.
 */
async function updateLive(
  tx: Database,
  { spaceId, version }: WriteContext,
  id: string,
  fields: Partial<typeof avatars.$inferInsert>,
) {
  const [row] = await tx
    .update(avatars)
    .set({ ...fields, version })
    .where(
      and(
        eq(avatars.spaceId, spaceId),
        eq(avatars.id, id),
        isNull(avatars.deletedAt),
      ),
    )
    .returning()
  if (row) return row
  await refuseMissing(tx, spaceId, id)
  throw new Error('unreachable: refuseMissing always throws')
}

/** Past this length, a write's position makes the space's keys be respaced. */
export const REBALANCE_AT = 48

/**
 * Keeps position keys short. Appends and repeated moves into one gap make
 * keys grow; once a written key passes REBALANCE_AT, every live avatar of the
 * space gets an evenly spaced two-digit key in the same order, stamped with
 * this write's version (clients pull them like any other change).
 */
async function settle(
  tx: Database,
  context: WriteContext,
  row: typeof avatars.$inferSelect,
): Promise<MutationEffect> {
  if (row.position.length <= REBALANCE_AT) {
    return { kind: 'upsert', avatar: toAvatar(row) }
  }
  await respace(tx, context)
  const [settled] = await tx
    .select()
    .from(avatars)
    .where(and(eq(avatars.spaceId, context.spaceId), eq(avatars.id, row.id)))
  return { kind: 'upsert', avatar: toAvatar(settled!) }
}

async function respace(tx: Database, context: WriteContext) {
  const live = await tx
    .select({ id: avatars.id })
    .from(avatars)
    .where(and(eq(avatars.spaceId, context.spaceId), isNull(avatars.deletedAt)))
    .orderBy(asc(avatars.position), asc(avatars.id))
  const keys = spacedPositions(live.length)
  for (const [index, { id }] of live.entries()) {
    await tx
      .update(avatars)
      .set({ position: keys[index]!, version: context.version })
      .where(and(eq(avatars.spaceId, context.spaceId), eq(avatars.id, id)))
  }
}

/** Bumps (or creates at 1) the space's version and returns the new value. */
export async function bumpSpaceVersion(
  tx: Database,
  spaceId: string,
): Promise<number> {
  const [row] = await tx
    .insert(spaces)
    .values({ id: spaceId, version: 1 })
    .onConflictDoUpdate({
      target: spaces.id,
      set: { version: sql`${spaces.version} + 1`, updatedAt: new Date() },
    })
    .returning({ version: spaces.version })
  return row!.version
}

async function refuseMissing(
  tx: Database,
  spaceId: string,
  id: string,
): Promise<never> {
  const [row] = await tx
    .select({ deletedAt: avatars.deletedAt })
    .from(avatars)
    .where(and(eq(avatars.spaceId, spaceId), eq(avatars.id, id)))
  if (!row) {
    throw new AppError('avatar/not-found', `no avatar with id ${id}`, {
      status: 404,
      field: 'id',
    })
  }
  throw new AppError('avatar/deleted', `avatar ${id} has been deleted`, {
    status: 410,
    field: 'id',
  })
}

/**
 * A new avatar's id must be unused in every space (the answer is the same
 * whichever space holds it, and nothing of that row is read or returned),
 * and the roster must have room.
 */
async function assertCanCreate(tx: Database, spaceId: string, id: string) {
  const [row] = await tx
    .select({
      taken: sql<boolean>`exists (select 1 from ${avatars} where ${avatars.id} = ${id})`,
      live: sql<number>`(select count(*)::int from ${avatars}
        where ${avatars.spaceId} = ${spaceId} and ${avatars.deletedAt} is null)`,
    })
    .from(sql`(select 1) as one`)
  if (row?.taken) {
    throw new AppError('avatar/id-taken', `avatar id ${id} is already in use`, {
      status: 409,
      field: 'id',
    })
  }
  if ((row?.live ?? 0) >= MAX_AVATARS_PER_SPACE) {
    throw new AppError(
      'space/full',
      `a roster holds at most ${MAX_AVATARS_PER_SPACE} avatars`,
      { status: 409 },
    )
  }
}

async function lastPosition(tx: Database, spaceId: string) {
  const [row] = await tx
    .select({ last: max(avatars.position) })
    .from(avatars)
    .where(and(eq(avatars.spaceId, spaceId), isNull(avatars.deletedAt)))
  return row?.last ?? null
}

export function toAvatar(row: typeof avatars.$inferSelect): Avatar {
  return {
    id: row.id,
    emoji: row.emoji,
    name: row.name,
    isActive: row.isActive,
    position: row.position,
    version: row.version,
  }
}

/** The space's live avatars in roster order. */
export async function listAvatars(
  db: Database,
  spaceId: string,
): Promise<Avatar[]> {
  const rows = await db
    .select()
    .from(avatars)
    .where(and(eq(avatars.spaceId, spaceId), isNull(avatars.deletedAt)))
    .orderBy(asc(avatars.position), asc(avatars.id))
  return rows.map(toAvatar)
}
