import type { PGliteInterface } from '@electric-sql/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle } from 'drizzle-orm/pglite'

import { clientMigrations } from '../../db/migrations/client/bundle'
import * as replicated from '../../db/schema/replicated'
import * as client from '../../db/schema/client'

export const replicaSchema = { ...replicated, ...client }

/** The replica's Drizzle handle (browser PGlite, or in-memory in Node). */
export type ReplicaDatabase = PgDatabase<PgQueryResultHKT, typeof replicaSchema>

/**
 * A Drizzle handle on a replica whose migrations someone else applied (the
 * browser's leader worker applies them before any tab may query).
 */
export function replicaDatabase(pglite: PGliteInterface): ReplicaDatabase {
  return drizzle({
    client: pglite as never,
    schema: replicaSchema,
  }) as unknown as ReplicaDatabase
}

/**
 * Opens a replica on a PGlite instance (or a PGliteWorker) and applies the
 * client migration set, bundled at build time because browsers cannot read
 * migration files.
 */
export async function openReplicaDatabase(
  pglite: PGliteInterface,
): Promise<ReplicaDatabase> {
  const db = drizzle({ client: pglite as never, schema: replicaSchema })
  // drizzle's own migrator reads files; the dialect applies a list.
  const internals = db as unknown as {
    dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> }
    session: unknown
  }
  await internals.dialect.migrate(clientMigrations, internals.session, {
    migrationsFolder: 'bundled',
  })
  return db as unknown as ReplicaDatabase
}
