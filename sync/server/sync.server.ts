import 'server-only'

import {
  and,
  asc,
  between,
  eq,
  gt,
  isNotNull,
  isNull,
  lt,
  sql,
} from 'drizzle-orm'

import type { Database } from '../../db/connect.server'
import { avatars, spaces, syncClients, syncRefusals } from '../../db/schema'
import { AppError, isAppError } from '../../lib/errors'
import { zodToAppError } from '../../lib/zod-error'
import type { MutationName } from '../mutations'
import {
  formatCursor,
  MAX_MUTATIONS_PER_PUSH,
  parseCursor,
  PROTOCOL_VERSION,
  type PushedMutation,
  type Refusal,
  type ResetReason,
  SCHEMA_VERSION,
  SUPPORTED_PROTOCOLS,
  type SyncRequest,
  syncRequestSchema,
  type SyncResponse,
} from '../protocol'
import {
  applyMutation,
  openSpaceWrite,
  type SpaceWrite,
  toAvatar,
} from './mutators.server'

export interface SyncOptions {
  /** Tombstones older than this are purged; cursors behind them reset. */
  tombstoneHorizonSeconds: number
  now?: () => Date
  /** Test seam: runs after each applied mutation, inside the push transaction. */
  afterMutation?: (mutationId: number) => Promise<void>
}

/** What a round did, for the one log line per round. */
export interface SyncOutcome {
  response: SyncResponse
  applied: number
  refused: number
  /** True when the push changed the space's rows (clients should be poked). */
  changed: boolean
}

/**
 * One sync round for the viewer's space: validates the request, applies its
 * pending mutations exactly once in one transaction, then reads what changed
 * since the client's cursor in one snapshot. A request with nothing to push
 * writes nothing.
 */
export async function runSync(
  db: Database,
  spaceId: string,
  body: unknown,
  options: SyncOptions,
): Promise<SyncOutcome> {
  const request = parseSyncRequest(body)

  let applied = 0
  let refusedCount = 0
  if (request.mutations.length > 0) {
    const pushed = await push(db, spaceId, request, options)
    applied = pushed.applied
    refusedCount = pushed.refused
  }

  const response = await pull(db, spaceId, request)
  return { response, applied, refused: refusedCount, changed: applied > 0 }
}

/** Parses and checks a sync request body; 4xx AppErrors name the problem. */
export function parseSyncRequest(body: unknown): SyncRequest {
  const protocol = (body as { protocol?: unknown } | null)?.protocol
  if (!SUPPORTED_PROTOCOLS.includes(protocol as number)) {
    throw new AppError(
      'sync/unsupported-protocol',
      `protocol must be one of ${SUPPORTED_PROTOCOLS.join(', ')}, received ${describeValue(protocol)}`,
      { status: 400, field: 'protocol' },
    )
  }
  const mutations = (body as { mutations?: unknown }).mutations
  if (Array.isArray(mutations) && mutations.length > MAX_MUTATIONS_PER_PUSH) {
    throw new AppError(
      'sync/too-many-mutations',
      `a push carries at most ${MAX_MUTATIONS_PER_PUSH} mutations, received ${mutations.length}`,
      { status: 413, field: 'mutations' },
    )
  }

  // Parse against the one version asked for, so errors name their field.
  const result = (
    protocol === PROTOCOL_VERSION
      ? syncRequestSchema.options[0]
      : syncRequestSchema.options[1]
  ).safeParse(body)
  if (!result.success) {
    throw zodToAppError(result.error, 'sync/invalid-request')
  }

  const request = result.data as SyncRequest
  assertConsecutive(request.mutations)
  return request
}

function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean')
    return String(value)
  if (typeof value === 'string') return `a string (${value.length} characters)`
  return value === undefined ? 'none' : value === null ? 'null' : typeof value
}

