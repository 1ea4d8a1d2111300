// Applies pending migrations to the configured server database and exits:
// Postgres when DATABASE_URL is set, the embedded PGlite under DATA_DIR
// otherwise. The app does the same on start; this is for deploy pipelines.
import { openDatabase } from '../db/connect.server'
import { getEnv } from '../lib/env'

const env = getEnv()
const started = performance.now()
try {
  const database = await openDatabase({
    url: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
  })
  await database.close()
  const ms = Math.round(performance.now() - started)
  console.info(
    `[db] ${database.kind} at ${database.label} is up to date (${ms} ms)`,
  )
} catch (error) {
  console.error(
    `[db] ${error instanceof Error ? error.message : String(error)}`,
  )
  process.exitCode = 1
}
