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
  const { bootOrExit } = await import('./app/server/boot.server')
  await bootOrExit()
}