function assertConsecutive(mutations: PushedMutation[]) {
  for (let i = 1; i < mutations.length; i++) {
    if (mutations[i]!.id !== mutations[i - 1]!.id + 1) {
      throw new AppError(
        'sync/invalid-request',
        `mutation ids must be consecutive: ${mutations[i - 1]!.id} is followed by ${mutations[i]!.id}`,
        { status: 400, field: `mutations.${i}.id` },
      )
    }
  }
}

async function push(
  db: Database,
  spaceId: string,
  request: SyncRequest,
  options: SyncOptions,
) {
  return db.transaction(async (tx) => {
    const last = await lockClient(tx, request.clientId, spaceId)
    const fresh = request.mutations.filter((mutation) => mutation.id > last)
    if (fresh.length === 0) return { applied: 0, refused: 0 }
    if (fresh[0]!.id !== last + 1) {
      throw new AppError(
        'sync/mutation-gap',
        `expected mutation ${last + 1} next, received ${fresh[0]!.id}`,
        { status: 409, field: 'mutations' },
      )
    }

    let applied = 0
    const refusals: Refusal[] = []
    const write = openSpaceWrite(tx, spaceId)
    for (const mutation of fresh) {
      const refusal = await applyOne(tx, write, mutation)
      if (refusal) refusals.push(refusal)
      else applied++
      await options.afterMutation?.(mutation.id)
    }

    if (refusals.length > 0) {
      await tx.insert(syncRefusals).values(
        refusals.map((refusal) => ({
          clientId: request.clientId,
          mutationId: refusal.id,
          code: refusal.code,
          message: refusal.message,
          field: refusal.field ?? null,
        })),
      )
    }
    const lastId = fresh.at(-1)!.id
    await tx
      .update(syncClients)
      .set({ lastMutationId: lastId, updatedAt: new Date() })
      .where(eq(syncClients.id, request.clientId))
    // A replay re-sends at most one push: older refusals are never asked for.
    await tx
      .delete(syncRefusals)
      .where(
        and(
          eq(syncRefusals.clientId, request.clientId),
          lt(syncRefusals.mutationId, lastId - 2 * MAX_MUTATIONS_PER_PUSH),
        ),
      )
    if (applied > 0) await purgeTombstones(tx, spaceId, options)

    return { applied, refused: refusals.length }
  })
}

/**
 * Returns the client's last mutation id, binding a new client to this space,
 * and locks the client's row so two pushes of one client run one by one.
 */
async function lockClient(
  tx: Database,
  clientId: string,
  spaceId: string,
): Promise<number> {
  await tx
    .insert(syncClients)
    .values({ id: clientId, spaceId })
    .onConflictDoNothing()
  const [client] = await tx
    .select()
    .from(syncClients)
    .where(eq(syncClients.id, clientId))
    .for('update')
  if (client!.spaceId !== spaceId) throw clientSpaceMismatch()
  return client!.lastMutationId
}

function clientSpaceMismatch() {
  return new AppError(
    'sync/client-space-mismatch',
    'this client id belongs to another space; start a new client',
    { status: 409, field: 'clientId' },
  )
}

/**
 * Applies one mutation. A refusal (4xx) is thrown by the mutator before it
 * writes anything, so it needs no savepoint: it is returned and the push
 * goes on. Anything else aborts the whole push.
 */
async function applyOne(
  tx: Database,
  write: SpaceWrite,
  mutation: PushedMutation,
): Promise<Refusal | null> {
  try {
    await applyMutation(tx, write, mutation.name as MutationName, mutation.args)
    return null
  } catch (error) {
    if (!isAppError(error) || error.status >= 500) throw error
    return {
      id: mutation.id,
      code: error.code,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
    }
  }
}

