import { getDatabase } from '@/app/server/database.server'
import { pokeSpace } from '@/app/server/pokes.server'
import { getEnv } from '@/lib/env'
import {
  assertSameOrigin,
  errorResponse,
  jsonResponse,
  readJsonBody,
} from '@/lib/http'
import { createLogger } from '@/lib/logger'
import { requireViewer } from '@/lib/viewer.server'
import { MAX_SYNC_BODY_BYTES } from '@/sync/protocol'
import { runSync } from '@/sync/server/sync.server'

const log = createLogger('sync')

/**
 * One sync round: push the client's pending mutations, pull what changed.
 * The guest cookie is renewed by the proxy, which covers every /api path.
 */
export async function POST(request: Request) {
  const started = performance.now()
  try {
    assertSameOrigin(request)
    const viewer = await requireViewer()
    const body = await readJsonBody(request, MAX_SYNC_BODY_BYTES)
    const outcome = await runSync(await getDatabase(), viewer.spaceId, body, {
      tombstoneHorizonSeconds: getEnv().SYNC_TOMBSTONE_HORIZON_SECONDS,
    })
    const { response } = outcome
    if (outcome.changed) await pokeSpace(viewer.spaceId)
    const ms = Math.round(performance.now() - started)
    const line =
      `space ${viewer.spaceId}: applied ${outcome.applied}, refused ${outcome.refused}, ` +
      `sent ${response.kind === 'patch' ? response.upserts.length + response.deletes.length : `reset (${response.reason})`} in ${ms} ms`
    // Pull-only rounds (timers, pokes) are frequent: they log at debug.
    if (outcome.applied + outcome.refused > 0) log.info(line)
    else log.debug(line)
    return jsonResponse(response)
  } catch (error) {
    return errorResponse(error, log)
  }
}
