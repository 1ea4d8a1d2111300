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

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}

export function createLogger(tag: string): Logger {
  const line = (message: string) => `[${tag}] ${message}`
  return {
    error(message, error) {
      if (!enabled('error')) return
      const suffix = error === undefined ? '' : ` (${describe(error)})`
      console.error(line(message) + suffix)
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
