import { errorResponse } from '@/lib/http'
import { createLogger } from '@/lib/logger'
import { requireViewer } from '@/lib/viewer.server'
import { getDatabase } from '@/app/server/database.server'
import { pokeSpace } from '@/app/server/pokes.server'

import { deleteAvatar, updateAvatar } from '../avatar-api.server'

const log = createLogger('api')

interface Params {
  params: Promise<{ id: string }>
}

export async function PATCH(request: Request, { params }: Params) {
  try {
    const viewer = await requireViewer()
    const { id } = await params
    const response = await updateAvatar(
      request,
      await getDatabase(),
      viewer.spaceId,
      id,
    )
    await pokeSpace(viewer.spaceId)
    return response
  } catch (error) {
    return errorResponse(error, log)
  }
}

export async function DELETE(request: Request, { params }: Params) {
  try {
    const viewer = await requireViewer()
    const { id } = await params
    const response = await deleteAvatar(
      request,
      await getDatabase(),
      viewer.spaceId,
      id,
    )
    await pokeSpace(viewer.spaceId)
    return response
  } catch (error) {
    return errorResponse(error, log)
  }
}
