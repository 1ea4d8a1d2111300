export type Level = 'error' | 'warn' | 'info' | 'debug'

const rank: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 }

/**
 * A tagged, levelled logger: one line per event, `[tag] message`. Never pass
 * it tokens, secrets or cookies.
 */
export interface Logger {
  error(message: string, error?: unknown): void
  warn(message: string): void
  info(message: string): void
  debug(message: string): void
}

// Kept on globalThis: Next may load this module more than once per process.
const state = globalThis as { __rollcallLogLevel?: Level }

/** Sets the level for every logger in this process (debug is off by default). */
export function setLogLevel(level: Level): void {
  state.__rollcallLogLevel = level
}

function enabled(level: Level): boolean {
  return rank[level] <= rank[state.__rollcallLogLevel ?? 'info']
}

/**
 * A failed query's message carries its SQL and parameters (user data); the
 * database's own error, its cause, says what went wrong without them.
 */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause
  if (cause instanceof Error && error.message.startsWith('Failed query')) {
    const code = (cause as { code?: unknown }).code
    return `${error.name}: query failed: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`
  }
  return `${error.name}: ${error.message}`
}

// One event, one line: control characters in a message (a client-chosen
// name, a database error) are escaped so no one can forge log lines.
const escape = (text: string) =>
  text.replace(
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )

export function createLogger(tag: string): Logger {
  const line = (message: string) => `[${tag}] ${escape(message)}`
  return {
    error(message, error) {
      if (!enabled('error')) return
      const suffix = error === undefined ? '' : ` (${describe(error)})`
      console.error(line(message + suffix))
    },
    warn(message) {
      if (enabled('warn')) console.warn(line(message))
    },
    info(message) {
      // info and debug go to stdout through console.info, not console.log
      if (enabled('info')) console.info(line(message))
    },
    debug(message) {
      if (enabled('debug')) console.info(line(message))
    },
  }
}
