import { randomBytes } from 'node:crypto'

import postgres from 'postgres'
import { afterAll, beforeAll, describe } from 'vitest'

import { openDatabase, type ServerDatabase } from '@/db/connect.server'

/**
 * The Postgres half runs when TEST_DATABASE_URL names a server (any database
 * on it: the suite creates a fresh one per file and drops it afterwards).
 * CI always sets it, and fails when it cannot connect.
 */
export const postgresUrl = process.env.TEST_DATABASE_URL || undefined

if (process.env.CI && !postgresUrl) {
  throw new Error(
    'CI must set TEST_DATABASE_URL: the Postgres half is required',
  )
}

export interface TestDatabase {
  database: ServerDatabase
  /** The URL of the fresh Postgres database (Postgres engine only). */
  url?: string
}

export type Engine = 'pglite' | 'postgres'

function adminUrl(base: string, database: string): string {
  const url = new URL(base)
  url.pathname = `/${database}`
  return url.toString()
}

/** Creates an empty Postgres database; returns its URL and a dropper. */
export async function createPostgresDatabase() {
  if (!postgresUrl) throw new Error('TEST_DATABASE_URL is not set')
  const name = `rollcall_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  return {
    url: adminUrl(postgresUrl, name),
    async drop() {
      const again = postgres(postgresUrl!, { max: 1, onnotice: () => {} })
      await again.unsafe(`drop database if exists ${name} with (force)`)
      await again.end()
    },
  }
}

export async function openTestDatabase(engine: Engine) {
  if (engine === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://' })
    return { database, close: () => database.close() }
  }
  const created = await createPostgresDatabase()
  const database = await openDatabase({ url: created.url, poolSize: 4 })
  return {
    database,
    url: created.url,
    async close() {
      await database.close()
      await created.drop()
    },
  }
}

/**
 * Runs a suite once per engine, each on a fresh migrated database shared by
 * the suite's tests. Without TEST_DATABASE_URL the Postgres half is reported
 * as skipped, by name.
 */
export function describeEachEngine(
  title: string,
  suite: (context: () => TestDatabase, engine: Engine) => void,
) {
  for (const engine of ['pglite', 'postgres'] as const) {
    const skip = engine === 'postgres' && !postgresUrl
    const label = skip
      ? `${title} [postgres: not run, TEST_DATABASE_URL unset]`
      : `${title} [${engine}]`
    describe.skipIf(skip)(label, () => {
      let current: TestDatabase | undefined
      let close: (() => Promise<void>) | undefined
      beforeAll(async () => {
        const opened = await openTestDatabase(engine)
        current = { database: opened.database, url: opened.url }
        close = opened.close
      })
      afterAll(async () => {
        await close?.()
      })
      suite(() => {
        if (!current) throw new Error('database not open yet')
        return current
      }, engine)
    })
  }
}

/** Rows of a raw `db.execute`: postgres.js gives an array, PGlite `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return (result as { rows: T[] }).rows
}
