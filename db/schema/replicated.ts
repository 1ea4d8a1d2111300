import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core'

import { byteText } from './columns'
import { EMOJI_MAX_CODE_POINTS, NAME_MAX, POSITION_MAX } from './limits'

export { EMOJI_MAX_CODE_POINTS, NAME_MAX, POSITION_MAX }

/**
 * The avatar table's definition, by table name: the server and the browser
 * replica build `avatars` from it, and the replica also keeps a copy of the
 * last server state (`avatars_base`) in the same shape.
 */
export function avatarTable<Name extends string>(tableName: Name) {
  return pgTable(
    tableName,
    {
      spaceId: text('space_id').notNull(),
      id: uuid('id').notNull(),
      emoji: text('emoji').notNull(),
      name: text('name').notNull(),
      isActive: boolean('is_active').notNull().default(false),
      position: byteText('position').notNull(),
      version: bigint('version', { mode: 'number' }).notNull(),
      deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
      createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
        .notNull()
        .defaultNow(),
      updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
        .notNull()
        .defaultNow(),
    },
    (table) => [
      primaryKey({ columns: [table.spaceId, table.id] }),
      // "rows of this space changed since version V"
      index(`${tableName}_space_version_idx`).on(table.spaceId, table.version),
      // "is this client-chosen id used in any space" (refused on create)
      index(`${tableName}_id_idx`).on(table.id),
      check(
        `${tableName}_name_valid`,
        sql`char_length(${table.name}) between 1 and ${sql.raw(String(NAME_MAX))}
        and ${table.name} = btrim(${table.name})
        and ${table.name} !~ '[\\x01-\\x1f\\x7f-\\x9f]'`,
      ),
      check(
        `${tableName}_emoji_valid`,
        sql`char_length(${table.emoji}) between 1 and ${sql.raw(String(EMOJI_MAX_CODE_POINTS))}
        and ${table.emoji} !~ '[[:space:]\\x01-\\x1f\\x7f-\\x9f]'`,
      ),
      check(
        `${tableName}_position_valid`,
        sql`${table.position} ~ '^[0-9a-z]*[1-9a-z]$'
        and char_length(${table.position}) <= ${sql.raw(String(POSITION_MAX))}`,
      ),
    ],
  )
}

/** Tables replicated to the browser. */
export const avatars = avatarTable('avatars')

export type AvatarRow = typeof avatars.$inferSelect
