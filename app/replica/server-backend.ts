import type { DirectWriter } from '@/sync/client/direct-writer'

import { fetchAvatars } from '../roster/api'
import { toApiError, type RosterBackend } from './backend'

/**
 * The roster on the server: reads from the avatar API, writes straight to
 * `POST /api/sync` through a page-lived direct writer, so an edit is either
 * on the server or visibly failed, never held only in memory.
 */
export function serverBackend(writer: DirectWriter): RosterBackend {
  return {
    kind: 'server',
    listAvatars: (signal) => fetchAvatars(signal),
    async write(name, args) {
      try {
        const result = await writer.write(name, args)
        const id = 'id' in args ? args.id : undefined
        return result.upserts.find((avatar) => avatar.id === id) ?? null
      } catch (error) {
        throw toApiError(error)
      }
    },
  }
}
