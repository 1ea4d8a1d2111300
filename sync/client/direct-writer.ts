import { AppError } from '../../lib/errors'
import type { Avatar, MutationArgs, MutationName } from '../mutations'
import {
  parseCursor,
  PROTOCOL_VERSION,
  SCHEMA_VERSION,
  type SyncResponse,
} from '../protocol'
import type { SyncTransport } from './transport'

/**
 * Writes straight to the server, one mutation per request, for a page that
 * has no local replica yet (a first visit while PGlite loads) or cannot
 * have one (no IndexedDB, private mode, a failed download).
 *
 * It is a sync client of its own that lives only as long as the page: a
 * client id held in memory, mutation ids from 1, no outbox. A write either
 * reaches the server or fails where the person sees it; nothing waits in
 * memory for a later retry. A failed request leaves it unknown whether the
 * server applied the mutation, so the writer then starts over as a new
 * client (new id, ids from 1) rather than resend or skip an id.
 */
export interface DirectWriter {
  /**
   * Sends one mutation and resolves with the server's answer once it was
   * applied. A refusal rejects with an AppError carrying the refusal's code
   * (and a status that says what kind of refusal it is); a failed request
   * rejects with the transport's error.
   */
  write<N extends MutationName>(
    name: N,
    args: MutationArgs<N>,
  ): Promise<DirectWriteResult>
  /** Writes sent and not yet answered. */
  readonly pending: number
  /** Writes answered so far, successful or not. */
  readonly settled: number
  /** Resolves once no write is in flight. */
  idle(): Promise<void>
}

export interface DirectWriteResult {
  /** The rows the answer carried (changed since this writer's cursor). */
  upserts: Avatar[]
  deletes: string[]
  /** True when the answer replaced everything (the first write, a reset). */
  full: boolean
}

export interface DirectWriterOptions {
  transport: SyncTransport
  /** The viewer's space: every answer must come from it. */
  spaceId: string
  /** Makes client ids (a random UUID by default). */
  newClientId?: () => string
}

/** HTTP-like statuses for the refusal codes the server uses. */
const REFUSAL_STATUS: Record<string, number> = {
  'mutation/invalid': 400,
  'avatar/not-found': 404,
  'avatar/deleted': 410,
  'avatar/id-taken': 409,
  'space/full': 409,
}

export function createDirectWriter(options: DirectWriterOptions): DirectWriter {
  const newClientId = options.newClientId ?? (() => crypto.randomUUID())
  let clientId = newClientId()
  let nextId = 1
  let cursor: string | null = null
  let lane: Promise<unknown> = Promise.resolve()
  let pending = 0
  let settled = 0

  const startOver = () => {
    clientId = newClientId()
    nextId = 1
    cursor = null
  }

  const send = async <N extends MutationName>(
    name: N,
    args: MutationArgs<N>,
  ): Promise<DirectWriteResult> => {
    const id = nextId
    const from = cursor
    let response: SyncResponse
    try {
      response = await options.transport({
        protocol: PROTOCOL_VERSION,
        schemaVersion: SCHEMA_VERSION,
        clientId,
        cursor: from,
        mutations: [{ id, name, args }],
      })
      assertSpace(response, options.spaceId)
    } catch (error) {
      startOver()
      throw error
    }

    nextId = Math.max(id, response.lastMutationId) + 1
    cursor = response.cursor
    const refusal = response.refused.find((refused) => refused.id === id)
    if (refusal) {
      throw new AppError(refusal.code, refusal.message, {
        status: REFUSAL_STATUS[refusal.code] ?? 409,
        field: refusal.field,
      })
    }
    return response.kind === 'reset'
      ? { upserts: response.avatars, deletes: [], full: true }
      : {
          upserts: response.upserts,
          deletes: response.deletes,
          full: from === null,
        }
  }

  return {
    write(name, args) {
      pending++
      const run = lane
        .then(() => send(name, args))
        .finally(() => {
          pending--
          settled++
        })
      lane = run.catch(() => {})
      return run
    },
    get pending() {
      return pending
    },
    get settled() {
      return settled
    },
    async idle() {
      while (pending > 0) await lane
    },
  }
}

function assertSpace(response: SyncResponse, spaceId: string): void {
  const answeredFor = parseCursor(response.cursor)?.spaceId ?? null
  if (answeredFor === spaceId) return
  throw new AppError(
    'sync/space-changed',
    `the page belongs to space ${spaceId} but the server answered for ${answeredFor ?? 'another one'}: reload the page`,
    { status: 409 },
  )
}