async function purgeTombstones(
  tx: Database,
  spaceId: string,
  { tombstoneHorizonSeconds, now = () => new Date() }: SyncOptions,
) {
  const cutoff = new Date(now().getTime() - tombstoneHorizonSeconds * 1000)
  const purged = await tx
    .delete(avatars)
    .where(
      and(
        eq(avatars.spaceId, spaceId),
        isNotNull(avatars.deletedAt),
        lt(avatars.deletedAt, cutoff),
      ),
    )
    .returning({ version: avatars.version })
  if (purged.length === 0) return
  const highest = Math.max(...purged.map((row) => row.version))
  await tx
    .update(spaces)
    .set({ purgedVersion: sql`greatest(${spaces.purgedVersion}, ${highest})` })
    .where(eq(spaces.id, spaceId))
}

/**
 * Reads the space's version, its changed rows and the client's state in one
 * repeatable-read snapshot, so the cursor handed out never passes a row the
 * client did not receive.
 */
async function pull(
  db: Database,
  spaceId: string,
  request: SyncRequest,
): Promise<SyncResponse> {
  return db.transaction(
    async (tx) => {
      const [space] = await tx
        .select()
        .from(spaces)
        .where(eq(spaces.id, spaceId))
      const version = space?.version ?? 0
      const [client] = await tx
        .select({
          spaceId: syncClients.spaceId,
          last: syncClients.lastMutationId,
        })
        .from(syncClients)
        .where(eq(syncClients.id, request.clientId))
      if (client && client.spaceId !== spaceId) throw clientSpaceMismatch()
      const lastMutationId = client?.last ?? 0
      const common = {
        protocol: PROTOCOL_VERSION as typeof PROTOCOL_VERSION,
        cursor: formatCursor(spaceId, version),
        lastMutationId,
        refused: await storedRefusals(tx, request),
      }

      const reason = resetReason(
        request,
        spaceId,
        version,
        space?.purgedVersion ?? 0,
      )
      if (reason) {
        const rows = await tx
          .select()
          .from(avatars)
          .where(and(eq(avatars.spaceId, spaceId), isNull(avatars.deletedAt)))
          .orderBy(asc(avatars.position), asc(avatars.id))
        return { ...common, kind: 'reset', reason, avatars: rows.map(toAvatar) }
      }

      const since = request.cursor ? parseCursor(request.cursor)!.version : 0
      const rows = await tx
        .select()
        .from(avatars)
        .where(and(eq(avatars.spaceId, spaceId), gt(avatars.version, since)))
        .orderBy(asc(avatars.version))
      return {
        ...common,
        kind: 'patch',
        upserts: rows.filter((row) => !row.deletedAt).map(toAvatar),
        deletes: rows.filter((row) => row.deletedAt).map((row) => row.id),
      }
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  )
}

function resetReason(
  request: SyncRequest,
  spaceId: string,
  version: number,
  purgedVersion: number,
): ResetReason | null {
  if (request.schemaVersion !== SCHEMA_VERSION) return 'schema-changed'
  if (request.cursor === null) return null
  const cursor = parseCursor(request.cursor)
  if (!cursor || cursor.spaceId !== spaceId) return 'foreign-cursor'
  if (cursor.version > version) return 'future-cursor'
  if (cursor.version < purgedVersion) return 'expired-cursor'
  return null
}

async function storedRefusals(
  tx: Database,
  request: SyncRequest,
): Promise<Refusal[]> {
  const { mutations, acknowledged } = request
  // A push hears of its own; a round that pushes nothing, of those above
  // what the client saw acknowledged (an answer it lost had them).
  const range =
    mutations.length > 0
      ? between(syncRefusals.mutationId, mutations[0]!.id, mutations.at(-1)!.id)
      : acknowledged === undefined
        ? null
        : gt(syncRefusals.mutationId, acknowledged)
  if (range === null) return []
  const rows = await tx
    .select()
    .from(syncRefusals)
    .where(and(eq(syncRefusals.clientId, request.clientId), range))
    .orderBy(asc(syncRefusals.mutationId))
    .limit(2 * MAX_MUTATIONS_PER_PUSH)
  return rows.map((row) => ({
    id: row.mutationId,
    code: row.code,
    message: row.message,
    ...(row.field ? { field: row.field } : {}),
  }))
}
