/**
 * Runs once when a server process starts, before it serves a request. A
 * start that cannot succeed (bad environment, missing secret, unreachable or
 * damaged database) stops the process with a message, rather than leaving a
 * server that answers every request with a 500.
 */
export async function register() {
  // NEXT_RUNTIME is set by Next itself (not configuration), and the boot
  // code only runs on Node.
  if (process.env.NEXT_RUNTIME !== 'nodejs') return

  const { boot, isStartFailure } = await import('./app/server/boot.server')
  try {
    await boot()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.error(`[boot] cannot start: ${message}`)
    if (!isStartFailure(error) && error instanceof Error && error.stack) {
      console.error(error.stack)
    }
    process.exit(1)
  }
}
