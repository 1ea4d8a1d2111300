import { errorResponse } from '@/lib/http'
import { createLogger } from '@/lib/logger'
import { requireViewer } from '@/lib/viewer.server'
import { getDatabase } from '@/app/server/database.server'
import { pokeSpace } from '@/app/server/pokes.server'

import { createAvatar, listRoster } from './avatar-api.server'

const log = createLogger('api')

export async function GET() {
  try {
    const viewer = await requireViewer()
    return await listRoster(await getDatabase(), viewer.spaceId)
  } catch (error) {
    return errorResponse(error, log)
  }
}

export async function POST(request: Request) {
  try {
    const viewer = await requireViewer()
    const response = await createAvatar(
      request,
      await getDatabase(),
      viewer.spaceId,
    )
    await pokeSpace(viewer.spaceId)
    return response
  } catch (error) {
    return errorResponse(error, log)
  }
}
