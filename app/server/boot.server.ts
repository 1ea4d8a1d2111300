import 'server-only'

import { DatabaseStartError } from '@/db/connect.server'
import { guestCookieWarning } from '@/lib/cookie-policy'
import { EnvError, getEnv } from '@/lib/env'
import { isAppError } from '@/lib/errors'
import { createLogger, setLogLevel } from '@/lib/logger'
import { getSecrets } from '@/lib/secrets.server'

import { getServerDatabase } from './database.server'

const log = createLogger('boot')

/**
 * Everything the server needs before it answers a request: a valid
 * environment, its signing secrets and a migrated database. Throws an error
 * whose message says what to fix.
 */
export async function boot(): Promise<void> {
  const env = getEnv()
  setLogLevel(env.LOG_LEVEL)

  const warning = guestCookieWarning(env.APP_URL)
  if (warning) log.warn(warning)

  await getSecrets()
  await getServerDatabase()
}

/** A failure the person starting the server can act on (not a bug). */
export function isStartFailure(error: unknown): boolean {
  return (
    error instanceof EnvError ||
    error instanceof DatabaseStartError ||
    (isAppError(error) && error.code.startsWith('boot/'))
  )
}

/** Boots, or prints why it cannot and ends the process with status 1. */
export async function bootOrExit(): Promise<void> {
  try {
    await boot()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    log.error(`cannot start: ${message}`)
    if (!isStartFailure(error) && error instanceof Error && error.stack) {
      console.error(error.stack)
    }
    process.exit(1)
  }
}
