import type { RosterBackend } from './backend'

/**
 * Wraps a backend so its owner knows how many writes are still on their
 * way into the replica. Until a write's local transaction commits, the
 * roster may already show it (an optimistic update) while neither the
 * replica nor the server holds it: it must count as waiting, never as
 * synced, and the page must not be left without a word.
 */
export function countingWrites(
  backend: RosterBackend,
  onCount: (running: number) => void,
): RosterBackend {
  let running = 0
  return {
    ...backend,
    async write(name, args) {
      onCount(++running)
      try {
        return await backend.write(name, args)
      } finally {
        onCount(--running)
      }
    },
  }
}

type UnloadTarget = Pick<Window, 'addEventListener' | 'removeEventListener'>

/**
 * Asks the browser to confirm leaving the page (its own "changes may not
 * be saved" prompt) until the returned function is called. Used only while
 * a local write is being stored, which takes a moment.
 */
export function holdUnload(target: UnloadTarget = window): () => void {
  // Cancelling the event is what asks: every current browser honours it.
  const onBeforeUnload = (event: Event) => event.preventDefault()
  target.addEventListener('beforeunload', onBeforeUnload)
  return () => target.removeEventListener('beforeunload', onBeforeUnload)
}
