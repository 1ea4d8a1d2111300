import { z } from 'zod'

import { AppError, isAppError } from '../../lib/errors'
import type { SyncRequest, SyncResponse } from '../protocol'

/**
 * Carries one sync round to the server and back. The browser uses the
 * fetch-based one (http-transport.ts); tests and in-process clients call the
 * server's handler directly. A transport throws on failure: an AppError
 * with the server's code and status for an answer it refused, a
 * `SyncTransportError` for anything that never got a usable answer.
 */
export type SyncTransport = (request: SyncRequest) => Promise<SyncResponse>

/** A round that got no usable answer, or the server's refusal of it. */
export class SyncTransportError extends AppError {
  /** True when the same request may succeed later (network, 5xx, 429). */
  readonly retryable: boolean

  constructor(
    code: string,
    message: string,
    options: {
      status: number
      retryable: boolean
      field?: string
      cause?: unknown
    },
  ) {
    super(code, message, options)
    this.name = 'SyncTransportError'
    this.retryable = options.retryable
  }
}

/** Statuses that say "try again later" rather than "this will never work". */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

/**
 * Whether a failed round should be retried with backoff. A 4xx AppError is
 * permanent (the same request gets the same answer); anything else (network
 * errors, 5xx, a broken local database) is worth another try.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof SyncTransportError) return error.retryable
  if (isAppError(error)) return isRetryableStatus(error.status)
  return true
}

const avatarSchema = z.object({
  id: z.string(),
  emoji: z.string(),
  name: z.string(),
  isActive: z.boolean(),
  position: z.string(),
  version: z.number(),
})

const refusalSchema = z.object({
  id: z.number().int(),
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
})

const common = {
  protocol: z.number().int(),
  cursor: z.string().regex(/^\d+@.+$/),
  lastMutationId: z.number().int().nonnegative(),
  refused: z.array(refusalSchema),
}

const responseSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('patch'),
    ...common,
    upserts: z.array(avatarSchema),
    deletes: z.array(z.string()),
  }),
  z.object({
    kind: z.literal('reset'),
    ...common,
    reason: z.string(),
    avatars: z.array(avatarSchema),
  }),
])

/**
 * Checks that an answer has the shape of a sync response before anything
 * of it is stored. A captive portal or a proxy can answer 200 with HTML;
 * that is retried like a network error.
 */
export function parseSyncResponse(value: unknown): SyncResponse {
  const result = responseSchema.safeParse(value)
  if (result.success) return result.data as SyncResponse
  const issue = result.error.issues[0]
  throw new SyncTransportError(
    'sync/bad-response',
    `the sync answer is malformed at ${issue?.path.join('.') || 'its root'}: ${issue?.message ?? 'invalid'}`,
    { status: 502, retryable: true },
  )
}
