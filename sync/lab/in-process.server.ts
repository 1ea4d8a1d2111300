import 'server-only'

import { randomUUID } from 'node:crypto'

import { inArray } from 'drizzle-orm'

import type { Database } from '../../db/connect.server'
import { syncClients } from '../../db/schema'
import { isAppError } from '../../lib/errors'
import {
  isRetryableStatus,
  SyncTransportError,
  type SyncTransport,
} from '../client/transport'
import { listAvatars } from '../server/mutators.server'
import { type ProbeOptions, ServerProbe } from './probe.server'
import type { LabTarget } from './target'

export interface InProcessTargetOptions extends ProbeOptions {
  /** The space the run edits; a fresh one by default. */
  spaceId?: string
  /** Names the database in the report. */
  label?: string
}

/**
 * A lab target that calls the server's round in process, on `db`, for one
 * space: what the route does minus HTTP and cookies. Requests and answers
 * are copied through JSON, as they would be on the wire.
 */
export function createInProcessTarget(
  db: Database,
  options: InProcessTargetOptions = {},
): LabTarget {
  const spaceId = options.spaceId ?? randomUUID()
  const probe = new ServerProbe(db, options)

  const transport: SyncTransport = async (request) => {
    try {
      const body: unknown = JSON.parse(JSON.stringify(request))
      const outcome = await probe.run(spaceId, body)
      return JSON.parse(JSON.stringify(outcome.response))
    } catch (error) {
      throw asTransportError(error)
    }
  }

  return {
    label: options.label ?? 'runSync in process',
    spaceId,
    probe,
    transport: () => transport,
    listAvatars: () => listAvatars(db, spaceId),
    async lastMutationIds(clientIds) {
      const rows =
        clientIds.length === 0
          ? []
          : await db
              .select({ id: syncClients.id, last: syncClients.lastMutationId })
              .from(syncClients)
              .where(inArray(syncClients.id, [...clientIds]))
      return new Map(rows.map((row) => [row.id, row.last]))
    },
    close: async () => {},
  }
}

/** What the HTTP transport would have thrown for the route's answer. */
function asTransportError(error: unknown): SyncTransportError {
  if (isAppError(error) && error.status < 500) {
    return new SyncTransportError(error.code, error.message, {
      status: error.status,
      retryable: isRetryableStatus(error.status),
      field: error.field,
    })
  }
  return new SyncTransportError(
    'server/internal',
    'something went wrong on our side',
    { status: 500, retryable: true, cause: error },
  )
}
