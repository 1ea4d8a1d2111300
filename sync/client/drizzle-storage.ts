import { and, asc, count, eq, inArray, lte, max } from 'drizzle-orm'

import type { avatarTable } from '../../db/schema/replicated'
import type { Avatar } from '../mutations'
import type { ReplicaDatabase } from './replica-db'
import { replicaSchema } from './replica-db'
import type {
  AvatarFields,
  AvatarStore,
  OutboxEntry,
  ReplicaState,
  ReplicaStorage,
  ReplicaTransaction,
} from './storage'

const { avatars, avatarsBase, outbox, syncState } = replicaSchema

type AvatarTable = ReturnType<typeof avatarTable<string>>
type Executor = Pick<ReplicaDatabase, 'select' | 'insert' | 'update' | 'delete'>

/**
 * The engine's storage on the replica database (Drizzle over PGlite, in the
 * browser or in memory under Node). Each engine transaction is one database
 * transaction.
 */
export function createDrizzleStorage(db: ReplicaDatabase): ReplicaStorage {
  return {
    transaction: (work) =>
      db.transaction((tx) => work(drizzleTransaction(tx as Executor))),
  }
}

function drizzleTransaction(tx: Executor): ReplicaTransaction {
  return {
    async readState() {
      const [row] = await tx
        .select()
        .from(syncState)
        .where(eq(syncState.key, 1))
      if (!row) return undefined
      return {
        clientId: row.clientId,
        spaceId: row.spaceId,
        cursor: row.cursor,
        lastMutationId: row.lastMutationId,
        lastAckedId: row.lastAckedId,
        schemaVersion: row.schemaVersion,
      }
    },

    async writeState(state: ReplicaState) {
      const values = { ...state, updatedAt: new Date() }
      await tx
        .insert(syncState)
        .values({ key: 1, ...values })
        .onConflictDoUpdate({ target: syncState.key, set: values })
    },

    async readOutbox() {
      const rows = await tx.select().from(outbox).orderBy(asc(outbox.id))
      return rows.map((row): OutboxEntry => ({
        id: row.id,
        name: row.name,
        args: row.args,
      }))
    },

    async appendOutbox(entry) {
      await tx.insert(outbox).values({
        id: entry.id,
        name: entry.name,
        args: entry.args,
      })
    },

    async dropOutbox(throughId) {
      await tx.delete(outbox).where(lte(outbox.id, throughId))
    },

    visible: (spaceId) => avatarStore(tx, avatars, spaceId),
    base: (spaceId) => avatarStore(tx, avatarsBase, spaceId),

    async restoreFromBase(spaceId, ids) {
      if (ids !== 'all' && ids.length === 0) return
      const inSpace = (table: AvatarTable) =>
        ids === 'all'
          ? eq(table.spaceId, spaceId)
          : and(eq(table.spaceId, spaceId), inArray(table.id, [...ids]))
      await tx.delete(avatars).where(inSpace(avatars))
      await tx
        .insert(avatars)
        .select(tx.select().from(avatarsBase).where(inSpace(avatarsBase)))
    },

    async wipe() {
      await tx.delete(avatars)
      await tx.delete(avatarsBase)
      await tx.delete(outbox)
      await tx.delete(syncState)
    },
  }
}

function avatarStore(
  tx: Executor,
  table: AvatarTable,
  spaceId: string,
): AvatarStore {
  const inSpace = eq(table.spaceId, spaceId)
  const byIds = (ids: readonly string[]) =>
    and(inSpace, inArray(table.id, [...ids]))

  return {
    async list() {
      const rows = await tx
        .select()
        .from(table)
        .where(inSpace)
        .orderBy(asc(table.position), asc(table.id))
      return rows.map(toAvatar)
    },

    async get(ids) {
      if (ids.length === 0) return []
      const rows = await tx.select().from(table).where(byIds(ids))
      return rows.map(toAvatar)
    },

    async count() {
      const [row] = await tx
        .select({ count: count() })
        .from(table)
        .where(inSpace)
      return row?.count ?? 0
    },

    async lastPosition() {
      const [row] = await tx
        .select({ last: max(table.position) })
        .from(table)
        .where(inSpace)
      return row?.last ?? null
    },

    async put(avatar: Avatar) {
      const fields = {
        emoji: avatar.emoji,
        name: avatar.name,
        isActive: avatar.isActive,
        position: avatar.position,
        version: avatar.version,
        updatedAt: new Date(),
      }
      await tx
        .insert(table)
        .values({ spaceId, id: avatar.id, ...fields })
        .onConflictDoUpdate({ target: [table.spaceId, table.id], set: fields })
    },

    async update(id: string, fields: AvatarFields) {
      await tx
        .update(table)
        .set({ ...fields, updatedAt: new Date() })
        .where(byIds([id]))
    },

    async remove(ids) {
      if (ids.length === 0) return
      await tx.delete(table).where(byIds(ids))
    },

    async clear() {
      await tx.delete(table).where(inSpace)
    },
  }
}

function toAvatar(row: AvatarTable['$inferSelect']): Avatar {
  return {
    id: row.id,
    emoji: row.emoji,
    name: row.name,
    isActive: row.isActive,
    position: row.position,
    version: row.version,
  }
}
