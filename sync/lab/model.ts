import type { z } from 'zod'

import {
  type Avatar,
  compareAvatars,
  MAX_AVATARS_PER_SPACE,
  type MutationArgs,
  type MutationName,
  mutationArgs,
} from '../mutations'
import { positionAfter } from '../position'
import {
  MAX_MUTATIONS_PER_PUSH,
  parseCursor,
  type SyncRequest,
  type SyncResponse,
} from '../protocol'

interface ModelRow extends Avatar {
  deleted: boolean
}

/** A mutation the model saw the server commit. */
export interface CommittedMutation {
  clientId: string
  id: number
  name: MutationName
  /** The refusal code the model expects, or null when it applies. */
  refusal: string | null
}

/**
 * What the server should hold, replayed on its own from the pushes the
 * server answered, in the order it answered them, with the policy of
 * docs/sync.md: a client's mutations apply once each, in id order; a push
 * that applies anything bumps the space's version once and stamps the rows
 * it changes; only the named fields change; a write to a deleted avatar is
 * refused, and so is one to an unknown avatar or a taken id.
 *
 * It shares no code with the server's mutators, so a server that applies a
 * replay twice, skips a mutation or bends the policy ends up disagreeing
 * with it. It needs the space's pushes one at a time: the lab never has
 * two rounds in flight.
 */
export class ReferenceModel {
  readonly #rows = new Map<string, ModelRow>()
  readonly #lastApplied = new Map<string, number>()
  /** Refusal codes by client, then mutation id. */
  readonly #refusals = new Map<string, Map<number, string>>()
  #version: number

  constructor(initial: { avatars: readonly Avatar[]; version: number }) {
    for (const avatar of initial.avatars) {
      this.#rows.set(avatar.id, { ...avatar, deleted: false })
    }
    this.#version = initial.version
  }

  get version(): number {
    return this.#version
  }

  /** The live avatars in roster order. */
  avatars(): Avatar[] {
    return [...this.#rows.values()]
      .filter((row) => !row.deleted)
      .map(({ deleted: _deleted, ...avatar }) => avatar)
      .sort(compareAvatars)
  }

  /** Every refusal the model expects, as `clientId`, id and code. */
  refusals(): { clientId: string; id: number; code: string }[] {
    return [...this.#refusals].flatMap(([clientId, byId]) =>
      [...byId].map(([id, code]) => ({ clientId, id, code })),
    )
  }

  lastApplied(clientId: string): number {
    return this.#lastApplied.get(clientId) ?? 0
  }

  /**
   * Replays a round the server answered: applies the mutations it had not
   * seen, then compares the answer with the model. Returns what was newly
   * committed and every disagreement, in words.
   */
  commit(
    request: SyncRequest,
    response: SyncResponse,
  ): { committed: CommittedMutation[]; problems: string[] } {
    const problems: string[] = []
    const { clientId } = request
    const last = this.lastApplied(clientId)
    const fresh = request.mutations.filter((mutation) => mutation.id > last)
    if (fresh.length > 0 && fresh[0]!.id !== last + 1) {
      problems.push(
        `the server answered a push whose first new id is ${fresh[0]!.id}, after ${last}`,
      )
      return { committed: [], problems }
    }

    const committed: CommittedMutation[] = []
    if (fresh.length > 0) {
      // The first mutation that parses bumps the version, once per push.
      let bumped = false
      const stamp = () => {
        if (!bumped) this.#version++
        bumped = true
        return this.#version
      }
      for (const mutation of fresh) {
        const refusal = this.#apply(mutation.name, mutation.args, stamp)
        if (refusal) this.#refusalsOf(clientId).set(mutation.id, refusal)
        committed.push({
          clientId,
          id: mutation.id,
          name: mutation.name,
          refusal,
        })
      }
      this.#lastApplied.set(clientId, fresh.at(-1)!.id)
    }

    problems.push(...this.#compare(request, response))
    return { committed, problems }
  }

  #compare(request: SyncRequest, response: SyncResponse): string[] {
    const problems: string[] = []
    const { clientId } = request
    const expected = this.lastApplied(clientId)
    if (response.lastMutationId !== expected) {
      problems.push(
        `client ${clientId}: the server acknowledged ${response.lastMutationId}, the replay says ${expected}`,
      )
    }
    const version = parseCursor(response.cursor)?.version
    if (version !== this.#version) {
      problems.push(
        `the server's cursor is at version ${version}, the replay at ${this.#version} (one bump per push)`,
      )
    }

    const want = this.#expectedRefusals(request)
    const got = response.refused.map((r) => `${r.id}:${r.code}`).join(', ')
    if (got !== want) {
      problems.push(
        `client ${clientId}: the server refused [${got}], the replay expects [${want}]`,
      )
    }
    return problems
  }

  /** Refusals the answer to `request` must carry (stored ones on replay). */
  #expectedRefusals(request: SyncRequest): string {
    // A push hears of its own ids; a round that pushes nothing, of every id
    // above what the client says it saw acknowledged.
    const first =
      request.mutations[0]?.id ?? (request.acknowledged ?? Infinity) + 1
    const last = request.mutations.at(-1)?.id ?? Infinity
    // The server forgets refusals two pushes' worth of ids behind.
    const kept = this.lastApplied(request.clientId) - 2 * MAX_MUTATIONS_PER_PUSH
    return [...(this.#refusals.get(request.clientId) ?? [])]
      .filter(([id]) => id >= first && id <= last && id >= kept)
      .sort(([a], [b]) => a - b)
      .map(([id, code]) => `${id}:${code}`)
      .join(', ')
  }

  #refusalsOf(clientId: string): Map<number, string> {
    let byId = this.#refusals.get(clientId)
    if (!byId) {
      byId = new Map()
      this.#refusals.set(clientId, byId)
    }
    return byId
  }

  /** Applies one mutation; returns the refusal code, or null. */
  #apply(
    name: MutationName,
    rawArgs: unknown,
    stamp: () => number,
  ): string | null {
    const parsed = (mutationArgs[name] as z.ZodType).safeParse(rawArgs)
    if (!parsed.success) return 'mutation/invalid'
    const version = stamp()
    if (name === 'createAvatar') {
      return this.#create(parsed.data as MutationArgs<'createAvatar'>, version)
    }

    const { id, ...fields } = parsed.data as { id: string }
    const row = this.#rows.get(id)
    if (!row) return 'avatar/not-found'
    if (row.deleted) return 'avatar/deleted'
    if (name === 'deleteAvatar') row.deleted = true
    else Object.assign(row, fields)
    row.version = version
    return null
  }

  #create(args: MutationArgs<'createAvatar'>, version: number): string | null {
    if (this.#rows.has(args.id)) return 'avatar/id-taken'
    const live = this.avatars()
    if (live.length >= MAX_AVATARS_PER_SPACE) return 'space/full'
    const lastPosition = live
      .map((avatar) => avatar.position)
      .reduce<string | null>(
        (max, p) => (max === null || p > max ? p : max),
        null,
      )
    this.#rows.set(args.id, {
      id: args.id,
      emoji: args.emoji,
      name: args.name,
      isActive: args.isActive,
      position: args.position ?? positionAfter(lastPosition),
      version,
      deleted: false,
    })
    return null
  }
}
