import {
  bigint,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core'

/**
 * A space owns data: a guest's id, or later a user's. Its version counter is
 * bumped inside every write transaction; the row lock orders the space's
 * writes and the counter is the sync cursor. Created on the first write.
 */
export const spaces = pgTable('spaces', {
  id: text('id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
  /**
   * Tombstones up to this version have been purged: a cursor below it can no
   * longer be continued and gets a reset.
   */
  purgedVersion: bigint('purged_version', { mode: 'number' })
    .notNull()
    .default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
})

/**
 * A sync client is one replica. It is bound to a space on its first push;
 * `lastMutationId` is stored with the effects, which makes pushes exactly
 * once.
 */
export const syncClients = pgTable('sync_clients', {
  id: text('id').primaryKey(),
  spaceId: text('space_id').notNull(),
  lastMutationId: bigint('last_mutation_id', { mode: 'number' })
    .notNull()
    .default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
})

/** Mutations refused for good, kept so a replayed push gets the same answer. */
export const syncRefusals = pgTable(
  'sync_refusals',
  {
    clientId: text('client_id').notNull(),
    mutationId: bigint('mutation_id', { mode: 'number' }).notNull(),
    code: text('code').notNull(),
    message: text('message').notNull(),
    field: text('field'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.clientId, table.mutationId] })],
)

/**
 * A person with an account. `email` is stored trimmed and lower-cased;
 * `passwordHash` is absent for accounts that only sign in through OAuth.
 * Each user owns one space, created with the user.
 */
export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash'),
  spaceId: text('space_id').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
})

/**
 * An OAuth identity linked to a user. No provider tokens are kept: the app
 * only needs to know who signed in.
 */
export const linkedAccounts = pgTable(
  'linked_accounts',
  {
    provider: text('provider').notNull(),
    providerAccountId: text('provider_account_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.provider, table.providerAccountId] }),
    index('linked_accounts_user_id_idx').on(table.userId),
  ],
)

/**
 * Sign-in and sign-up attempts counted per key (a hashed client address or
 * a hashed email) in fixed windows. In the database, so the limit holds
 * across server instances.
 */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    key: text('key').notNull(),
    windowStart: timestamp('window_start', {
      withTimezone: true,
      mode: 'date',
    }).notNull(),
    count: integer('count').notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.key, table.windowStart] }),
    index('login_attempts_window_start_idx').on(table.windowStart),
  ],
)

/**
 * A guest's space merged into a user's on sign-up or sign-in. The guest's
 * space id is the key: a retried sign-in with the same guest cookie finds
 * it and moves nothing twice, and the guest space stays empty for good.
 */
export const spaceMerges = pgTable('space_merges', {
  guestSpaceId: text('guest_space_id').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  userSpaceId: text('user_space_id').notNull(),
  /** Live avatars moved into the user's space. */
  moved: integer('moved').notNull().default(0),
  /** The user's space version the moved avatars were stamped with. */
  version: bigint('version', { mode: 'number' }),
  mergedAt: timestamp('merged_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow(),
})
