import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

/**
 * A space owns data: a guest's id, or later a user's. Its version counter is
 * bumped inside every write transaction; the row lock orders the space's
 * writes and the counter is the sync cursor. Created on the first write.
 */
export const spaces = pgTable('spaces', {
  id: text('id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
})
