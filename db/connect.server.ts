import 'server-only'

import { chmod, mkdir } from 'node:fs/promises'
import path from 'node:path'

import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'

import * as schema from './schema'

export type Schema = typeof schema

/** The Drizzle handle every server module uses, whichever engine is behind. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>

export interface ServerDatabase {
  db: Database
  kind: 'postgres' | 'pglite'
  /** Where it lives, with any password removed (safe to log). */
  label: string
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** A postgres:// URL; when absent an embedded PGlite is opened. */
  url?: string
  /** The embedded database's folder (ignored with `url`); `memory://` keeps it in memory. */
  dataDir?: string
  /** Max pooled connections for Postgres. */
  poolSize?: number
}

/** A start-up failure with a message a person can act on. */
export class DatabaseStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DatabaseStartError'
  }
}

export const MIGRATIONS_FOLDER = path.join(
  process.cwd(),
  'db',
  'migrations',
  'server',
)

// An arbitrary constant: every Rollcall instance migrating one database
// takes this session-level lock, so only one applies migrations at a time.
const MIGRATION_LOCK_KEY = 72_617_001

/** Removes the password from a connection string so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable database URL)'
  }
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message
  }
  return String(error)
}

async function openPostgres(url: string, poolSize: number) {
  const label = redactUrl(url)
  let client: postgres.Sql
  try {
    client = postgres(url, {
      max: poolSize,
      onnotice: () => {},
      connect_timeout: 10,
    })
    await client`select 1`
  } catch (error) {
    throw new DatabaseStartError(
      `could not connect to Postgres at ${label}: ${reason(error)}`,
      { cause: error },
    )
  }
  const db = drizzlePostgres({ client, schema }) as unknown as Database
  return {
    db,
    kind: 'postgres' as const,
    label,
    close: () => client.end({ timeout: 5 }),
  }
}

async function openPglite(dataDir: string) {
  const inMemory = dataDir.startsWith('memory://')
  const folder = inMemory ? dataDir : path.resolve(dataDir, 'pglite')
  try {
    // PGlite creates only the last folder of its path.
    if (!inMemory) {
      // Private: the database holds every guest's roster.
      await mkdir(path.dirname(folder), { recursive: true, mode: 0o700 })
      await chmod(path.dirname(folder), 0o700)
    }
    const client = await PGlite.create(folder)
    await client.query('select 1')
    const db = drizzlePglite({ client, schema }) as unknown as Database
    return {
      db,
      kind: 'pglite' as const,
      label: folder,
      close: () => client.close(),
      client,
    }
  } catch (error) {
    throw new DatabaseStartError(
      `could not open the embedded database in ${folder}: ${reason(error)}. ` +
        'If it is damaged, move the folder away and start again.',
      { cause: error },
    )
  }
}

/**
 * Opens the server database and applies pending migrations. With Postgres the
 * migration runs on its own connection under an advisory lock, so instances
 * starting together do not race.
 */
export async function openDatabase(
  options: DatabaseOptions,
): Promise<ServerDatabase> {
  if (options.url) {
    await migratePostgresUnderLock(options.url)
    return openPostgres(options.url, options.poolSize ?? 10)
  }

  const opened = await openPglite(options.dataDir ?? '.data')
  try {
    await migratePglite(drizzlePglite({ client: opened.client }), {
      migrationsFolder: MIGRATIONS_FOLDER,
    })
  } catch (error) {
    await opened.close().catch(() => {})
    throw new DatabaseStartError(
      `could not migrate the embedded database in ${opened.label}: ${reason(error)}`,
      { cause: error },
    )
  }
  return {
    db: opened.db,
    kind: opened.kind,
    label: opened.label,
    close: opened.close,
  }
}

async function migratePostgresUnderLock(url: string): Promise<void> {
  const label = redactUrl(url)
  let client: postgres.Sql | undefined
  try {
    client = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 })
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`
  } catch (error) {
    await client?.end({ timeout: 1 }).catch(() => {})
    throw new DatabaseStartError(
      `could not connect to Postgres at ${label}: ${reason(error)}`,
      { cause: error },
    )
  }
  try {
    await migratePostgres(drizzlePostgres({ client }), {
      migrationsFolder: MIGRATIONS_FOLDER,
    })
  } catch (error) {
    throw new DatabaseStartError(
      `could not migrate Postgres at ${label}: ${reason(error)}`,
      { cause: error },
    )
  } finally {
    await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(
      () => {},
    )
    await client.end({ timeout: 5 }).catch(() => {})
  }
}

/** Runs `sql` that must not fail silently; handy for health checks. */
export async function ping(db: Database): Promise<void> {
  await db.execute(sql`select 1`)
}
