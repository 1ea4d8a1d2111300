import 'server-only'

import { getEnv } from '@/lib/env'
import { createLogger } from '@/lib/logger'
import {
  createLocalPokeBus,
  createPostgresPokeBus,
  type PokeBus,
} from '@/sync/server/pokes.server'

// One bus per process (on globalThis: Next may load this module twice).
const holder = globalThis as { __rollcallPokes?: Promise<PokeBus> }

export function getPokeBus(): Promise<PokeBus> {
  holder.__rollcallPokes ??= open()
  return holder.__rollcallPokes
}

async function open(): Promise<PokeBus> {
  const url = getEnv().DATABASE_URL
  try {
    return url ? await createPostgresPokeBus(url) : createLocalPokeBus()
  } catch (error) {
    holder.__rollcallPokes = undefined
    throw error
  }
}

const log = createLogger('poke')

/** Tells a space's clients to sync; a lost poke only delays them. */
export async function pokeSpace(spaceId: string): Promise<void> {
  try {
    await (await getPokeBus()).publish(spaceId)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    log.warn(`could not poke space ${spaceId}: ${reason}`)
  }
}
