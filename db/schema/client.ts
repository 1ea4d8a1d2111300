import {
  bigint,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from 'drizzle-orm/pg-core'

import { avatarTable } from './replicated'

/**
 * Client-only tables of the browser replica (and of headless clients).
 * `avatars` (replicated) is what readers see: the server's rows with the
 * pending mutations applied on top. `avatars_base` is the last state the
 * server sent, so a rebase can start again from it.
 */
export const avatarsBase = avatarTable('avatars_base')

/** Local mutations not yet acknowledged by the server, in id order. */
export const outbox = pgTable('outbox', {
  id: bigint('id', { mode: 'number' }).primaryKey(),
  name: text('name').notNull(),
  args: jsonb('args').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
})

/** One row: who this replica is and how far it has synced. */
export const syncState = pgTable('sync_state', {
  key: integer('key').primaryKey().default(1),
  clientId: text('client_id').notNull(),
  spaceId: text('space_id'),
  cursor: text('cursor'),
  /** Highest mutation id handed out locally. */
  lastMutationId: bigint('last_mutation_id', { mode: 'number' })
    .notNull()
    .default(0),
  /** Highest mutation id the server acknowledged. */
  lastAckedId: bigint('last_acked_id', { mode: 'number' }).notNull().default(0),
  schemaVersion: integer('schema_version').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
})
