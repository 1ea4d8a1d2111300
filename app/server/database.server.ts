import 'server-only'

import {
  type Database,
  openDatabase,
  type ServerDatabase,
} from '@/db/connect.server'
import { getEnv } from '@/lib/env'
import { createLogger } from '@/lib/logger'

const log = createLogger('db')

// On globalThis: Next can load this module twice in one process (the
// instrumentation hook and the routes), and two PGlite instances must never
// open one data directory.
const holder = globalThis as { __rollcallDatabase?: Promise<ServerDatabase> }

/** The process's one server database, opened and migrated on first use. */
export function getServerDatabase(): Promise<ServerDatabase> {
  holder.__rollcallDatabase ??= open()
  return holder.__rollcallDatabase
}

export async function getDatabase(): Promise<Database> {
  return (await getServerDatabase()).db
}

async function open(): Promise<ServerDatabase> {
  const env = getEnv()
  const started = performance.now()
  try {
    const database = await openDatabase({
      url: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
    })
    const ms = Math.round(performance.now() - started)
    log.info(`${database.kind} ready at ${database.label} in ${ms} ms`)
    return database
  } catch (error) {
    holder.__rollcallDatabase = undefined
    throw error
  }
}
