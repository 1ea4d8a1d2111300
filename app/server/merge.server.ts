import 'server-only'

import { and, asc, count, eq, isNull, max } from 'drizzle-orm'

import type { Database } from '@/db/connect.server'
import { avatars, spaceMerges, spaces, syncClients } from '@/db/schema'
import { AppError } from '@/lib/errors'
import { MAX_AVATARS_PER_SPACE } from '@/sync/mutations'
import { positionAfter, spacedPositions } from '@/sync/position'
import { bumpSpaceVersion, REBALANCE_AT } from '@/sync/server/mutators.server'

export interface MergeTarget {
  /** The guest's space (the guest id). */
  guestSpaceId: string
  user: { id: string; spaceId: string }
}

export interface MergeOptions {
  /** Test seam: runs after each avatar moved, inside the transaction. */
  afterMove?: (moved: number) => Promise<void>
}

export type MergeResult =
  | { kind: 'merged'; moved: number; version: number | null }
  /** The guest space was merged before: nothing was done. */
  | { kind: 'already-merged'; userId: string }

/**
 * Moves a guest's roster into a user's space, in one transaction (ADR 012).
 *
 * - Order: the user's avatars keep their places; the guest's follow the
 *   user's last one, in the guest's order, with fresh position keys.
 *   Avatars alike in name and emoji are all kept: nothing is lost, the
 *   person deletes what they do not want.
 * - Versions: the user's space version is bumped once and every moved row
 *   is stamped with it, so the user's other devices pull them. The guest
 *   space is emptied (tombstones too), its version bumped and marked
 *   purged, so any cursor on it gets a reset to an empty roster.
 * - Clients: sync clients bound to the guest space are rebound to the
 *   user's, so the guest replica's queued mutations are accepted there.
 * - Recorded in `space_merges`: a retry moves nothing and does not fail.
 *
 * Refuses with `space/full` (409) when both rosters together exceed the
 * space's limit; nothing is moved then, and nothing is recorded.
 */
export async function mergeGuestSpace(
  db: Database,
  { guestSpaceId, user }: MergeTarget,
  options: MergeOptions = {},
): Promise<MergeResult> {
  if (guestSpaceId === user.spaceId) {
    throw new AppError(
      'auth/merge-failed',
      'a guest space cannot be merged into itself',
    )
  }
  return db.transaction(async (tx) => {
    // The key serialises retries: a second merge of this guest waits for
    // the first to commit, then finds its record.
    const [recorded] = await tx
      .insert(spaceMerges)
      .values({ guestSpaceId, userId: user.id, userSpaceId: user.spaceId })
      .onConflictDoNothing()
      .returning()
    if (!recorded) {
      const [earlier] = await tx
        .select({ userId: spaceMerges.userId })
        .from(spaceMerges)
        .where(eq(spaceMerges.guestSpaceId, guestSpaceId))
      return { kind: 'already-merged', userId: earlier!.userId }
    }

    // Locks in the order a push takes them (its client row, then its
    // space), so a push of the guest racing the merge waits instead of
    // deadlocking; it then finds its client rebound. Both space rows are
    // locked (by their version bumps) before anything is read.
    await tx
      .select({ id: syncClients.id })
      .from(syncClients)
      .where(eq(syncClients.spaceId, guestSpaceId))
      .orderBy(asc(syncClients.id))
      .for('update')
    const guestVersion = await bumpSpaceVersion(tx, guestSpaceId)
    const guestRows = await liveAvatars(tx, guestSpaceId)
    const version =
      guestRows.length > 0 ? await bumpSpaceVersion(tx, user.spaceId) : null

    if (guestRows.length > 0) {
      await assertRoom(tx, user.spaceId, guestRows.length)
      await moveAvatars(tx, guestSpaceId, user.spaceId, version!, {
        ids: guestRows.map((row) => row.id),
        afterMove: options.afterMove,
      })
    }

    await tx.delete(avatars).where(eq(avatars.spaceId, guestSpaceId))
    await tx
      .update(spaces)
      .set({ purgedVersion: guestVersion })
      .where(eq(spaces.id, guestSpaceId))
    await tx
      .update(syncClients)
      .set({ spaceId: user.spaceId, updatedAt: new Date() })
      .where(eq(syncClients.spaceId, guestSpaceId))
    await tx
      .update(spaceMerges)
      .set({ moved: guestRows.length, version })
      .where(eq(spaceMerges.guestSpaceId, guestSpaceId))

    return { kind: 'merged', moved: guestRows.length, version }
  })
}

/** The space `guestSpaceId` was merged into, or null if it never was. */
export async function mergedInto(
  db: Database,
  guestSpaceId: string,
): Promise<string | null> {
  const [merge] = await db
    .select({ into: spaceMerges.userSpaceId })
    .from(spaceMerges)
    .where(eq(spaceMerges.guestSpaceId, guestSpaceId))
  return merge?.into ?? null
}

async function liveAvatars(tx: Database, spaceId: string) {
  return tx
    .select({ id: avatars.id })
    .from(avatars)
    .where(and(eq(avatars.spaceId, spaceId), isNull(avatars.deletedAt)))
    .orderBy(asc(avatars.position), asc(avatars.id))
}

async function assertRoom(tx: Database, spaceId: string, incoming: number) {
  const [row] = await tx
    .select({ live: count() })
    .from(avatars)
    .where(and(eq(avatars.spaceId, spaceId), isNull(avatars.deletedAt)))
  const live = row?.live ?? 0
  if (live + incoming > MAX_AVATARS_PER_SPACE) {
    throw new AppError(
      'space/full',
      `your account holds ${live} avatars and this device's roster ` +
        `${incoming}: together they pass the limit of ` +
        `${MAX_AVATARS_PER_SPACE}. Delete ${live + incoming - MAX_AVATARS_PER_SPACE} ` +
        'of them first; nothing was moved',
      { status: 409 },
    )
  }
}

async function moveAvatars(
  tx: Database,
  from: string,
  to: string,
  version: number,
  { ids, afterMove }: { ids: string[]; afterMove?: MergeOptions['afterMove'] },
) {
  const [row] = await tx
    .select({ last: max(avatars.position) })
    .from(avatars)
    .where(and(eq(avatars.spaceId, to), isNull(avatars.deletedAt)))
  let position = row?.last ?? null
  const now = new Date()
  for (const [index, id] of ids.entries()) {
    position = positionAfter(position)
    // A clash of ids (checked across spaces on create) fails the primary
    // key here and rolls the whole merge back.
    await tx
      .update(avatars)
      .set({ spaceId: to, position, version, updatedAt: now })
      .where(and(eq(avatars.spaceId, from), eq(avatars.id, id)))
    await afterMove?.(index + 1)
  }
  if (position !== null && position.length > REBALANCE_AT) {
    await respace(tx, to, version)
  }
}

/** Evenly spaced keys for the whole roster, in its order. */
async function respace(tx: Database, spaceId: string, version: number) {
  const live = await liveAvatars(tx, spaceId)
  const keys = spacedPositions(live.length)
  for (const [index, { id }] of live.entries()) {
    await tx
      .update(avatars)
      .set({ position: keys[index]!, version })
      .where(and(eq(avatars.spaceId, spaceId), eq(avatars.id, id)))
  }
}
