import { z } from 'zod'

import type { Avatar, MutationName } from './mutations'
import { mutationNames } from './mutations'

/**
 * The sync protocol: one `POST /api/sync` round carries the client's pending
 * mutations and cursor, and answers with what changed since the cursor. See
 * docs/sync.md for the full contract.
 *
 * Version history:
 * - 1: request without `schemaVersion` (taken as schema 1).
 * - 2: request carries the replica's `schemaVersion`.
 */
export const PROTOCOL_VERSION = 2
/** The server also accepts the previous version, for queues made before a deploy. */
export const SUPPORTED_PROTOCOLS = [PROTOCOL_VERSION, PROTOCOL_VERSION - 1]

/**
 * The replica's schema epoch. Bump it when the replicated tables change in a
 * way an old replica cannot follow; clients on another epoch get a reset.
 */
export const SCHEMA_VERSION = 1

/** Most mutations one push may carry. */
export const MAX_MUTATIONS_PER_PUSH = 500
/** Largest sync request body, in bytes. */
export const MAX_SYNC_BODY_BYTES = 512 * 1024

const clientIdSchema = z.uuid({ error: 'clientId must be a UUID' })

const mutationEnvelope = z
  .object({
    id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    name: z.enum(mutationNames as [MutationName, ...MutationName[]]),
    // Validated per mutation on the server, so one bad mutation is refused
    // on its own instead of failing the whole push.
    args: z.unknown(),
  })
  .strict()

export type PushedMutation = z.infer<typeof mutationEnvelope>

const cursorSchema = z
  .string()
  .max(200)
  .regex(/^\d+@.+$/, 'cursor must be one the server gave')

const commonRequest = {
  clientId: clientIdSchema,
  cursor: cursorSchema.nullable(),
  mutations: z.array(mutationEnvelope),
}

const requestV2 = z
  .object({
    protocol: z.literal(2),
    schemaVersion: z.number().int().positive(),
    ...commonRequest,
    /**
     * The highest mutation id this client has seen acknowledged. On a round
     * that pushes nothing, the server answers with the refusals it stored
     * above it: the answer to the push that carried them may have been lost.
     */
    acknowledged: z
      .number()
      .int()
      .nonnegative()
      .max(Number.MAX_SAFE_INTEGER)
      .optional(),
  })
  .strict()

const requestV1 = z
  .object({ protocol: z.literal(1), ...commonRequest })
  .strict()
  .transform((request) => ({
    ...request,
    protocol: 2 as const,
    schemaVersion: 1,
  }))

export const syncRequestSchema = z.union([requestV2, requestV1])

export type SyncRequest = z.output<typeof requestV2>

/** A mutation the server refused for good; its id still counts as applied. */
export interface Refusal {
  id: number
  code: string
  message: string
  field?: string
}

interface CommonResponse {
  protocol: typeof PROTOCOL_VERSION
  /** Pass this back as `cursor` on the next round. */
  cursor: string
  /** The highest mutation id of this client the server has applied or refused. */
  lastMutationId: number
  /**
   * Refusals among the mutations of this request (stored ones on replay),
   * or, on a round that pushes nothing, the stored ones above the client's
   * `acknowledged`.
   */
  refused: Refusal[]
}

/** The rows that changed since the client's cursor. */
export interface PatchResponse extends CommonResponse {
  kind: 'patch'
  upserts: Avatar[]
  deletes: string[]
}

export type ResetReason =
  'foreign-cursor' | 'future-cursor' | 'expired-cursor' | 'schema-changed'

/** The cursor cannot be continued: here is the whole space instead. */
export interface ResetResponse extends CommonResponse {
  kind: 'reset'
  reason: ResetReason
  avatars: Avatar[]
}

export type SyncResponse = PatchResponse | ResetResponse

export function formatCursor(spaceId: string, version: number): string {
  return `${version}@${spaceId}`
}

export function parseCursor(
  cursor: string,
): { spaceId: string; version: number } | null {
  const at = cursor.indexOf('@')
  const version = Number(cursor.slice(0, at))
  if (at < 1 || !Number.isSafeInteger(version)) return null
  return { spaceId: cursor.slice(at + 1), version }
}
