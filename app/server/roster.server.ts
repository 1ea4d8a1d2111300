import 'server-only'

import type { Avatar } from '@/sync/mutations'
import { listAvatars } from '@/sync/server/mutators.server'

import { getDatabase } from './database.server'

/** The space's live avatars in roster order, for the first server render. */
export async function loadRoster(spaceId: string): Promise<Avatar[]> {
  return listAvatars(await getDatabase(), spaceId)
}
