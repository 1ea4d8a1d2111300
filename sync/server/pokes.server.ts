import 'server-only'

import { EventEmitter } from 'node:events'

import postgres from 'postgres'

/**
 * Content-free pokes: "this space's version moved". Listeners then sync to
 * find out what changed; a poke carries no data, so losing or duplicating
 * one is harmless.
 */
export interface PokeBus {
  publish(spaceId: string): Promise<void>
  /** Calls `listener` on each poke for `spaceId`; returns the unsubscriber. */
  subscribe(spaceId: string, listener: () => void): () => void
  close(): Promise<void>
}

const CHANNEL = 'rollcall_poke'

function localEmitter() {
  const emitter = new EventEmitter()
  // One listener per open event stream; a busy space may have many.
  emitter.setMaxListeners(0)
  return {
    emit: (spaceId: string) => emitter.emit(spaceId),
    subscribe(spaceId: string, listener: () => void) {
      emitter.on(spaceId, listener)
      return () => {
        emitter.off(spaceId, listener)
      }
    },
  }
}

/** For the embedded database: one process, so pokes stay in it. */
export function createLocalPokeBus(): PokeBus {
  const local = localEmitter()
  return {
    async publish(spaceId) {
      local.emit(spaceId)
    },
    subscribe: local.subscribe,
    async close() {},
  }
}

/**
 * For Postgres: NOTIFY on publish, LISTEN on a dedicated connection, so the
 * clients of every server instance on the database hear every poke.
 */
export async function createPostgresPokeBus(url: string): Promise<PokeBus> {
  const client = postgres(url, { max: 1, onnotice: () => {} })
  const local = localEmitter()
  // postgres.js opens a separate connection for LISTEN and re-listens after
  // it reconnects.
  const listening = await client.listen(CHANNEL, (spaceId) =>
    local.emit(spaceId),
  )
  return {
    async publish(spaceId) {
      await client.notify(CHANNEL, spaceId)
    },
    subscribe: local.subscribe,
    async close() {
      await listening.unlisten().catch(() => {})
      await client.end({ timeout: 5 })
    },
  }
}
